"""Property tests of the early-stop rules: once ``fixed(t)`` holds, no continuation may change the extracted answer.

For every rule in ``STOPS``: random texts built from the pieces each extraction function reacts to, hand-written
adversarial continuations on hand-built final prefixes, and monotonicity (a final text stays final when extended).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_llmeval.judging.reasoning import (
    bbh_freeform_postprocess,
    bbh_mcq_postprocess,
    gsm8k_postprocess,
    math_postprocess,
)
from pytest_llmeval.judging.scoring import first_capital
from pytest_llmeval.judging.stopping import STOPS

# The extraction function each stop rule guards.
EXTRACT = {
    "first_capital": first_capital,
    "gsm8k": gsm8k_postprocess,
    "math": math_postprocess,
    "bbh_mcq": bbh_mcq_postprocess,
    "bbh_freeform": bbh_freeform_postprocess,
}

# Pieces the extraction functions react to, plus fragments that can complete a marker across the boundary between a
# text and its continuation ("answer i" + "s ", "Quest" + "ion:", "final ans" + "wer").
TOKENS = [
    "Question:",
    "Quest",
    "ion:",
    "question:",
    "answer is ",
    "answer i",
    "s ",
    "The answer is ",
    "answer is",
    "answer",
    " is ",
    "final answer",
    "Final Answer",
    "FINAL ANSWER",
    "final ans",
    "wer",
    "The final answer is ",
    "(",
    ")",
    "A",
    "B",
    "b",
    "(C)",
    "(d)",
    ".",
    "..",
    "\n",
    "\n\n",
    " ",
    "  ",
    "\t",
    "\r",
    "\u2028",
    "\u00a0",
    "12",
    "-3",
    "4.5",
    "0",
    ",",
    "x",
    "ß",
    "\u00e4",
    "\u0130",  # Turkish dotted capital I: lower() gives two characters
    "\u0664",  # an Arabic-Indic digit (\d matches it)
    "$",
    "\\boxed{",
    "}",
    "\\frac",
    "\\dfrac",
    "{",
    "=",
    ":",
    "Yes",
    "No",
    "So ",
    "<|im_end|>\n",
]

pieces = st.lists(st.sampled_from(TOKENS), max_size=14).map("".join)

# Continuations that try hardest to change an answer: a second marker, a new question, a later final answer, more
# digits, closing or opening parentheses, blank lines, trailing spaces and periods, and fragments that complete a
# marker begun at the end of the prefix.
NASTY_SUFFIXES = [
    "",
    " answer is (B).",
    "answer is (B).",
    "s (B).",
    "s 7.",
    "s 99\n",
    "\nQuestion: 99",
    "Question: 99",
    "ion: 5",
    ". The final answer is 7.",
    ".",
    "..",
    "0",
    "5",
    ".5",
    ")",
    "(C)",
    "(",
    "C",
    "\n",
    "\n\n",
    "   ",
    " .",
    " \n",
    "\nQ: next (D)",
    "wer is 8.",
    "x",
    "\u0664\u0665",
    "final answer is 3.",
    "Final Answer: The final answer is $9$.",
    "\\boxed{5}",
    "<|im_end|>\n",
]

# Hand-built prefixes that each rule must call final (and the extraction answer they must keep).
FIXED_PREFIXES = {
    "first_capital": ["The", "so A", "\u00c4h", "answer: B", "\u0130"],
    "gsm8k": [
        "The answer is 18\nQuestion:",
        "12 then Question:",
        "Question:",
        "no number Question: 5",
        "The answer is 7\nQuestion: 8",
    ],
    "math": [
        "Final Answer: The final answer is $24$.",
        "The final answer is $2.",
        "final answer.",
        "We get 3. The FINAL ANSWER is 4. I hope",
        "The final answer is $\\boxed{5}$. I hope it is correct.",
    ],
    "bbh_mcq": [
        "So the answer is (A",
        "So the answer is (A).",
        "So the answer is  (B) and (C)",
        "So the answer is x answer is ",
        "So the answer is no. The answer is ",
        "So the answer is (D).\n\nQ: answer i",
        "Options (C). So the answer is (A",
    ],
    "bbh_freeform": [
        "So the answer is 24.\n",
        "So the answer is 24.\n\nQ:",
        "So the answer is 5 \nQ",
        "So the answer is ] ] >.\n",
        "So the answer is 3. And the answer is ",
        "So the answer is \n\n Yes.\n",
        "So the answer is No.\nanswer i",
    ],
}

PROFILE = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("rule", sorted(STOPS))
@PROFILE
@given(text=pieces, continuation=pieces)
@example(text="So the answer is 5 \nanswer i", continuation="s 6")
@example(text="So the answer is (A answer i", continuation="s (B)")
@example(text="The final answer is $2.", continuation="5$.")
def test_random_continuations_never_change_a_final_answer(rule, text, continuation):
    fixed, extract = STOPS[rule].fixed, EXTRACT[rule]
    if fixed(text):
        assert extract(text + continuation) == extract(text)
        assert fixed(text + continuation)  # monotone: a final text stays final


@pytest.mark.parametrize("rule", sorted(STOPS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(head=pieces, tail=pieces, continuation=pieces)
def test_random_texts_around_the_triggers(rule, head, tail, continuation):
    # Force a trigger into the middle of the text so the "fixed" branch is exercised often, not only by chance.
    trigger = {
        "first_capital": "Q",
        "gsm8k": "Question:",
        "math": "final answer.",
        "bbh_mcq": "answer is (",
        "bbh_freeform": "answer is ",
    }[rule]
    text = head + trigger + tail
    fixed, extract = STOPS[rule].fixed, EXTRACT[rule]
    if fixed(text):
        assert extract(text + continuation) == extract(text)
        assert fixed(text + continuation)


@pytest.mark.parametrize(
    ("rule", "prefix"), [(rule, prefix) for rule, prefixes in FIXED_PREFIXES.items() for prefix in prefixes]
)
def test_adversarial_continuations_on_final_prefixes(rule, prefix):
    fixed, extract = STOPS[rule].fixed, EXTRACT[rule]
    assert fixed(prefix), f"{rule} should call {prefix!r} final"
    answer = extract(prefix)
    for first in NASTY_SUFFIXES:
        for second in NASTY_SUFFIXES:
            assert extract(prefix + first + second) == answer, (prefix, first + second)
            assert fixed(prefix + first + second)


# Texts each rule must NOT call final, because some continuation would still change the answer.
NOT_FIXED = {
    "first_capital": ["", "all lower case 12 ß", "\u00e4"],
    "gsm8k": ["The answer is 18", "question: 5", "Quest", "The answer is 18\nQuestion"],
    "math": ["The final answer is $24$", "final answer", "It is 4. final", "Final Answer: 24\n"],
    "bbh_mcq": [
        "(A) is right",
        "So the answer is A.",
        "So the answer is (b).",
        "So the answer is",
        "So the answer is: (A)",
    ],
    "bbh_freeform": [
        "So the answer is 24.",
        "So the answer is 5 \n",  # "Q" next keeps "5 ", nothing next gives "5"
        "So the answer is \n\n",  # the answer has not begun
        "So the answer is 5 \nanswer i",  # "s 6" would cut the window to "5 \n" and give "5", not "5 "
        "The answer is: No.\n",
    ],
}


@pytest.mark.parametrize(("rule", "text"), [(rule, text) for rule, texts in NOT_FIXED.items() for text in texts])
def test_not_final_yet(rule, text):
    assert not STOPS[rule].fixed(text)


def test_the_unfinished_marker_case_really_changes_the_answer():
    # Why bbh_freeform waits on "...\nanswer i": the continuation completes a second marker inside the window.
    text = "So the answer is 5 \nanswer i"
    assert bbh_freeform_postprocess(text) == "5 "
    assert bbh_freeform_postprocess(text + "s 6") == "5"


def test_rules_without_a_guarantee_are_absent():
    assert set(STOPS) == {"first_capital", "gsm8k", "math", "bbh_mcq", "bbh_freeform"}
    for name in ("first_option", "option_sim", "exact", "regex", "list", "math_v2", "theoremqa"):
        assert name not in STOPS


def test_each_rule_is_named_for_its_key():
    for key, rule in STOPS.items():
        assert rule.name == key
