"""TriviaQA's and NQ-open's evaluators (``opencompass-core.md`` §11, §12): the first line of the output,
normalised, must contain one of the gold's normalised aliases.

Quirks kept: only the first non-empty line counts; TriviaQA keeps what follows the last ``answer is``, ``a:``
and ``answer:`` (so a word ending in "a" before a colon cuts there too), NQ only the ``answer is`` split; an
alias that normalises to "" matches every prediction.
"""

from __future__ import annotations

import re

_CUT = re.compile(r"[\n.,]")
_PUNCTUATION = re.compile(r"[^\w\s]")
_ARTICLES = re.compile(r"\b(a|an|the)\b", flags=re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def general_postprocess(text: str) -> str:
    """OpenCompass's ``general_postprocess``: the text before the first newline, "." or ",", without
    punctuation and English articles, whitespace collapsed."""
    text = _CUT.split(text, maxsplit=1)[0]
    text = _ARTICLES.sub("", _PUNCTUATION.sub("", text))
    return _SPACES.sub(" ", text).strip()


def _first_line(text: str) -> str:
    return text.strip().split("\n")[0].lower()


def triviaqa_postprocess(text: str) -> str:
    """The prediction as ``TriviaQAEvaluator`` compares it."""
    text = _first_line(text)
    for marker in ("answer is", "a:", "answer:"):
        text = text.split(marker)[-1]
    return general_postprocess(text.strip())


def nq_postprocess(text: str) -> str:
    """The prediction as ``NQEvaluator`` compares it."""
    text = _first_line(text)
    if "answer is" in text:
        text = text.split("answer is")[-1]
    return general_postprocess(text)


def alias_match(prediction: str, aliases: list[str]) -> bool:
    """Whether any alias, normalised and lower-cased, is a substring of the normalised prediction."""
    return any(general_postprocess(alias).lower() in prediction for alias in aliases)


def judge_triviaqa(prediction: str, aliases: list[str]) -> tuple[str, bool]:
    answer = triviaqa_postprocess(prediction)
    return answer, alias_match(answer, aliases)


def judge_nq(prediction: str, aliases: list[str]) -> tuple[str, bool]:
    answer = nq_postprocess(prediction)
    return answer, alias_match(answer, aliases)
