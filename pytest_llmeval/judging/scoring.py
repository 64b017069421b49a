"""Answer extraction and accuracy: pure functions, each rule named for its origin."""

from __future__ import annotations

import functools
import json
import re
import string
from collections.abc import Callable

from rapidfuzz.distance import Levenshtein

from pytest_llmeval.judging.gaokao import cloze as gaokao_cloze
from pytest_llmeval.judging.open_qa import judge_nq, judge_triviaqa
from pytest_llmeval.judging.postprocess_v2 import judge_math_v2, judge_theoremqa
from pytest_llmeval.judging.reasoning import (
    bbh_freeform_postprocess,
    bbh_mcq_postprocess,
    gsm8k_equal,
    gsm8k_gold,
    gsm8k_postprocess,
    math_equal,
    math_postprocess,
)
from pytest_llmeval.records import Question


def first_capital(text: str) -> str:
    """OpenCompass's ``first_capital_postprocess``: the first character for which ``str.isupper()`` holds.

    Reproduced as is, weakness included: "The answer is B" yields "T".
    """
    for char in text:
        if char.isupper():
            return char
    return ""


# OpenCompass 0.2.4 ``first_option_postprocess`` patterns, in the order they are tried. These are data: each string is
# the regex source exactly as 0.2.4 builds it, with "{O}" standing for the options string (inserted verbatim, so
# "[{O}]" becomes a character class such as "[ABCD]"). Oddities are kept on purpose, because scores must match:
# - entry 9 is two of upstream's strings glued together by a missing comma, so it can only match both halves in a row
#   (plain "故选C" therefore falls to entry 8);
# - "$" inside "[...]" (entries 20, 21, 38, 41) is a literal dollar sign, not an anchor;
# - the "." in "1." of entries 40 and 41 is unescaped and matches any character.
FIRST_OPTION_TEMPLATES: tuple[str, ...] = (
    r"答案是?\s?([{O}])",
    r"答案是?\s?：([{O}])",
    r"答案是?\s?:([{O}])",
    r"答案应该?是\s?([{O}])",
    r"答案应该?选\s?([{O}])",
    r"答案为\s?([{O}])",
    r"答案选\s?([{O}])",
    r"选择?\s?([{O}])",
    r"故选?\s?([{O}])只有选?项?\s?([{O}])\s?是?对",
    r"只有选?项?\s?([{O}])\s?是?错",
    r"只有选?项?\s?([{O}])\s?不?正确",
    r"只有选?项?\s?([{O}])\s?错误",
    r"说法不?对选?项?的?是\s?([{O}])",
    r"说法不?正确选?项?的?是\s?([{O}])",
    r"说法错误选?项?的?是\s?([{O}])",
    r"([{O}])\s?是正确的",
    r"([{O}])\s?是正确答案",
    r"选项\s?([{O}])\s?正确",
    r"所以答\s?([{O}])",
    r"所以\s?([{O}][.。$]?$)",
    r"所有\s?([{O}][.。$]?$)",
    r"[\s，：:,]([{O}])[。，,\.]?$",
    r"[\s，,：:][故即]([{O}])[。\.]?$",
    r"[\s，,：:]因此([{O}])[。\.]?$",
    r"[是为。]\s?([{O}])[。\.]?$",
    r"因此\s?([{O}])[。\.]?$",
    r"显然\s?([{O}])[。\.]?$",
    r"答案是\s?(\S+)(?:。|$)",
    r"答案应该是\s?(\S+)(?:。|$)",
    r"答案为\s?(\S+)(?:。|$)",
    r"[Tt]he answer is \(?([{O}])\)?",
    r"[Tt]he answer is option \(?([{O}])\)?",
    r"[Tt]he correct answer is \(?([{O}])\)?",
    r"[Tt]he correct answer is option \(?([{O}])\)?",
    r"[Tt]he answer to the question is \(?([{O}])\)?",
    r"^选项\s?([{O}])",
    r"^([{O}])\s?选?项",
    r"(\s|^)[{O}][\s。，,：:\.$]",
    r"(\s|^)[{O}](\s|$)",
    r"1.\s?(.*?)$",
    r"1.\s?([{O}])[.。$]?$",
)

# Last-resort patterns appended when ``cushion`` is on: "X:" anywhere, then any option letter anywhere. They are why
# "Based on ..." yields "B" upstream.
CUSHION_TEMPLATES: tuple[str, ...] = (
    r"([{O}]):",
    r"[{O}]",
)


@functools.cache
def first_option_patterns(options: str, cushion: bool = True) -> tuple[str, ...]:
    """The regex sources ``first_option`` tries for ``options``, in order (41 entries, plus 2 when ``cushion``).

    Plain text substitution rather than ``str.format``: upstream used f-strings, which insert the options string
    as is, and replacing "{O}" does the same without braces in the regexes ever being read as format fields.
    """
    templates = FIRST_OPTION_TEMPLATES + (CUSHION_TEMPLATES if cushion else ())
    return tuple(template.replace("{O}", options) for template in templates)


def first_option(text: str, options: str, cushion: bool = True) -> str:
    """OpenCompass 0.2.4's ``first_option_postprocess``: an option letter picked out by a cascade of regexes.

    The first pattern that ``re.search`` finds in the unstripped text (no flags) decides only if its whole match
    contains one of the option letters; the letter returned is the earliest in ``options`` order, not the earliest
    in the text (so "故C只有A对" gives "A"). A match without any option letter does not stop the search. No letter
    from any pattern gives "".
    """
    for pattern in first_option_patterns(options, cushion):
        match = re.search(pattern, text)
        if match is None:
            continue
        # Upstream inspects group(0), not the capture group, so surrounding characters can supply the letter.
        whole = match.group(0)
        for letter in options:
            if letter in whole:
                return letter
    return ""


def first_option_abcd(text: str) -> str:
    """``first_option`` as OpenCompass's multiple-choice configs call it: options "ABCD", cushion on."""
    return first_option(text, "ABCD", cushion=True)


def first_option_ab(text: str) -> str:
    """``first_option`` over two options (winogrande_gen): any capital A or B, cushion on."""
    return first_option(text, "AB", cushion=True)


POSTPROCESSORS = {"first_capital": first_capital, "first_option": first_option_abcd, "first_option_ab": first_option_ab}


def option_sim(prediction: str, letters: str, texts: tuple[str, ...]) -> str:
    """OpenCompass's ``OptionSimAccEvaluator`` (custom multiple-choice gen): an option letter for any output.

    Four steps, the first that yields a letter wins: the stripped output is a letter; the 0.2.4 option regexes
    without the cushion; exactly one option's text appears in the output (case-insensitive); else the option
    nearest by Levenshtein distance to its letter, its text or ``X. text`` (ties: the earlier letter). So
    something is always chosen, an empty output included (it is nearest to "A").
    """
    stripped = prediction.strip()
    if stripped in letters and len(stripped) == 1:
        return stripped
    found = first_option(stripped, letters, cushion=False)
    if found:
        return found
    lowered = stripped.lower()
    appearing = [letter for letter, text in zip(letters, texts) if text.lower() in lowered]
    if len(appearing) == 1:
        return appearing[0]
    distances = [
        (min(Levenshtein.distance(stripped, c) for c in (letter, text, f"{letter}. {text}")), letter)
        for letter, text in zip(letters, texts)
    ]
    return min(distances)[1]


def accepted_answers(gold: str) -> list[str]:
    """A ``list`` row's accepted answers: its answer cell is a JSON array of strings (checked when read)."""
    return [str(item) for item in json.loads(gold)]


# A scoring rule turns a prediction into (extracted answer, correct?) for one question.
Judge = Callable[[str, Question], tuple[str, bool]]


def _letter(extract: Callable[[str], str]) -> Judge:
    def judge(prediction: str, question: Question) -> tuple[str, bool]:
        answer = extract(prediction)
        return answer, answer == question.answer

    return judge


def _option_sim(prediction: str, question: Question) -> tuple[str, bool]:
    letters = string.ascii_uppercase[: len(question.choices)]
    answer = option_sim(prediction, letters, question.choices)
    return answer, answer == question.answer


def _exact(prediction: str, question: Question) -> tuple[str, bool]:
    # OpenCompass's AccEvaluator on a question-answer dataset: the raw output must equal the answer.
    return prediction, prediction == question.answer


def _regex(prediction: str, question: Question) -> tuple[str, bool]:
    return prediction, re.search(question.answer, prediction) is not None


def _listed(prediction: str, question: Question) -> tuple[str, bool]:
    answer = prediction.strip()
    return answer, answer in (item.strip() for item in accepted_answers(question.answer))


def _gsm8k(prediction: str, question: Question) -> tuple[str, bool]:
    # The gold is the whole worked answer; its number is read after "#### " (OpenCompass's dataset postprocessor).
    answer = gsm8k_postprocess(prediction)
    return answer, gsm8k_equal(answer, gsm8k_gold(question.answer))


def _math(prediction: str, question: Question) -> tuple[str, bool]:
    answer = math_postprocess(prediction)
    return answer, math_equal(answer, question.answer)


def _bbh_mcq(prediction: str, question: Question) -> tuple[str, bool]:
    # The gold goes through the same rule: "(A)" becomes "A" (and "Monsters, Inc" becomes "M").
    answer = bbh_mcq_postprocess(prediction)
    return answer, answer == bbh_mcq_postprocess(question.answer)


def _bbh_freeform(prediction: str, question: Question) -> tuple[str, bool]:
    answer = bbh_freeform_postprocess(prediction)
    return answer, answer == question.answer


def _triviaqa(prediction: str, question: Question) -> tuple[str, bool]:
    # The gold is the row's alias list, a JSON array (checked when read).
    return judge_triviaqa(prediction, accepted_answers(question.answer))


def _nq_open(prediction: str, question: Question) -> tuple[str, bool]:
    return judge_nq(prediction, accepted_answers(question.answer))


# Rules whose verdict is ``answer == gold``; the others record it (``Outcome.judged``).
GOLD_EQUALITY = frozenset({"first_capital", "first_option", "first_option_ab", "option_sim", "exact"})

RULES: dict[str, Judge] = {
    "first_capital": _letter(first_capital),
    "first_option": _letter(first_option_abcd),
    "first_option_ab": _letter(first_option_ab),
    "option_sim": _option_sim,
    "exact": _exact,
    "regex": _regex,
    "list": _listed,
    "gsm8k": _gsm8k,
    "math": _math,
    "bbh_mcq": _bbh_mcq,
    "bbh_freeform": _bbh_freeform,
    "math_v2": judge_math_v2,
    "theoremqa": judge_theoremqa,
    "gaokao_cloze": gaokao_cloze,  # always wrong (OpenCompass 0.2.4 scores cloze papers 0); the MCQ papers earn
    # points instead: judging.gaokao.POINT_RULES
    "triviaqa": _triviaqa,
    "nq_open": _nq_open,
}
