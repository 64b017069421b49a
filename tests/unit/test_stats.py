"""McNemar's exact test and Holm's correction against values worked out by hand."""

from __future__ import annotations

import pytest

from pytest_llmeval.judging.stats import holm, mcnemar_exact, paired


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [
        (0, 0, 1.0),  # nothing flipped
        (0, 5, 2 / 32),  # 2 * C(5,0) / 2^5
        (1, 5, 2 * (1 + 6) / 64),  # 2 * (C(6,0) + C(6,1)) / 2^6
        (10, 2, 2 * (1 + 12 + 66) / 4096),  # 2 * (C(12,0) + C(12,1) + C(12,2)) / 2^12
        (3, 3, 1.0),  # 2 * 42/64 > 1, capped
        (31, 9, 2 * sum(__import__("math").comb(40, k) for k in range(10)) / 2**40),
    ],
)
def test_mcnemar_exact(b, c, p):
    assert mcnemar_exact(b, c) == pytest.approx(p, rel=1e-12)
    assert mcnemar_exact(c, b) == pytest.approx(p, rel=1e-12)  # two-sided: symmetric


def test_mcnemar_on_a_large_subject_stays_exact():
    # MMLU-sized: 7000 flips each way is no evidence at all.
    assert mcnemar_exact(7000, 7000) == 1.0
    assert mcnemar_exact(0, 2000) == 0.0  # 2^-1999 underflows to 0.0, never to a negative or NaN
    # Log space beyond 1000 flips agrees with exact integers.
    import math
    from fractions import Fraction

    exact = float(Fraction(2 * sum(math.comb(1200, k) for k in range(541)), 2**1200))
    assert mcnemar_exact(540, 660) == pytest.approx(exact, rel=1e-9)


def test_holm_in_input_order():
    # m = 4: sorted 0.01, 0.02, 0.03, 0.5 -> 0.04, max(0.04, 0.06), max(0.06, 0.06), max(0.06, 0.5)
    assert holm([0.03, 0.5, 0.01, 0.02]) == pytest.approx([0.06, 0.5, 0.04, 0.06])
    assert holm([]) == []


def test_paired_counts_and_delta():
    change = paired([True, True, False, False, True], [True, False, True, False, False])
    assert (change.right_to_wrong, change.wrong_to_right, change.before, change.after) == (2, 1, 3, 2)
    assert change.delta == pytest.approx(-20.0)
    assert change.p_value == pytest.approx(1.0)
    with pytest.raises(ValueError, match="compare the same questions"):
        paired([True], [True, False])
