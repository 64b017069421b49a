"""The summary table and its verdicts, built from hand-made results (spec §2.5, §5)."""

from __future__ import annotations

import json

import pytest

from pytest_llmeval.datasets.ceval import SUBJECT_BY_KEY, SUBJECTS
from pytest_llmeval.datasets.configs import CEVAL_GEN
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.judging.summary import Row, summarize
from pytest_llmeval.judging.verdict import (
    group_failure,
    judge,
    not_run_lines,
    skipped_gates,
    subject_failure,
    threshold_failed,
    unchecked_gates,
)
from pytest_llmeval.records import Outcome, SubjectResult, WorkerStats

GROUP_ORDER = ["ceval-stem", "ceval-social-science", "ceval-humanities", "ceval-other", "ceval-hard", "ceval"]


def result(key: str, correct: int, total: int) -> SubjectResult:
    outcomes = tuple(
        Outcome(index=i, prediction=" A", answer="A" if i < correct else "B", gold="A", shots=5, prompt_tokens=300 + i)
        for i in range(total)
    )
    return SubjectResult(
        config="ceval_gen",
        abbr=f"ceval-{key}",
        subject=key,
        version=CEVAL_GEN.version(SUBJECT_BY_KEY[key]),
        outcomes=outcomes,
        seconds=1.5,
        worker="gw0",
    )


def by_abbr(*results: SubjectResult) -> dict[str, SubjectResult]:
    return {r.abbr: r for r in results}


def test_accuracy_is_the_float_opencompass_writes():
    assert result("computer_network", 9, 19).accuracy == 47.368421052631575
    assert result("law", 0, 3).accuracy == 0.0
    assert result("law", 0, 0).accuracy == 0.0  # no questions: no ZeroDivisionError


def test_subject_result_json_round_trip():
    original = result("law", 2, 3)
    data = json.loads(json.dumps(original.to_json()))
    assert (data["accuracy"], data["correct"], data["total"]) == (original.accuracy, 2, 3)
    assert data["outcomes"][2]["correct"] is False
    assert SubjectResult.from_json(data) == original


def test_worker_stats_json_round_trip():
    stats = WorkerStats(
        worker="gw1", devices="2,3", model_loads=1, load_seconds=4.25, questions=10, generate_seconds=4.0
    )
    data = json.loads(json.dumps(stats.to_json()))
    assert data["questions_per_second"] == 2.5
    assert WorkerStats.from_json(data) == stats
    idle = WorkerStats(worker="main", devices="", model_loads=0, load_seconds=0.0, questions=0, generate_seconds=0.0)
    assert idle.questions_per_second == 0.0


def test_all_52_rows_in_declared_order_then_groups():
    spec = make_spec("t", "ceval_gen")
    results = by_abbr(*(result(s.key, i % 4, 4) for i, s in enumerate(SUBJECTS)))
    summary = summarize([spec], results)
    assert [row.name for row in summary.subject_rows] == [f"ceval-{s.key}" for s in SUBJECTS]
    assert [row.name for row in summary.group_rows] == GROUP_ORDER
    assert [row.detail for row in summary.group_rows] == [
        "20 subjects",
        "10 subjects",
        "11 subjects",
        "11 subjects",
        "8 subjects",
        "52 subjects",
    ]
    overall = summary.group_rows[-1]
    assert overall.value == pytest.approx(sum(r.accuracy for r in results.values()) / 52)
    assert summary.rows == summary.subject_rows + summary.group_rows


def test_group_value_is_unweighted_mean_of_subject_accuracies():
    spec = make_spec("t", "ceval_gen", ["law", "college_physics", "computer_network"])
    summary = summarize(
        [spec], by_abbr(result("computer_network", 1, 2), result("college_physics", 3, 4), result("law", 1, 4))
    )
    # Declared order is table order, not the order given or the order of results.
    names = [row.name for row in summary.subject_rows]
    assert names == ["ceval-computer_network", "ceval-college_physics", "ceval-law"]
    values = {row.name: row.value for row in summary.group_rows}
    # stem: (50 + 75) / 2, not the pooled 4/6 = 66.67
    assert values == {"ceval-stem": 62.5, "ceval-humanities": 25.0, "ceval-hard": 75.0, "ceval": 50.0}
    assert [row.name for row in summary.group_rows] == ["ceval-stem", "ceval-humanities", "ceval-hard", "ceval"]
    row = summary.subject_rows[0]
    assert (row.version, row.metric, row.mode, row.detail) == ("db9ce2", "accuracy", "gen", "1/2")


def test_missing_member_leaves_group_without_value():
    spec = make_spec("t", "ceval_gen", ["computer_network", "law", "college_physics"])
    summary = summarize([spec], by_abbr(result("computer_network", 1, 2), result("college_physics", 3, 4)))
    law = summary.subject_rows[2]
    assert (law.name, law.value, law.version, law.detail) == ("ceval-law", None, "-", "not run")
    groups = {row.name: row for row in summary.group_rows}
    assert groups["ceval-stem"].value == 62.5
    assert (groups["ceval-humanities"].value, groups["ceval-humanities"].detail) == (None, "0/1 subjects ran")
    assert (groups["ceval"].value, groups["ceval"].detail) == (None, "2/3 subjects ran")


def test_csv_cells_for_present_and_missing_rows():
    spec = make_spec("t", "ceval_gen", ["computer_network", "law"])
    summary = summarize([spec], by_abbr(result("computer_network", 9, 19)))
    assert [row.csv_cells() for row in summary.rows] == [
        ["ceval-computer_network", "db9ce2", "accuracy", "gen", "47.37"],
        ["ceval-law", "-", "-", "-", "-"],
        ["ceval-stem", "-", "naive_average", "gen", "47.37"],
        ["ceval-humanities", "-", "-", "-", "-"],
        ["ceval", "-", "-", "-", "-"],
    ]


def test_subject_failure_sentence():
    accountant = result("accountant", 19, 49)
    assert subject_failure(accountant, 45.0) == "ceval-accountant: accuracy 38.78 < 45.00 (19/49 correct)"
    assert subject_failure(accountant, None) is None
    assert subject_failure(accountant, 38.0) is None
    assert subject_failure(result("law", 1, 2), 50.0) is None  # equal to the minimum passes


def test_group_failure_and_unchecked_gates():
    spec = make_spec(
        "t",
        "ceval_gen",
        ["computer_network", "college_physics", "law"],
        {"ceval-stem": 70, "ceval-hard": 75, "ceval-humanities": 10, "ceval": 1},
    )
    summary = summarize([spec], by_abbr(result("computer_network", 1, 2), result("college_physics", 3, 4)))
    verdict = judge(summary, by_abbr(result("computer_network", 1, 2), result("college_physics", 3, 4)))
    assert verdict.group_failures == ("ceval-stem: average 62.50 < 70.00 (naive average of 2 subjects)",)
    assert verdict.fails_run and not verdict.passed and verdict.failed_rows == {"ceval-stem"}
    assert (
        unchecked_gates(summary)
        == list(verdict.unchecked)
        == [
            "ceval-humanities: threshold 10.00 not checked (0/1 subjects ran)",
            "ceval: threshold 1.00 not checked (2/3 subjects ran)",
        ]
    )
    hard = next(row for row in summary.group_rows if row.name == "ceval-hard")
    assert hard.minimum == 75.0 and not threshold_failed(hard.value, hard.minimum) and group_failure(hard) is None


@pytest.mark.parametrize(
    ("value", "minimum", "failed"),
    [(40.0, 45.0, True), (45.0, 45.0, False), (None, 45.0, False), (10.0, None, False)],
)
def test_row_failed(value, minimum, failed):
    row = Row("ceval", "-", "naive_average", "gen", value, minimum, "52 subjects")
    assert threshold_failed(row.value, row.minimum) is failed
    expected = "ceval: average 40.00 < 45.00 (naive average of 52 subjects)" if failed else None
    assert group_failure(row) == expected


@pytest.mark.parametrize(
    ("value", "minimum", "shown"),
    [
        (38.775510204081634, 45.0, "38.78 < 45.00"),
        (44.999, 45.0, "44.999 < 45.000"),  # rounds to 45.00: more digits show why the gate failed
        (44.99999999, 45.0, "44.99999999 < 45.00000000"),
    ],
)
def test_a_failed_gate_never_reads_as_equal_numbers(value, minimum, shown):
    from pytest_llmeval.judging.verdict import below

    assert below(value, minimum) == shown


# --- items that did not run: listed one line per reason; the gates they leave unchecked fail the run ---------

CODE = "model-written code needs --llm-allow-code-exec (ini llm_allow_code_exec = true)"
MARKER = "skipped by a marker in conftest.py"


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
    assert strict.gate_failed and not accepted.gate_failed
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
