"""OpenCompass's first_capital_postprocess, weaknesses included (spec §2.5)."""

from __future__ import annotations

import pytest

from pytest_llmeval.judging.scoring import POSTPROCESSORS, first_capital


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B", "B"),
        (" C.", "C"),
        ("The answer is B", "T"),  # the known weakness we must reproduce
        ("答案是C", "C"),
        ("", ""),
        ("abc", ""),
        ("Ａ", "Ａ"),  # full-width: str.isupper() is True, so it is returned as is
        ("\nD", "D"),
        ("答案：\n\nA. 传输层", "A"),
        ("ÉB", "É"),  # any Unicode uppercase counts, not only A-D
        ("123 b c", ""),
    ],
)
def test_first_capital(text, expected):
    assert first_capital(text) == expected


def test_postprocessor_table_names_first_capital():
    assert POSTPROCESSORS["first_capital"] is first_capital
