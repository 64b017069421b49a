"""Under pytest-xdist: one model per worker, one combined report, the same numbers as a single process."""

from __future__ import annotations

import json
from pathlib import Path


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def snapshot(run: Path) -> dict:
    """Everything a run decided, minus what legitimately differs between runs (times, workers, run id)."""
    record = read_json(run / "llmeval.json")
    (csv_file,) = (run / "summary").glob("summary_*.csv")
    return {
        "csv": csv_file.read_text(encoding="utf-8"),
        "predictions": {p.name: read_json(p) for p in sorted((run / "predictions").rglob("*.json"))},
        "results": {p.name: read_json(p) for p in sorted((run / "results").rglob("*.json"))},
        "outcomes": {s["abbr"]: s["outcomes"] for s in record["subjects"]},
        "table": record["table"],
    }


def test_two_workers_equal_one_process(run_llm, tiny_model, last_run):
    single = run_llm(tiny_model, "-p", "no:xdist")
    assert single.ret == 0, single.stdout.str()
    one = last_run()
    parallel = run_llm(tiny_model, "-n", "2")
    assert parallel.ret == 0, parallel.stdout.str()
    two = last_run()
    assert one != two
    assert snapshot(one) == snapshot(two)

    assert read_json(one / "llmeval.json")["model_loads"] == 1
    record = read_json(two / "llmeval.json")
    assert record["model_loads"] == 2
    assert sorted(w["worker"] for w in record["workers"]) == ["gw0", "gw1"]
    assert all(w["model_loads"] == 1 for w in record["workers"])
    assert {s["worker"] for s in record["subjects"]} == {"gw0", "gw1"}
    out = parallel.stdout.str()
    assert out.count("llmeval summary") == 1, "only the controller prints the table"
    parallel.stdout.re_match_lines([r"gw0: devices .*1 model load\(s\).*questions/s\)", r"gw1: devices .*"])


def test_overall_threshold_fails_under_two_workers(project, run_llm, untrained_model):
    project.path.joinpath("llmeval_sample.toml").write_text(
        '[[dataset]]\nconfig = "ceval_gen"\nsubjects = ["law", "marxism", "accountant"]\n'
        "[dataset.thresholds]\nceval = 95.0\n",
        encoding="utf-8",
    )
    result = run_llm(untrained_model, "-n", "2")
    assert result.ret == 1
    result.assert_outcomes(passed=3)
    result.stdout.re_match_lines(
        [r"llmeval gate FAILED: 1 group threshold\(s\) not met.*", r"  ceval: average \d+\.\d\d < 95\.00 .*"]
    )


def test_n_auto_without_gpus_runs_one_worker(run_llm, untrained_model, last_run):
    result = run_llm(untrained_model, "-n", "auto", "-k", "law")
    assert result.ret == 1  # the untrained model fails law's threshold
    result.stdout.fnmatch_lines(["*-n auto: no GPU found, running one worker*"])
    assert [w["worker"] for w in read_json(last_run() / "llmeval.json")["workers"]] == ["gw0"]


def test_longest_subjects_are_collected_first(project, run_llm, untrained_model):
    """Items are ordered by estimated prompt length, so xdist hands out the long subjects first."""
    from pytest_llmeval.demo import SAMPLE_DATA
    from pytest_llmeval.plan import plan_subjects
    from pytest_llmeval.suite import parse_suite

    (spec,) = parse_suite(project.path / "llmeval_sample.toml")
    plans = plan_subjects(spec, SAMPLE_DATA, None)
    expected = [plan.abbr for plan in sorted(plans, key=lambda plan: -plan.cost)]
    result = run_llm(untrained_model, "--collect-only", "-q")
    collected = [line.rsplit("::", 1)[1] for line in result.stdout.lines if "::" in line]
    assert collected == expected
    assert collected != [plan.abbr for plan in plans], "the sample's table order is not already longest-first"
