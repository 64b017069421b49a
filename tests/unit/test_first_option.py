"""OpenCompass 0.2.4's first_option_postprocess, quirks included (reference: opencompass-datasets.md §4.2).

Expected values were worked out by walking the pattern list by hand; the ``decided_by`` column records which
pattern (1-based, 42 and 43 being the cushion) produces the answer, and ``test_deciding_pattern`` checks that
bookkeeping so a comment cannot drift from the behaviour.
"""

from __future__ import annotations

import re

import pytest

from pytest_llmeval.judging.scoring import (
    CUSHION_TEMPLATES,
    FIRST_OPTION_TEMPLATES,
    POSTPROCESSORS,
    first_capital,
    first_option,
    first_option_patterns,
)

# (text, expected with cushion, expected without cushion, pattern that decides with cushion on or None)
ABCD_CASES = [
    # --- quirks named in the reference ---
    ("故选C", "C", "C", 8),  # 9 is two patterns fused, so "故选C" alone is caught by 8 (选\s?C)
    ("The correct answer is C, not A", "A", "A", 22),  # 22 (" A" at the end) runs before the English 33
    ("Based on the passage, the answer is c.", "B", "", 43),  # only the cushion's bare [ABCD] finds the B of "Based"
    ("**B**", "B", "", 43),  # no separator before B, so only the cushion sees it
    ("The answer is B", "B", "B", 22),  # first_capital says "T" here; 22 (" B" at the end) beats 31
    ("answer: c", "", "", None),  # lowercase is never an option
    ("", "", "", None),
    # --- Chinese forms ---
    ("答案是C", "C", "C", 1),
    ("答案：B", "B", "B", 2),  # the full-width colon is not \s, so 1 fails; 2 has "："
    ("答案:B", "B", "B", 3),  # ASCII colon glued to the letter
    ("答案: B", "B", "B", 22),  # 3 wants the letter right after ":", so the trailing " B" (22) decides
    ("答案应该是D", "D", "D", 4),
    ("答案应选A", "A", "A", 5),  # 4 needs 是 after 答案应(该)
    ("答案为 C", "C", "C", 6),
    ("答案选B", "B", "B", 7),
    ("因此选择 D", "D", "D", 8),
    ("只有选项B是错的", "B", "B", 10),  # 8 fails: 选 is followed by 项, not a letter
    ("说法不正确的是C", "C", "C", 14),
    ("B是正确的", "B", "B", 16),
    ("选项 C 正确", "C", "C", 18),
    ("所以答 A", "A", "A", 19),
    ("所以D。", "D", "D", 20),
    ("综上，即C。", "C", "C", 23),  # 22 needs the separator right before C; 23 allows 故/即 between
    ("显然A", "A", "A", 27),
    ("选项C", "C", "C", 36),  # anchored at the start of the text
    # --- the fused pattern 9 can still fire, and the whole match is read in options order ---
    ("故C只有A对", "A", "A", 9),  # both halves in a row; C comes first in the text, A first in "ABCD"
    ("只有A对", "A", "", 43),  # the "只有…对" half never stands alone
    # --- whole match (group 0), options order, and going on after a letterless match ---
    ("答案是(D或B)", "B", "B", 28),  # 28's \S+ takes "(D或B)"; B precedes D in "ABCD"
    ("Step 1B", "B", "B", 40),  # "." in "1." is any char: B is in the match but outside the capture group
    ("1、A", "A", "A", 40),  # 、 stands in for the unescaped "."
    (
        "答案是不确定。The answer is (B)",
        "B",
        "B",
        31,
    ),  # 28 matches "答案是不确定。" with no letter, so the search goes on
    # --- "$" inside [...] is a literal dollar ---
    ("所以A$", "A", "A", 20),  # [.。$] eats the dollar, then the real end anchor matches
    ("Pick B$ now", "B", "B", 38),  # 39 would need whitespace or the end after B; 38's class holds "$"
    # --- the text is not stripped ---
    (" 选项C", "C", "", 43),  # the leading space defeats ^选项 (36); nothing else before the cushion
    ("答案是\nC", "C", "C", 1),  # \s? crosses the newline
    # --- English forms ---
    ("The answer is (C)", "C", "C", 31),  # ")" at the end keeps 22 and 25 out
    ("the correct answer is option (D).", "D", "D", 34),
    ("C: yes", "C", "C", 38),  # ^C followed by ":" is in 38's class
    ("see fig#B#, choice=D: done", "D", "", 42),  # 42 ("X:") is tried before 43, which would give B
]


@pytest.mark.parametrize(("text", "with_cushion", "without_cushion", "decided_by"), ABCD_CASES)
def test_first_option_abcd(text, with_cushion, without_cushion, decided_by):
    assert first_option(text, "ABCD") == with_cushion
    assert first_option(text, "ABCD", cushion=True) == with_cushion
    assert first_option(text, "ABCD", cushion=False) == without_cushion


def _deciding_pattern(text: str, options: str) -> int | None:
    """1-based number of the pattern whose whole match first holds an option letter."""
    for number, pattern in enumerate(first_option_patterns(options, True), start=1):
        match = re.search(pattern, text)
        if match and any(letter in match.group(0) for letter in options):
            return number
    return None


@pytest.mark.parametrize(("text", "with_cushion", "without_cushion", "decided_by"), ABCD_CASES)
def test_deciding_pattern(text, with_cushion, without_cushion, decided_by):
    assert _deciding_pattern(text, "ABCD") == decided_by


@pytest.mark.parametrize(
    ("text", "options", "cushion", "expected"),
    [
        ("The answer is D", "ABC", True, ""),  # D is not an option, and no A/B/C appears anywhere
        ("The answer is D", "ABCD", True, "D"),
        ("Answer: D", "ABC", True, "A"),  # D is invisible, so the cushion finds the A of "Answer"
        ("Answer: D", "ABC", False, ""),
        ("Answer: D", "ABCD", False, "D"),  # 22 (" D" at the end)
        ("答案是D", "ABC", True, ""),
        ("答案是E", "ABCDE", True, "E"),
        ("The answer is E", "ABCD", True, ""),
        ("故C只有A对", "DCBA", True, "C"),  # the order of the options string picks among letters in one match
        ("答案是(D或B)", "DCBA", True, "D"),
    ],
)
def test_first_option_other_options(text, options, cushion, expected):
    assert first_option(text, options, cushion=cushion) == expected


def test_pattern_counts():
    assert len(FIRST_OPTION_TEMPLATES) == 41
    assert len(CUSHION_TEMPLATES) == 2
    assert len(first_option_patterns("ABCD")) == 41 + 2
    assert len(first_option_patterns("ABCD", cushion=False)) == 41
    assert first_option_patterns("ABCD", cushion=False) == first_option_patterns("ABCD")[:41]


def test_patterns_insert_options_verbatim():
    patterns = first_option_patterns("ABCD")
    assert patterns[0] == r"答案是?\s?([ABCD])"
    assert patterns[8] == r"故选?\s?([ABCD])只有选?项?\s?([ABCD])\s?是?对"  # the fused pair
    assert patterns[19] == r"所以\s?([ABCD][.。$]?$)"
    assert patterns[39] == r"1.\s?(.*?)$"
    assert patterns[40] == r"1.\s?([ABCD])[.。$]?$"
    assert patterns[41:] == (r"([ABCD]):", r"[ABCD]")
    assert all("{O}" not in pattern for pattern in patterns)
    assert first_option_patterns("XY")[-1] == "[XY]"


def test_all_patterns_compile():
    for pattern in first_option_patterns("ABCD"):
        re.compile(pattern)


def test_postprocessor_table():
    extract = POSTPROCESSORS["first_option"]
    assert extract("The answer is B") == "B"
    assert extract("Based on the passage") == "B"  # cushion on
    assert extract("The answer is E") == ""  # options are ABCD
    assert extract("故C只有A对") == "A"
    assert POSTPROCESSORS["first_capital"] is first_capital
    assert first_capital("The answer is B") == "T"  # unchanged
