"""The "v2" answer rules of OpenCompass 0.2.4's core math configs: MATH scored by ``MATHEvaluator(version="v2")``
and TheoremQA by ``TheoremQA_postprocess_v2`` (``opencompass-core.md`` §8, §14).

Pure re-implementations, written to give OpenCompass's output on every input, quirks included: MATH v2 takes the
*last* ``\\boxed{…}`` as is and falls back to v1's ``.``-piece search (so ``the answer is 2.5.`` still reads ``2``);
its equality is v1's ``is_equiv`` with a different strip, which deletes every ``and`` and turns ``j`` into ``i``.
TheoremQA compares strings exactly: ``3.50`` is not ``3.5``.
"""

from __future__ import annotations

import re

from pytest_llmeval.datasets.math_problems import extract_boxed_answer
from pytest_llmeval.judging.reasoning import (
    fix_a_slash_b,
    fix_fracs,
    lead_zero_and_value,
    math_equal,
    normalize_final_answer,
)
from pytest_llmeval.records import Question

# math_postprocess_v2: a boxed answer written with doubled braces ("\boxed{{7}}") loses one pair. "." stops at a
# newline and "$" also matches before a final one, exactly as upstream's re.match of the same pattern.
_DOUBLE_BRACES = re.compile(r"^\{(.*)\}$")
_ANSWER_PIECE = re.compile(r"final answer|answer is")

# _strip_string_v2's regular expressions, in the order it applies them.
_TRAILING_TEXT = re.compile(r"\\text{.*?}$")  # from the first "\text{" whose "}" ends the string
_MBOX = re.compile(r"\\mbox{.*?}")
_ZERO_DECIMALS = re.compile(r"(\d+)\.0+([^\d])")
_ZERO_DECIMALS_AT_END = re.compile(r"(\d+)\.0+$")
_SQRT_WORD = re.compile(r"\\sqrt(\w+)")

# TheoremQA_postprocess_v2: the answer is the words after the last of these on the last line.
_THEOREMQA_STOP_WORDS = ("is", "be", "are")


def math_postprocess_v2(text: str) -> str:
    """OpenCompass's ``math_postprocess_v2``: the last ``\\boxed{…}`` as written, else v1's "answer" piece.

    A non-empty boxed answer is returned without any normalisation; ``\\fbox{…}`` is found but refused (the
    piece must start with ``\\boxed{``), so the search goes on to the text's pieces.
    """
    boxed = extract_boxed_answer(text)
    if boxed is not None:
        match = _DOUBLE_BRACES.match(boxed)
        if match:
            boxed = match.group(1)
        if boxed:
            return boxed
    pieces = text.split(".")
    for piece in pieces:
        if _ANSWER_PIECE.search(piece.lower()):
            return normalize_final_answer(piece)
    return normalize_final_answer(pieces[0])


def strip_string_v2(text: str) -> str:
    """OpenCompass's ``MATHEvaluator._strip_string_v2``, raising where it raises (``math_equal`` relies on that)."""
    text = str(text).strip()
    text = text.replace("\n", "")
    text = text.rstrip(".")
    text = text.replace("\\!", "")
    text = text.replace("\\ ", "")
    # Twice: "\\\\" (four backslashes) becomes one.
    text = text.replace("\\\\", "\\")
    text = text.replace("\\\\", "\\")
    text = text.replace("tfrac", "frac")
    text = text.replace("dfrac", "frac")
    text = text.replace("\\left", "")
    text = text.replace("\\right", "")
    # A unit such as "\text{ cm}" at the end goes, unless nothing would be left; the strip happens either way,
    # so "5 \left" (trailing space once "\left" is gone) becomes "5" too.
    without_unit = _TRAILING_TEXT.sub("", text).strip()
    if without_unit:
        text = without_unit
    text = text.replace("^{\\circ}", "")
    text = text.replace("^\\circ", "")
    text = text.replace("\\$", "")
    text = text.replace("$", "")
    text = text.replace("\\text", "")
    # Spaces are still there: "x \in [1,2]" keeps its "x \in".
    text = text.replace("x\\in", "")
    text = text.replace("\\%", "")
    text = text.replace("%", "")
    text = text.replace(" .", " 0.")
    text = text.replace("{.", "{0.")
    text = text.replace("\\cdot", "")
    text = text.replace("infinity", "\\infty")
    if "\\infty" not in text:
        text = text.replace("inf", "\\infty")
    text = text.replace("+\\inity", "\\infty")
    # Inside words too ("band" -> "b"): upstream behaviour, kept.
    text = text.replace("and", "")
    text = text.replace("\\mathbf", "")
    text = _MBOX.sub("", text)
    # The imaginary unit written "j" is read as "i", unless an "i" is already there ("\pi", "\sin" count).
    if "j" in text and "i" not in text:
        text = text.replace("j", "i")
    text = _ZERO_DECIMALS.sub(r"\1\2", text)
    text = _ZERO_DECIMALS_AT_END.sub(r"\1", text)
    if not text:
        return text
    text = lead_zero_and_value(text)
    text = _SQRT_WORD.sub(r"\\sqrt{\1}", text)
    text = text.replace(" ", "")
    text = fix_fracs(text)
    return fix_a_slash_b(text)


def math_equal_v2(pred: str | None, ref: str | None) -> bool:
    """OpenCompass's ``MATHEvaluator(version="v2").is_equiv``: v1's three steps around ``strip_string_v2``."""
    return math_equal(pred, ref, strip=strip_string_v2)


def theoremqa_postprocess_v2(text: str) -> str:
    """OpenCompass's ``TheoremQA_postprocess_v2``: the words of the last line after its last "is", "be", "are" or
    word ending in ":" (the whole line without one), stripped of spaces and of "." at both ends."""
    line = text.strip().strip("\n").split("\n")[-1]
    words: list[str] = []
    # Split on single spaces, as upstream: a double space yields an empty word, which the final strip removes.
    for word in reversed(line.split(" ")):
        if word in _THEOREMQA_STOP_WORDS or word.endswith(":"):
            break
        words.append(word)
    return " ".join(reversed(words)).strip().strip(".")


# Scoring rules (``scoring.RULES``): a prediction and its question to (extracted answer, correct?).


def judge_math_v2(prediction: str, question: Question) -> tuple[str, bool]:
    """math_evaluatorv2 configs: the gold is the solution's boxed answer, as the MATH loader cuts it."""
    answer = math_postprocess_v2(prediction)
    return answer, math_equal_v2(answer, question.answer)


def judge_theoremqa(prediction: str, question: Question) -> tuple[str, bool]:
    """TheoremQA_post_v2 configs: AccEvaluator, the extracted answer must be the ``Answer`` cell exactly."""
    answer = theoremqa_postprocess_v2(prediction)
    return answer, answer == question.answer
