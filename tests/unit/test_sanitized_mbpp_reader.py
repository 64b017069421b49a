"""Sanitized MBPP as SanitizedMBPPDataset reads it: the file's rows 7-263, ``prompt`` as ``text``, the asserts joined;
a bad file stops the run with one line naming the file and the row."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.sanitized_mbpp import read_sanitized_mbpp
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.errors import LlmEvalError

SHARED = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[3] / "shared"))


def task(number: int, **fields: object) -> dict:
    row = {
        "source_file": "notebook",
        "task_id": number,
        "prompt": f"Write function {number}.",
        "code": f"def f{number}(): return {number}",
        "test_imports": [],
        "test_list": [f"assert f{number}() == {number}", f"assert f{number}() != -1"],
    }
    return {**row, **fields}


def write(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "mbpp" / "sanitized-mbpp.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_rows_7_to_263_renamed_and_joined(tmp_path):
    questions = read_sanitized_mbpp(write(tmp_path, [task(n) for n in range(300)]), "test")
    assert len(questions) == 257
    first, last = questions[0], questions[-1]
    joined = "assert f7() == 7\nassert f7() != -1"
    assert (first.question, first.answer, first.output_column) == ("Write function 7.", joined, "test_list_2")
    # The loader's map: "prompt" popped and re-added as "text", "test_list" joined in place, "test_list_2" appended.
    assert first.columns == (
        ("source_file", "notebook"),
        ("task_id", "7"),
        ("code", "def f7(): return 7"),
        ("test_imports", "[]"),
        ("test_list", joined),
        ("text", "Write function 7."),
        ("test_list_2", joined),
    )
    assert dict(last.columns)["task_id"] == "263"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"prompt": None}, ':9: task_id 8: "prompt" is null; Sanitized MBPP rows need a string there'),
        ({"test_list": "assert f()"}, ':9: task_id 8: "test_list" is "assert f()"; Sanitized MBPP rows need a list'),
        ({"test_list": []}, ':9: task_id 8: "test_list" must be a non-empty list of assert strings'),
        ({"test_list": ["assert f()", 3]}, ':9: task_id 8: "test_list" must be a non-empty list of assert strings'),
    ],
)
def test_a_malformed_task_is_named(tmp_path, row, message):
    rows = [task(n) for n in range(264)]
    rows[8] = task(8, **row)
    path = write(tmp_path, rows)
    with pytest.raises(LlmEvalError) as info:
        read_sanitized_mbpp(path, "test")
    assert str(info.value).startswith(f"{path}{message}")
    assert "\n" not in str(info.value)


def test_a_task_without_its_fields_is_named(tmp_path):
    rows = [task(n) for n in range(264)]
    del rows[263]["test_list"]
    path = write(tmp_path, rows)
    with pytest.raises(LlmEvalError, match='sanitized-mbpp.jsonl:264: task_id 263 has no "test_list"; Sanitized MBPP'):
        read_sanitized_mbpp(path, "test")


def test_a_short_file_is_refused_before_any_model_loads(tmp_path):
    path = write(tmp_path, [task(n) for n in range(100)])
    with pytest.raises(LlmEvalError) as info:
        plan_subjects(make_spec("test", "sanitized_mbpp_gen_cb43ef"), tmp_path, None)
    assert str(info.value) == (
        f"{path}: row 263 missing (the file has 100 rows); sanitized MBPP's test split is the file's rows 7-263; "
        "restore the whole file (427 rows)"
    )


def test_the_real_file_gives_257_tasks():
    path = SHARED / "data" / "mbpp" / "sanitized-mbpp.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    questions = read_sanitized_mbpp(path, "test")
    ids = [dict(q.columns)["task_id"] for q in questions]
    assert (len(questions), ids[0], ids[-1]) == (257, "11", "479")
