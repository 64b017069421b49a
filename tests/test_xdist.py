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


def test_datasets_option_under_two_workers_equals_one_process(all_subjects_project, run_llm, tiny_model, last_run):
    """--llm-datasets ceval_gen (no suite file): all 52 subjects give the same results with -n 2 as with -n 0."""
    args = ("--llm-datasets", "ceval_gen", "--llm-limit", "1", "--llm-max-out-len", "2")
    single = run_llm(tiny_model, *args, "-p", "no:xdist")
    assert single.ret == 0, single.stdout.str()
    single.assert_outcomes(passed=52)
    one = last_run()
    parallel = run_llm(tiny_model, *args, "-n", "2")
    assert parallel.ret == 0, parallel.stdout.str()
    parallel.assert_outcomes(passed=52)
    two = last_run()
    assert one != two
    assert snapshot(one) == snapshot(two)
    assert len(read_json(two / "llmeval.json")["subjects"]) == 52
    assert read_json(one / "llmeval.json")["model_loads"] == 1
    assert read_json(two / "llmeval.json")["model_loads"] == 2


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
    """Items are collected longest prompts first, so xdist hands out the long subjects first."""
    # Every subject gets the same five shots and two questions that differ only in length, by far more than the
    # subject names in the prompt headers do: the longest-first order is known by construction.
    lengths = {"marxism": 400, "accountant": 300, "computer_network": 200, "law": 100, "high_school_physics": 1}
    root = project.path / "data" / "ceval" / "formal_ceval"
    for subject, length in lengths.items():
        dev = ["id,question,A,B,C,D,answer,explanation"] + [f"{i},例题{i},甲,乙,丙,丁,A,说明" for i in range(5)]
        question = "一道很长的题目。" * length
        val = ["id,question,A,B,C,D,answer"] + [f"{i},{question},甲,乙,丙,丁,B" for i in range(2)]
        (root / "dev" / f"{subject}_dev.csv").write_text("\r\n".join(dev) + "\r\n", encoding="utf-8")
        (root / "val" / f"{subject}_val.csv").write_text("\r\n".join(val) + "\r\n", encoding="utf-8")
    expected = [f"ceval-{subject}" for subject in lengths]
    table = ["computer_network", "high_school_physics", "marxism", "law", "accountant"]  # the sample suite's order
    assert expected != [f"ceval-{subject}" for subject in table], "table order must not already be longest-first"

    result = run_llm(untrained_model, "--collect-only", "-q")
    assert result.ret == 0, result.stdout.str()
    collected = [line.rsplit("::", 1)[1] for line in result.stdout.lines if "::" in line]
    assert collected == expected
