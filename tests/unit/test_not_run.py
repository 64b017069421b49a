"""Items that did not run: listed one line per reason, and the gates they leave unchecked fail the run."""

from __future__ import annotations

from pytest_llmeval.datasets.ceval import SUBJECT_BY_KEY
from pytest_llmeval.datasets.configs import CEVAL_GEN
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.judging.summary import summarize
from pytest_llmeval.judging.verdict import judge, not_run_lines, skipped_gates
from pytest_llmeval.records import Outcome, SubjectResult

CODE = "model-written code needs --llm-allow-code-exec (ini llm_allow_code_exec = true)"
MARKER = "skipped by a marker in conftest.py"


def result(key: str, correct: int, total: int) -> SubjectResult:
    outcomes = tuple(
        Outcome(index=i, prediction=" A", answer="A" if i < correct else "B", gold="A", shots=5, prompt_tokens=300)
        for i in range(total)
    )
    return SubjectResult(
        config="ceval_gen",
        abbr=f"ceval-{key}",
        subject=key,
        version=CEVAL_GEN.version(SUBJECT_BY_KEY[key]),
        outcomes=outcomes,
        seconds=1.0,
        worker="main",
    )


def test_one_line_per_reason_in_the_order_items_were_met():
    not_run = {"openai_humaneval": CODE, "ceval-law": MARKER, "mbpp": CODE}
    assert not_run_lines(not_run) == [f"openai_humaneval, mbpp: not run — {CODE}", f"ceval-law: not run — {MARKER}"]


def test_subject_group_and_baseline_rows_left_unchecked_are_named():
    spec = make_spec(
        "t", "ceval_gen", ["computer_network", "law"], {"ceval-law": 50, "ceval-humanities": 10, "ceval": 5}
    )
    ran = {"ceval-computer_network": result("computer_network", 2, 2)}
    summary = summarize([spec], ran)
    lines = skipped_gates(summary, {"ceval-law": MARKER}, baseline_rows=("ceval-law", "ceval-accountant"))
    assert lines == [
        f"ceval-law: threshold 50.00 not checked: ceval-law not run — {MARKER}",
        f"ceval-humanities: threshold 10.00 not checked: ceval-law not run — {MARKER}",
        f"ceval: threshold 5.00 not checked: ceval-law not run — {MARKER}",
        f"ceval-law: baseline row not compared: ceval-law not run — {MARKER}",
    ]


def test_an_unchecked_gate_fails_the_run_unless_a_partial_run_is_accepted():
    spec = make_spec("t", "ceval_gen", ["computer_network", "law"], {"ceval-law": 50})
    ran = {"ceval-computer_network": result("computer_network", 2, 2)}
    summary = summarize([spec], ran)
    strict = judge(summary, ran, not_run={"ceval-law": MARKER})
    assert not strict.passed and strict.fails_run and strict.complete
    assert strict.not_run == (f"ceval-law: not run — {MARKER}",)
    assert f"ceval-law: threshold 50.00 not checked: ceval-law not run — {MARKER}" in strict.lines()
    accepted = judge(summary, ran, not_run={"ceval-law": MARKER}, allow_skip=True)
    assert accepted.passed and not accepted.fails_run and accepted.skipped_gates == strict.skipped_gates
    assert accepted.lines() == []


def test_an_item_without_a_gate_is_listed_but_fails_nothing():
    spec = make_spec("t", "ceval_gen", ["computer_network", "law"], {"ceval-computer_network": 50})
    ran = {"ceval-computer_network": result("computer_network", 2, 2)}
    verdict = judge(summarize([spec], ran), ran, not_run={"ceval-law": CODE})
    assert verdict.passed and verdict.not_run == (f"ceval-law: not run — {CODE}",) and not verdict.skipped_gates


def test_deselected_subjects_gate_nothing():
    """-k/-m left ceval-law out: its group threshold is a note, as before, never a failure."""
    spec = make_spec("t", "ceval_gen", ["computer_network", "law"], {"ceval": 5})
    ran = {"ceval-computer_network": result("computer_network", 2, 2)}
    verdict = judge(summarize([spec], ran, selected={"ceval-computer_network"}), ran)
    assert verdict.passed and not verdict.skipped_gates and verdict.unchecked
