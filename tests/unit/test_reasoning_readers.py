"""Bad GSM8K, MATH and BBH files: one line naming the file and the row, before any model loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_llmeval.datasets.bbh import read_bbh
from pytest_llmeval.datasets.gsm8k import read_gsm8k
from pytest_llmeval.datasets.math_problems import read_math
from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.errors import LlmEvalError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(*rows: object) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (jsonl({"question": "q", "answer": "a\n#### 3"}, {"question": "q", "answer": "it is 3"}),
         'test.jsonl:2: row 1: the answer has no "#### " before its final number'),
        (jsonl({"question": "q"}), 'test.jsonl:1: row 0 needs "question" and "answer" strings (has question)'),
        ('{"question": "q", "answer": "#### 1"}\nnot json\n', "test.jsonl:2: not a JSON object"),
        ("", "test.jsonl: no rows"),
    ],
)  # fmt: skip
def test_gsm8k_rows(tmp_path, text, message):
    with pytest.raises(LlmEvalError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        read_gsm8k(write(tmp_path / "test.jsonl", text), "test")
    assert "\n" not in str(info.value)


def test_gsm8k_keeps_every_column_and_the_whole_answer(tmp_path):
    (row,) = read_gsm8k(write(tmp_path / "t.jsonl", jsonl({"question": "q", "answer": "x\n#### 1,000"})), "test")
    assert row.answer == "x\n#### 1,000" and row.columns == (("question", "q"), ("answer", "x\n#### 1,000"))


def problem(**fields: str) -> dict:
    return {"problem": "p", "level": "Level 1", "type": "Algebra", "solution": "so $\\boxed{5}$", **fields}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([problem()], "expected a JSON object of problems"),
        ({}, "expected a JSON object of problems"),
        ({"0": problem(), "1": {"problem": "p"}}, "problem '1' needs string fields problem, level, type, solution"),
        ({"0": problem(type="Calculus")}, "problem '0' has type 'Calculus'"),
        ({"0": problem(solution="it is 5")}, "problem '0': its solution has no \\boxed{…} answer"),
    ],
)
def test_math_shape(tmp_path, data, message):
    with pytest.raises(LlmEvalError) as info:
        read_math(write(tmp_path / "math.json", json.dumps(data)), "test")
    assert message in str(info.value) and str(tmp_path / "math.json") in str(info.value)


def test_math_gold_is_the_boxed_answer(tmp_path):
    (row,) = read_math(write(tmp_path / "m.json", json.dumps({"0": problem(solution="$\\boxed{\\frac{1}{2}}$.")})), "")
    assert (row.answer, row.tag, row.columns) == (
        "\\frac{1}{2}",
        "Algebra",
        (("problem", "p"), ("solution", "\\frac{1}{2}")),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"examples": []}, 'expected {"examples": [{"input": …, "target": …}, …]}'),
        ([1], 'expected {"examples"'),
        ({"examples": [{"input": "i", "target": "t"}, {"input": "i"}]}, 'examples[1] needs "input" and "target"'),
    ],
)
def test_bbh_rows(tmp_path, data, message):
    with pytest.raises(LlmEvalError) as info:
        read_bbh(write(tmp_path / "navigate.json", json.dumps(data)), "test")
    assert message in str(info.value) and "navigate.json" in str(info.value)


def test_a_missing_bbh_task_or_prompt_file_is_named(tmp_path):
    from pytest_llmeval.datasets.bbh import TASKS

    root = tmp_path / "BBH"
    for task in TASKS:
        write(root / "data" / f"{task.key}.json", json.dumps({"examples": [{"input": "i", "target": "(A)"}]}))
        write(
            root / "lib_prompt" / f"{task.key}.txt",
            "Task.\n\nQ: x\nA: Let's think step by step.\nSo the answer is (A).",
        )
    (root / "lib_prompt" / "snarks.txt").unlink()
    with pytest.raises(LlmEvalError, match=r"lib_prompt/snarks.txt not found \(1 file\(s\) missing\)"):
        plan_subjects(make_spec("t", "bbh_gen"), tmp_path, None)
    write(root / "lib_prompt" / "snarks.txt", "Snarks.")
    (root / "data" / "navigate.json").unlink()
    with pytest.raises(LlmEvalError, match=r"data/navigate.json not found"):
        plan_subjects(make_spec("t", "bbh_gen"), tmp_path, None)
    write(root / "data" / "navigate.json", json.dumps({"examples": [{"input": "i", "target": "No"}]}))
    plans = plan_subjects(make_spec("t", "bbh_gen"), tmp_path, None)
    snarks = next(p for p in plans if p.subject.key == "snarks")
    assert snarks.subject.prompt_name == "Snarks."  # the prompt is built from the file's text
