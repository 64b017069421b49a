"""Code suites' judging: the program a completion makes, consent, MBPP's categories and the terminal line."""

from __future__ import annotations

import pytest

from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.judging.programs import judge_programs, mbpp_category, mbpp_counts, program_of, programs_line
from pytest_llmeval.records import Outcome, Question


def humaneval_problem() -> Question:
    columns = (
        ("task_id", "HumanEval/0"),
        ("prompt", "def one():\n"),
        ("entry_point", "one"),
        ("canonical_solution", "    return 1\n"),
        ("test", "\n\ndef check(candidate):\n    assert candidate() == 1\n"),
    )
    return Question(0, "def one():\n", (), "HumanEval/0", columns, "task_id")


def mbpp_problem() -> Question:
    tests = "assert one() == 1"
    columns = (("text", "Return one."), ("test_list", tests), ("test_list_2", tests))
    return Question(0, "Return one.", (), tests, columns, "test_list_2")


def test_a_humaneval_program_is_prompt_completion_tests_and_the_check_call():
    code, program = program_of("humaneval", humaneval_problem(), "```python\ndef one():\n    return 1\n```")
    assert code == "    return 1"
    assert program == "def one():\n    return 1\n\n\ndef check(candidate):\n    assert candidate() == 1\n\ncheck(one)"


def test_an_mbpp_program_is_the_answer_between_its_markers_then_the_asserts():
    code, program = program_of("mbpp", mbpp_problem(), " 'def one():\r\n    return 1' \n[DONE] \n\n You are")
    assert code == "def one():\r\n    return 1"
    assert program == "def one():\r\n    return 1\nassert one() == 1"


def test_nothing_runs_without_consent():
    with pytest.raises(LlmEvalError, match="pass --llm-allow-code-exec"):
        judge_programs("mbpp", [mbpp_problem()], ["import os; os.system('true')"], allowed=False)


@pytest.mark.parametrize(
    ("ran", "category"),
    [
        ("passed", "pass"),
        ("timed out", "timeout"),
        ("failed: AssertionError", "wrong_answer"),
        ("failed: AssertionError: 2 != 1", "wrong_answer"),
        ("failed: AssertionErrorLike: x", "failed"),
        ("failed: SyntaxError: invalid syntax (program.py, line 1)", "failed"),
        ("failed: SystemExit: 0", "failed"),
        ("killed: exit 0 without a report", "failed"),  # upstream's scoring raises here
    ],
)
def test_mbpp_categories_are_mbpp_evaluator_s(ran: str, category: str):
    assert mbpp_category(ran) == category


def outcome(ran: str) -> Outcome:
    return Outcome(0, "", "", "", 0, 0, judged=ran == "passed", ran=ran)


def test_mbpp_counts_come_in_the_evaluator_s_order():
    ran = ["passed", "failed: AssertionError", "passed", "timed out", "failed: NameError: name 'x' is not defined"]
    counts = mbpp_counts([outcome(r) for r in ran])
    assert list(counts.items()) == [("pass", 2), ("timeout", 1), ("failed", 1), ("wrong_answer", 1)]


def test_the_programs_line_counts_outcomes_and_names_the_commonest_failures():
    ran = [
        "passed",
        "failed: AssertionError",
        "failed: NameError: name 'x' is not defined",
        "failed: AssertionError: no",
        "timed out",
        "killed: signal SIGKILL",
    ]
    assert programs_line("mbpp", [outcome(r) for r in ran]) == (
        "mbpp programs: 1 passed, 3 failed (AssertionError 2, NameError 1), 1 timed out, 1 killed"
    )
    assert programs_line("ceval-law", [Outcome(0, "A", "A", "A", 5, 100)]) is None
