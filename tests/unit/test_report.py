"""Output files in OpenCompass's formats, written atomically (spec §5)."""

from __future__ import annotations

import json
import os

import pytest

from pytest_llmeval.datasets.ceval import SUBJECT_BY_KEY
from pytest_llmeval.datasets.configs import CEVAL_GEN
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.judging.summary import summarize
from pytest_llmeval.judging.verdict import judge
from pytest_llmeval.prompts import Prompt
from pytest_llmeval.records import Outcome, SubjectResult, WorkerStats
from pytest_llmeval.reports.files import (
    Report,
    predictions_payload,
    summary_csv,
    summary_txt,
    write_json_atomic,
    write_run_files,
    write_text_atomic,
)
from pytest_llmeval.settings import Gate, Settings

MODEL = "internlm2-chat-1_8b"


def result(key: str, golds: str, answers: str) -> SubjectResult:
    outcomes = tuple(
        Outcome(index=i, prediction=f"{a}. 选项", answer=a, gold=g, shots=5, prompt_tokens=100)
        for i, (g, a) in enumerate(zip(golds, answers))
    )
    return SubjectResult(
        config="ceval_gen",
        abbr=f"ceval-{key}",
        subject=key,
        version=CEVAL_GEN.version(SUBJECT_BY_KEY[key]),
        outcomes=outcomes,
        seconds=0.1,
        worker="main",
    )


GOLDS = "ABCDABCDABCDABCDABC"
NETWORK = result("computer_network", GOLDS, GOLDS[:9] + "CDABCDABCD")  # 9/19 correct


@pytest.fixture
def summary():
    spec = make_spec("t", "ceval_gen", ["law", "computer_network"])
    return summarize([spec], {NETWORK.abbr: NETWORK})


def test_summary_csv_exact_text(summary):
    assert NETWORK.correct == 9
    assert summary_csv(summary, MODEL) == (
        "dataset,version,metric,mode,internlm2-chat-1_8b\n"
        "ceval-computer_network,db9ce2,accuracy,gen,47.37\n"
        "ceval-law,-,-,-,-\n"
        "ceval-stem,-,naive_average,gen,47.37\n"
        "ceval-humanities,-,-,-,-\n"
        "ceval,-,-,-,-\n"
    )


def test_summary_txt_has_aligned_table_then_csv(summary):
    text = summary_txt(summary, MODEL, "20240320_101500")
    table = (
        "dataset                 version  metric         mode  internlm2-chat-1_8b\n"
        "----------------------  -------  -------------  ----  -------------------\n"
        "ceval-computer_network  db9ce2   accuracy       gen                 47.37\n"
        "ceval-law               -        -              -     -\n"
        "ceval-stem              -        naive_average  gen                 47.37\n"
        "ceval-humanities        -        -              -     -\n"
        "ceval                   -        -              -     -\n"
    )
    assert text.startswith("20240320_101500\ntabulate format\n" + "^" * 128 + "\n" + table + "$" * 128 + "\n")
    assert " THIS IS A DIVIDER " in text
    assert text.endswith("csv format\n" + "^" * 128 + "\n" + summary_csv(summary, MODEL) + "$" * 128 + "\n")


def test_predictions_payload_keys_and_fields():
    prompts = [Prompt(text=f"prompt {i}\n答案: ", shots=5, tokens=10 + i) for i in range(NETWORK.total)]
    payload = predictions_payload(NETWORK, prompts)
    assert list(payload) == [str(i) for i in range(19)]
    assert payload["0"] == {"origin_prompt": "prompt 0\n答案: ", "prediction": "A. 选项", "gold": "A"}
    assert payload["18"]["gold"] == "C"
    with pytest.raises(ValueError):
        predictions_payload(NETWORK, prompts[:-1])  # a lost prompt must not shift the pairing silently


def test_write_json_atomic_is_opencompass_style(tmp_path):
    path = tmp_path / "predictions" / MODEL / "ceval-law.json"
    data = {"0": {"origin_prompt": "以下是中国关于法学考试", "prediction": "B", "gold": "B"}}
    write_json_atomic(path, data)
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(data, indent=4, ensure_ascii=False)
    assert "以下是中国关于法学考试" in text and "\\u" not in text
    assert text.startswith('{\n    "0": {\n        "origin_prompt"')
    assert os.listdir(path.parent) == ["ceval-law.json"]


def test_write_text_atomic_replaces_existing_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old", encoding="utf-8")
    write_text_atomic(path, "new 新")
    assert path.read_text(encoding="utf-8") == "new 新"
    assert os.listdir(tmp_path) == ["a.txt"]


def test_write_text_atomic_failure_leaves_no_files(tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    path = tmp_path / "out" / "summary.csv"
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(path, "dataset,version\n")
    assert os.listdir(tmp_path / "out") == []


def test_write_text_atomic_failure_keeps_old_content(tmp_path, monkeypatch):
    path = tmp_path / "summary.csv"
    path.write_text("old", encoding="utf-8")

    def interrupted_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(path, "new")
    assert path.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["summary.csv"]


def test_write_run_files_layout(tmp_path, summary):
    run = tmp_path / "RUN"
    settings = Settings(model=None, tokenizer=None, model_abbr=MODEL)
    worker = WorkerStats("main", "cpu", 1, 2.0, 19, 4.0)
    results = {NETWORK.abbr: NETWORK}
    report = Report(run, MODEL, settings, Gate(), summary, judge(summary, results))
    paths = write_run_files(report, results, [worker])
    assert paths == [run / "summary" / "summary_RUN.csv", run / "summary" / "summary_RUN.txt", run / "llmeval.json"]
    tmp_path = run
    results_file = tmp_path / "results" / MODEL / "ceval-computer_network.json"
    assert json.loads(results_file.read_text(encoding="utf-8")) == {"accuracy": 47.368421052631575}
    assert paths[0].read_text(encoding="utf-8") == summary_csv(summary, MODEL)
    record = json.loads(paths[2].read_text(encoding="utf-8"))
    assert record["run_id"] == "RUN" and record["model"] == MODEL and record["model_loads"] == 1
    assert [s["abbr"] for s in record["subjects"]] == ["ceval-computer_network"]
    assert record["subjects"][0]["correct"] == 9 and len(record["subjects"][0]["outcomes"]) == 19
    assert [row["dataset"] for row in record["table"]] == [row.name for row in summary.rows]
    assert record["baseline"] is None and record["passed"] is True


def test_all_digit_version_is_text_not_a_number():
    """accountant's version is 002837: tabulate aligns per column, so it must stay left-aligned like db9ce2."""
    spec = make_spec("t", "ceval_gen", ["computer_network", "accountant"])
    accountant = result("accountant", "AB", "AA")
    text = summary_txt(summarize([spec], {NETWORK.abbr: NETWORK, accountant.abbr: accountant}), MODEL, "RUN")
    assert "ceval-computer_network  db9ce2   accuracy" in text
    assert "ceval-accountant        002837   accuracy" in text


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "summary.csv", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "summary.csv").stat().st_mode & 0o777 == 0o644
