"""GAOKAO-Bench's objective scoring (OpenCompass 0.2.4's ``GaokaoBenchEvaluator``): answers read, points earned.

A paper's score is points: every gold element is worth 1 (2 for ``multi_choice``), a question earns some of its
points, and the paper's number is all points earned over all points possible, times 100 - partial credit summed
over the whole paper, never averaged per question (``opencompass-core.md`` §13). The extraction rules are
upstream's, quirks kept: single choice takes the *last* letter A-D anywhere in the output, a prediction of the
wrong length is worth nothing, and cloze papers score 0 whatever the model writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from pytest_llmeval.records import Question

_SINGLE = re.compile(r"[A-D]")
_CAPITAL = re.compile(r"[A-Z]")
_TAGGED = re.compile(r"【答案】\s*[:：]*\s*[A-Z]")
_SEVEN = re.compile(r"[A-G]")
_SPACE = re.compile(r"\s+")
_TAG = "【答案】"
NOTHING = "Z"  # what a prediction of the wrong length becomes, element by element: equal to no gold


def single_choice(text: str, golds: int) -> list[str]:
    """The last letter A-D in the whole output, or nothing."""
    found = _SINGLE.findall(text[::-1])
    return found[:1]


def multi_choice(text: str, golds: int) -> list[str]:
    """Every A-D after the first 【答案】 (whitespace removed) as one string; without the tag, or with the tag at the
    very start, every A-D of the last 10 characters; nothing when there is none."""
    content = _SPACE.sub("", text)
    at = content.find(_TAG)
    window = content[at:] if at > 0 else content[-10:]
    letters = "".join(_SINGLE.findall(window))
    return [letters] if letters else []


def multi_question_choice(text: str, golds: int) -> list[str]:
    """One letter per sub-question: from the 【答案】 tags when there are exactly as many as golds, else the first
    ``golds`` capitals anywhere (fewer capitals: a short list, worth nothing)."""
    tagged = _TAGGED.findall(text)
    if len(tagged) == golds:
        return [_CAPITAL.findall(tag)[0] for tag in tagged]
    return _CAPITAL.findall(text)[:golds]


def five_out_of_seven(text: str, golds: int) -> list[str]:
    """The first five letters A-G anywhere (fewer than five: worth nothing)."""
    return _SEVEN.findall(text)[:5]


EXTRACT: dict[str, Callable[[str, int], list[str]]] = {
    "single_choice": single_choice,
    "multi_choice": multi_choice,
    "multi_question_choice": multi_question_choice,
    "five_out_of_seven": five_out_of_seven,
}


def same_length(predicted: list[str], golds: list[str]) -> list[str]:
    """OpenCompass's ``ensure_same_length``: a prediction of another length becomes ``["Z"] * len(golds)``."""
    return predicted if len(predicted) == len(golds) else [NOTHING] * len(golds)


def element_points(kind: str, predicted: str, gold: str) -> int:
    """One position's points: 1 for an equal element; multi_choice 2 for equal, 1 when every predicted letter is in
    the gold (a subset, e.g. "B" for "BD"), else 0."""
    if kind != "multi_choice":
        return int(predicted == gold)
    if predicted == gold:
        return 2
    return int(all(letter in gold for letter in predicted))


@dataclass(frozen=True, slots=True)
class Marked:
    """One question scored: what was read (its elements joined by ","), points earned and possible."""

    answer: str
    points: int
    possible: int


def mark(kind: str, prediction: str, golds: list[str]) -> Marked:
    """A question of a ``kind`` paper: its elements read from ``prediction``, compared position by position."""
    read = EXTRACT[kind](prediction, len(golds))
    points = sum(element_points(kind, p, g) for p, g in zip(same_length(read, golds), golds))
    worth = 2 if kind == "multi_choice" else 1
    return Marked(",".join(read), points, worth * len(golds))


def paper_score(marks: list[Marked]) -> float:
    """The paper's number as OpenCompass computes it: points earned / points possible * 100."""
    possible = sum(m.possible for m in marks)
    return sum(m.points for m in marks) / possible * 100 if possible else 0.0


PointJudge = Callable[[str, Question], Marked]


def _judge(kind: str) -> PointJudge:
    def judge(prediction: str, question: Question) -> Marked:
        return mark(kind, prediction, json.loads(question.answer))

    return judge


# The four scored kinds, by scoring rule; they award points (``Outcome.points``) rather than a verdict.
POINT_RULES: dict[str, PointJudge] = {f"gaokao_{kind}": _judge(kind) for kind in EXTRACT}


def cloze(prediction: str, question: Question) -> tuple[str, bool]:
    """Cloze papers: OpenCompass 0.2.4's evaluator returns a score of 0 without reading anything; kept, so the
    numbers stay comparable (every cloze question counts as wrong)."""
    return "", False
