"""Paired statistics for comparing two runs of the same questions: the baseline gate's arithmetic.

Greedy decoding makes a run deterministic, so between two runs every changed verdict is a real flip of a
real question. The paired test is McNemar's, exact: under "no change", each discordant question is equally
likely to have flipped either way, so the smaller of the two flip counts follows Binomial(n, 1/2).
Pure functions on counts; exact integer arithmetic up to 1000 flips, log space beyond.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


def mcnemar_exact(right_to_wrong: int, wrong_to_right: int) -> float:
    """Two-sided exact McNemar p-value: ``2 * P(X <= min(b, c))`` for ``X ~ Binomial(b + c, 1/2)``, at most 1."""
    if right_to_wrong < 0 or wrong_to_right < 0:
        raise ValueError("flip counts cannot be negative")
    n = right_to_wrong + wrong_to_right
    if n == 0:
        return 1.0
    if n <= 1000:  # exact integers while they are cheap
        tail = sum(math.comb(n, k) for k in range(min(right_to_wrong, wrong_to_right) + 1))
        return float(min(Fraction(1), Fraction(2 * tail, 2**n)))
    # Larger (MMLU-sized) counts: the same sum in log space, stable and fast.
    logs = [
        math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2)
        for k in range(min(right_to_wrong, wrong_to_right) + 1)
    ]
    top = max(logs)
    return min(1.0, 2 * math.exp(top) * sum(math.exp(value - top) for value in logs))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (controls the family-wise error rate), in the input's order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


@dataclass(frozen=True, slots=True)
class PairedChange:
    """Two runs over the same questions: accuracies before and after, the flips each way, and the p-value.

    Where questions earn points (GAOKAO-Bench), ``before`` and ``after`` are points, ``possible`` the points the
    questions are worth, and a question whose points went down counts as ``right_to_wrong`` (up:
    ``wrong_to_right``); the test is the same sign test over the questions that changed.
    """

    total: int
    before: int  # correct (points) in the baseline
    after: int  # correct (points) now
    right_to_wrong: int
    wrong_to_right: int
    possible: int = 0  # points the questions are worth; 0: each is right or wrong, worth 1

    @property
    def out_of(self) -> int:
        """What ``before`` and ``after`` are counted out of: the questions, or their points."""
        return self.possible or self.total

    @property
    def words(self) -> tuple[str, str]:
        """What the two flip counts are called: questions that went right→wrong and back, or lost and gained points."""
        return ("lost points", "gained points") if self.possible else ("right→wrong", "wrong→right")

    @property
    def delta(self) -> float:
        """Change in accuracy points (0-100 scale, as OpenCompass prints it)."""
        return (self.after - self.before) / self.out_of * 100 if self.total else 0.0

    @property
    def p_value(self) -> float:
        return mcnemar_exact(self.right_to_wrong, self.wrong_to_right)


def paired(before: Sequence[int], after: Sequence[int], possible: Sequence[int] | None = None) -> PairedChange:
    """Compare the same questions, in the same order: each one's correctness (a bool), or its points of
    ``possible``; a question counts as a loss when its value went down, a gain when it went up."""
    if len(before) != len(after):
        raise ValueError(f"{len(before)} questions before, {len(after)} after: compare the same questions")
    return PairedChange(
        total=len(before),
        before=sum(before),
        after=sum(after),
        right_to_wrong=sum(a < b for b, a in zip(before, after)),
        wrong_to_right=sum(a > b for b, a in zip(before, after)),
        possible=sum(possible) if possible is not None else 0,
    )
