"""Names that become files and terminal text: what is refused, and how model output is shown."""

from __future__ import annotations

import pytest

from pytest_llmeval.judging.verdict import subject_failure, unanswered
from pytest_llmeval.names import literal, name_problem
from pytest_llmeval.records import Outcome, SubjectResult


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("ceval-law", None),
        ("[bold red]exam", None),  # brackets are text: shown literally, never refused
        ("מבחן", None),  # right-to-left letters are ordinary text
        ("exam\u200cname", None),  # a zero-width non-joiner belongs to Persian words
        ("", "it is empty"),
        ("../up", "it holds a path separator"),
        ("a\\b", "it holds a path separator"),
        (".hidden", "it starts with a dot"),
        ("exam\x1b[2J", "it holds a control character"),
        ("exam\x9b2J", "it holds a control character"),  # the one-byte C1 form of ESC [
        ("exam\u202e", "it holds a control character"),
        ("x" * 201, "it is longer than 200 characters"),
    ],
)
def test_name_problem(name, problem):
    assert name_problem(name) == problem


def test_literal_spells_out_what_a_terminal_would_act_on():
    assert literal("A\x1b[31m\u202eB\n") == "'A\\x1b[31m\\u202eB\\x0a'"
    assert literal("[bold red]答案 A") == "'[bold red]答案 A'"
    assert literal("x" * 70) == "'" + "x" * 60 + "…'"


def result(*predictions: str, answers: tuple[str, ...] = ()) -> SubjectResult:
    outcomes = tuple(Outcome(i, text, answers[i] if answers else "", "A", 5, 9) for i, text in enumerate(predictions))
    return SubjectResult("ceval_gen", "ceval-law", "law", "a110a1", outcomes, 1.0, "main")


def test_a_failure_line_says_when_no_answer_could_be_read():
    assert subject_failure(result("", " "), 50.0) == (
        "ceval-law: accuracy 0.00 < 50.00 (0/2 correct); every prediction is empty: the model ended at once "
        "or emitted only special tokens (check --llm-hf-type and the chat template)"
    )
    assert unanswered(result("\ufffd\ufffd", "")) == (
        "no answer found in any prediction, e.g. '\ufffd\ufffd' (\ufffd stands for bytes that are not UTF-8)"
    )
    assert unanswered(result("\x1b[2J", "?")) == "no answer found in any prediction, e.g. '\\x1b[2J'"
    # An option matcher may pick a closest option even for an empty answer: the hint still applies.
    assert unanswered(result("", "", answers=("B", "C"))).startswith("every prediction is empty")
    assert unanswered(result("B", "x", answers=("B", ""))) is None
