"""Baseline files: what they hold, how they diff, and one line for every way they can be wrong."""

from __future__ import annotations

import json

import pytest

from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.judging.baseline import FORMAT, FORMAT_VERSION, dump, read_baseline, render_baseline
from pytest_llmeval.records import Outcome, Question, SubjectResult
from pytest_llmeval.settings import Settings

SETTINGS = Settings(model=None, tokenizer=None, model_abbr="tiny", max_out_len=16)
QUESTIONS = [Question(i, f"题目{i}", ("甲", "乙", "丙", "丁"), "ABCD"[i % 4]) for i in range(4)]


def result(answers: str, abbr: str = "ceval-law", version: str = "a110a1") -> SubjectResult:
    outcomes = tuple(
        Outcome(index=q.index, prediction=f"{a} 因为", answer=a, gold=q.answer, shots=5, prompt_tokens=9, key=q.key)
        for q, a in zip(QUESTIONS, answers)
    )
    return SubjectResult("ceval_gen", abbr, abbr.split("-", 1)[1], version, outcomes, 1.0, "main")


def test_question_key_follows_content_not_position():
    moved = Question(7, "题目0", ("甲", "乙", "丙", "丁"), "A")
    assert QUESTIONS[0].key == moved.key and len(moved.key) == 16
    assert Question(0, "题目0", ("甲", "乙", "丙", "戊"), "A").key != moved.key  # an edited option is a new question
    assert Question(0, "题目0", ("甲", "乙", "丙", "丁"), "B").key != moved.key  # so is a corrected answer


def test_saved_baseline_round_trips_and_holds_no_prompts(tmp_path):
    path = tmp_path / "base.json"
    path.write_text(render_baseline(SETTINGS, [result("ABDD")], "20261129_000000"), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert "题目" not in text and "因为" not in text  # no prompts, no raw output: only extracted answers
    baseline = read_baseline(path)
    subject = baseline.subjects["ceval-law"]
    assert (baseline.model, baseline.run_id, subject.version, subject.config) == (
        "tiny",
        "20261129_000000",
        "a110a1",
        "ceval_gen",
    )
    assert subject.accuracy == 75.0
    assert subject.answers[QUESTIONS[2].key] == (False, "D")
    assert baseline.settings["max_out_len"] == 16 and "model" not in baseline.settings  # no machine paths


def test_dump_sorts_keys_and_keeps_each_question_on_one_line():
    text = dump({"b": {"k2": [1, "B"], "k1": [0, "A"]}, "a": 1})
    assert text == '{\n  "a": 1,\n  "b": {\n    "k1": [0, "A"],\n    "k2": [1, "B"]\n  }\n}'
    assert json.loads(text) == {"a": 1, "b": {"k1": [0, "A"], "k2": [1, "B"]}}


def valid() -> dict:
    return json.loads(render_baseline(SETTINGS, [result("ABCD")], "RUN"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"base\.json: no such file; write one from a run of the base branch with --llm-save-baseline"),
        ("", r"it ends early \(truncated\) at line 1, column 1; re-save it"),
        ("TRUNCATED", r"it ends early \(truncated\) at line \d+, column \d+; re-save it"),
        ("{not json}", r"it is not valid JSON at line 1, column 2"),
        ('{"subjects": {}}', r'not a pytest-llm-regression baseline \(no "format": "pytest-llmeval baseline"\)'),
        (
            json.dumps({"format": FORMAT, "format_version": 99}),
            r"baseline format version 99, this pytest-llm-regression \S+ reads version 1; re-save it",
        ),
        ("NO_SUBJECTS", r"malformed: subjects should be an object"),
        ("BAD_ENTRY", r"malformed: subjects\.ceval-law\.questions\.\w+ should be a 16-digit key and \[0 or 1"),
    ],
)
def test_bad_baseline_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "base.json"
    if content == "TRUNCATED":
        content = json.dumps(valid())[:-40]
    elif content == "NO_SUBJECTS":
        content = json.dumps({**valid(), "subjects": []})
    elif content == "BAD_ENTRY":
        data = valid()
        key = next(iter(data["subjects"]["ceval-law"]["questions"]))
        data["subjects"]["ceval-law"]["questions"][key] = [2, "A"]
        content = json.dumps(data)
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(LlmEvalError, match=message) as caught:
        read_baseline(path)
    assert str(caught.value).startswith(f"--llm-baseline {path}: ") and "\n" not in str(caught.value)
    assert FORMAT_VERSION == 1
