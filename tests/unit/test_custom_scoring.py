"""How custom datasets are scored: OpenCompass's option matching (mcq gen) and the qa rules."""

from __future__ import annotations

import pytest

from pytest_llmeval.judging.scoring import RULES, option_sim
from pytest_llmeval.records import Question

LAW = ("A court of appeal", "A small claims court", "A tax tribunal")
SALT = ("葡萄糖", "氯化钠", "碳酸钙", "硫酸", "乙醇")


@pytest.mark.parametrize(
    ("prediction", "letters", "texts", "expected", "step"),
    [
        (" B\n", "ABC", LAW, "B", "1: the stripped output is a letter"),
        ("E", "ABCDE", SALT, "E", "1: a fifth option is a letter like any other"),
        ("答案是C。", "ABCDE", SALT, "C", "2: first_option pattern 答案是?"),
        ("The answer is (A).", "ABC", LAW, "A", "2: first_option pattern 'The answer is'"),
        ("I would say a court of appeal hears it", "ABC", LAW, "A", "3: one option's text appears"),
        ("应该是氯化钠吧", "ABCDE", SALT, "B", "3: one option's text appears (Chinese)"),
        ("a small claims court", "ABC", LAW, "B", "3: case-insensitive"),
        ("Pari", "ABC", ("London", "Paris", "Rome"), "B", "4: nearest by edit distance"),
        ("碳酸钠", "ABCDE", SALT, "C", "4: nearest by edit distance (Chinese)"),
        ("", "ABC", LAW, "A", "4: an empty output is nearest to 'A' (ties go to the earlier letter)"),
    ],
)
def test_option_matching_cascade(prediction, letters, texts, expected, step):
    assert option_sim(prediction, letters, texts) == expected, step


def test_no_cushion_in_the_regex_step():
    # first_option with its cushion would take the "B" of "Based"; the evaluator turns the cushion off, so the
    # option text decides instead.
    assert option_sim("Based on the facts, a tax tribunal", "ABC", LAW) == "C"


def test_two_texts_appearing_fall_through_to_edit_distance():
    texts = ("court", "appeal court", "tribunal")
    # "court" and "appeal court" both appear: step 3 cannot decide; "appeal court" is nearest.
    assert option_sim("appeal court", "ABC", texts) == "B"


def qa(answer: str) -> Question:
    return Question(
        0, "Capital of France?", (), answer, (("question", "Capital of France?"), ("answer", answer)), "answer"
    )


@pytest.mark.parametrize(
    ("rule", "prediction", "answer", "correct"),
    [
        ("exact", "Paris", "Paris", True),
        ("exact", " Paris", "Paris", False),  # OpenCompass's AccEvaluator: no stripping
        ("exact", "paris", "Paris", False),
        ("regex", "It is Paris.", r"\bParis\b", True),
        ("regex", "It is Parisian.", r"\bParis\b", False),
        ("regex", "PARIS", r"(?i)^paris$", True),
        ("list", " Roma\n", '["Rome", "Roma"]', True),
        ("list", "Milan", '["Rome", "Roma"]', False),
        ("list", "北京市", '["北京", "北京市"]', True),
    ],
)
def test_qa_rules(rule, prediction, answer, correct):
    _, judged = RULES[rule](prediction, qa(answer))
    assert judged is correct


def test_option_sim_rule_uses_the_rows_options():
    question = Question(0, "q", LAW, "A")
    assert RULES["option_sim"]("I think a court of appeal", question) == ("A", True)
    assert RULES["option_sim"]("a tax tribunal", question) == ("C", False)
