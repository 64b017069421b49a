"""Pairing a run with its baseline, and the verdict on it: exclusions named, Holm applied, lines as printed."""

from __future__ import annotations

import hashlib

import pytest

from pytest_llmeval.datasets.ceval import SUBJECT_BY_KEY
from pytest_llmeval.datasets.configs import CEVAL_GEN
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.judging.baseline import Baseline, BaselineSubject
from pytest_llmeval.judging.compare import OVERALL, RowChange, compare, subject_change
from pytest_llmeval.judging.stats import PairedChange, holm, mcnemar_exact
from pytest_llmeval.judging.summary import summarize
from pytest_llmeval.judging.verdict import change_line, judge, regressed
from pytest_llmeval.records import Outcome, SubjectResult
from pytest_llmeval.settings import Settings

SETTINGS = Settings(model=None, tokenizer=None, model_abbr="now")


def key(subject: str, number: int) -> str:
    return hashlib.sha256(f"{subject}/{number}".encode()).hexdigest()[:16]


def result(subject: str, verdicts: str, config: str = "ceval_gen") -> SubjectResult:
    """``verdicts``: one character per question, ``1`` right, ``0`` wrong."""
    outcomes = tuple(
        Outcome(i, "A", "A" if v == "1" else "B", "A", 5, 9, key=key(subject, i)) for i, v in enumerate(verdicts)
    )
    version = CEVAL_GEN.version(SUBJECT_BY_KEY[subject])
    return SubjectResult(config, f"ceval-{subject}", subject, version, outcomes, 1.0, "main")


def baseline(*subjects: tuple[str, str], version: str | None = None, settings: dict | None = None) -> Baseline:
    entries = {}
    for subject, verdicts in subjects:
        answers = {key(subject, i): (v == "1", "A" if v == "1" else "C") for i, v in enumerate(verdicts)}
        entries[f"ceval-{subject}"] = BaselineSubject(
            abbr=f"ceval-{subject}",
            config="ceval_gen",
            version=version or CEVAL_GEN.version(SUBJECT_BY_KEY[subject]),
            accuracy=100 * verdicts.count("1") / len(verdicts),
            answers=answers,
        )
    return Baseline("base.json", "main-model", "RUN", "0.1.0", settings or {}, entries)  # type: ignore[arg-type]


SPEC = make_spec("t", "ceval_gen", ["computer_network", "college_physics", "law"])


def by_abbr(*results: SubjectResult) -> dict[str, SubjectResult]:
    return {r.abbr: r for r in results}


def test_subjects_groups_and_holm():
    old = baseline(("computer_network", "1111111111"), ("college_physics", "1111100000"), ("law", "1010101010"))
    now = by_abbr(
        result("computer_network", "0000000011"),  # 8 right→wrong
        result("college_physics", "1111100000"),  # unchanged
        result("law", "1111101010"),  # 2 wrong→right
    )
    comparison = compare(old, [SPEC], now, SETTINGS)
    network = comparison.row("ceval-computer_network")
    assert (network.before, network.after, network.delta) == (100.0, 20.0, -80.0)
    assert (network.change.right_to_wrong, network.change.wrong_to_right) == (8, 0)
    stem = comparison.row("ceval-stem")  # computer_network and college_physics: pooled for the test
    assert stem.kind == "group" and (stem.change.right_to_wrong, stem.change.total) == (8, 20)
    assert stem.before == pytest.approx(75.0) and stem.after == pytest.approx(35.0)  # naive averages
    rows = {r.name: r for r in comparison.rows}
    assert sorted(rows) == sorted(
        [
            "ceval-computer_network",
            "ceval-college_physics",
            "ceval-law",
            "ceval-stem",
            "ceval-humanities",
            "ceval-hard",
            "ceval",
        ]
    )
    # ceval-humanities pairs exactly ceval-law's questions, ceval-hard college_physics': one test each, counted once.
    distinct = ["ceval-computer_network", "ceval-college_physics", "ceval-law", "ceval-stem", "ceval"]
    assert comparison.tests == 5
    expected = dict(zip(distinct, holm([rows[name].change.p_value for name in distinct])))
    expected |= {"ceval-humanities": expected["ceval-law"], "ceval-hard": expected["ceval-college_physics"]}
    assert {name: row.p_adjusted for name, row in rows.items()} == pytest.approx(expected)
    assert comparison.row(OVERALL) is None  # one dataset: its own top group is the overall row
    assert len(comparison.flips) == 10
    flip = comparison.flips[0]
    assert (flip.subject, flip.index, flip.direction, flip.before, flip.after) == (
        "ceval-computer_network",
        0,
        "right→wrong",
        "A",
        "B",
    )
    assert next(f for f in comparison.flips if f.subject == "ceval-law").direction == "wrong→right"


def test_one_side_only_and_changed_versions_are_named_and_left_out():
    old = baseline(("computer_network", "11111"), ("law", "111"), ("marxism", "11"))
    old = Baseline(
        old.path,
        old.model,
        old.run_id,
        old.plugin_version,
        {"max_out_len": 16},
        {**old.subjects, "ceval-law": BaselineSubject("ceval-law", "ceval_gen", "000000", 100.0, {})},
    )
    now = by_abbr(result("computer_network", "1111111"), result("law", "111"), result("college_physics", "1"))
    settings = Settings(model=None, tokenizer=None, model_abbr="now", max_out_len=32)
    comparison = compare(old, [SPEC], now, settings)
    assert [r.name for r in comparison.rows] == ["ceval-computer_network"]  # no group: not all members compared
    assert comparison.row("ceval-computer_network").change.total == 5
    assert comparison.notes == (
        "settings differ from the baseline's (answers may change for that reason alone): max_out_len 16 → 32",
        "ceval-computer_network: 2 question(s) only in this run, 0 only in the baseline: compared on the 5 in both",
        "ceval-college_physics: not in the baseline (a new subject): not compared",
        (
            "ceval-law: version 000000 in the baseline, a110a1 now (its prompts or data changed): not compared; "
            "re-save the baseline"
        ),
        "1 baseline subject(s) did not run here and are not compared (ceval-marxism)",
    )
    assert subject_change(old, now["ceval-law"]) is None


def test_nothing_comparable_fails_the_gate_as_unchecked():
    old = baseline(("law", "111"), version="000000")
    now = by_abbr(result("law", "111"))
    comparison = compare(old, [make_spec("t", "ceval_gen", ["law"])], now, SETTINGS)
    verdict = judge(summarize([make_spec("t", "ceval_gen", ["law"])], now), now, comparison=comparison)
    assert verdict.baseline_unchecked == "no subject of this run could be compared with the baseline base.json"
    assert verdict.fails_run and not verdict.passed


def test_overall_row_spans_datasets():
    old = baseline(("law", "11"), ("marxism", "11"))
    law, marxism = result("law", "00"), result("marxism", "11", config="ceval_gen_other")
    specs = [make_spec("t", "ceval_gen", ["law"])]
    comparison = compare(old, specs, by_abbr(law), SETTINGS)
    assert comparison.row(OVERALL) is None
    old_marxism = old.subjects["ceval-marxism"]
    moved = Baseline(
        old.path, old.model, old.run_id, old.plugin_version, {},
        {**old.subjects, "ceval-marxism": BaselineSubject(
            "ceval-marxism", "ceval_gen_other", old_marxism.version, 100.0, old_marxism.answers)},
    )  # fmt: skip
    specs = [make_spec("t", "ceval_gen", ["law", "marxism"])]
    overall = compare(moved, specs, by_abbr(law, marxism), SETTINGS).row(OVERALL)
    assert overall is not None and (overall.before, overall.after, overall.change.right_to_wrong) == (100.0, 50.0, 2)


def row(before: float, after: float, b: int, c: int, p: float) -> RowChange:
    return RowChange("ceval", "group", before, after, PairedChange(1346, 0, 0, b, c), p)


def test_failure_line_reads_as_documented():
    line = change_line(row(40.39, 36.10, 31, 9, mcnemar_exact(31, 9)))
    assert line == "ceval: 40.39 → 36.10 (-4.29 pts, 31 right→wrong, 9 wrong→right, p=0.0007)"
    assert change_line(row(50, 40, 25, 0, 6.6e-7)).endswith("p=6.6e-07)")


@pytest.mark.parametrize(
    ("before", "after", "p", "fails"),
    [
        (40.0, 36.0, 0.001, True),  # worse, beyond the allowed drop, significant
        (40.0, 39.5, 0.001, False),  # significant but within --llm-max-drop
        (40.0, 30.0, 0.2, False),  # large but chance could explain it
        (40.0, 50.0, 0.001, False),  # better is never a failure
    ],
)
def test_a_gate_needs_both_a_real_drop_and_significance(before, after, p, fails):
    assert regressed(row(before, after, 5, 1, p), max_drop=1.0, alpha=0.05) is fails
