"""Your own dataset as a gate, end to end: the example's exams (examples/custom) run through pytest.

A tiny model trained on the exams' prompts passes the example suite; an untrained one fails it;
bad files stop the run with one line before any model loads.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from custom_exam import copy_example

from conftest import run_pytest

COLLECTION = pytest.ExitCode.INTERRUPTED  # a bad dataset file is reported as a collection error


@pytest.fixture
def exams(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user's repo holding only the custom-dataset example: its suite and its exams folder."""
    copy_example(pytester.path)
    pytester.makeini("[pytest]\n")
    return pytester


def run(project: pytest.Pytester, model: Path | None, *args: str) -> pytest.RunResult:
    argv = ["-p", "no:cacheprovider"]
    if model is not None:
        link = project.path / f"model-{model.name}"
        if not link.exists():
            link.symlink_to(model, target_is_directory=True)
        argv.append(f"--llm-model={link.name}")
    return run_pytest(project, *argv, *args)


def newest_run(project: pytest.Pytester) -> Path:
    return max((project.path / "outputs" / "llmeval").iterdir())


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_trained_model_passes_the_example_gate_on_two_workers(exams, exam_model):
    """The folder is one dataset with an item per file (3- and 5-option mcq, qa), plus a ppl variant of one file."""
    result = run(exams, exam_model, "-n", "2")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=4)
    result.stdout.re_match_lines(
        [
            r"^dataset\s+version\s+metric\s+mode\s+model-exam\d*\s+min\s*$",
            r"^exams-capitals\s+359d58\s+accuracy\s+gen\s+100\.00\s+40\.00\s+ok$",
            r"^exams-chemistry\s+\w{6}\s+accuracy\s+gen\s+100\.00\s+40\.00\s+ok$",
            r"^exams-law\s+e44e8c\s+accuracy\s+gen\s+100\.00\s+40\.00\s+ok$",
            r"^law_ppl\s+bdbfca\s+accuracy\s+ppl\s+100\.00\s+50\.00\s+ok$",
            r"^exams\s+-\s+naive_average\s+gen\s+100\.00\s+60\.00\s+ok$",
        ]
    )
    result.stdout.fnmatch_lines(["gw0: devices cpu, 1 model load(s)*", "gw1: devices cpu, 1 model load(s)*"])
    folder = newest_run(exams)
    record = read_json(folder / "llmeval.json")
    assert record["passed"] is True and record["errors"] == []
    predictions = folder / "predictions" / record["model"]
    chemistry = read_json(predictions / "exams-chemistry.json")
    # Five options and the meta file's own prompts; gen empties the answer field, leaving "答案：" open.
    assert chemistry["4"]["origin_prompt"].endswith("\nD. 银\nE. 铁\n答案：")
    assert chemistry["4"]["gold"] == "E"
    law_ppl = read_json(predictions / "law_ppl.json")
    assert sorted(k for k in law_ppl["0"] if k.startswith("label: ")) == ["label: A", "label: B", "label: C"]
    assert law_ppl["0"]["label: C"]["prompt"].endswith("\nC. A tax tribunal\nAnswer: C")
    capitals = read_json(predictions / "exams-capitals.json")
    assert (capitals["2"]["prediction"], capitals["2"]["gold"]) == ("Rome", '["Rome", "Roma"]')
    # "Rome" is one of the accepted answers: correct by the list rule, and recorded as judged so.
    subjects = {r["abbr"]: r for r in record["subjects"]}
    assert subjects["exams-capitals"]["outcomes"][2]["judged"] is True
    assert subjects["exams-capitals"]["outcomes"][2]["correct"] is True


def test_untrained_model_fails_the_example_gate(exams, untrained_model):
    result = run(exams, untrained_model)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines(["llmeval gate FAILED: 1 group threshold(s) not met*", "  exams: average * < 60.00*"])
    assert read_json(newest_run(exams) / "llmeval.json")["passed"] is False


def test_command_line_dataset_with_selection(exams, exam_model):
    """--llm-custom-dataset mirrors OpenCompass's --custom-dataset-path; -m custom and -k select as usual."""
    (exams.path / "llmeval_custom.toml").unlink()
    result = run(
        exams,
        exam_model,
        "--llm-custom-dataset",
        "exams",
        "--llm-custom-infer-method",
        "ppl",
        "-m",
        "custom",
        "-k",
        "chem or law",
    )
    # ppl needs multiple choice: the qa file refuses the override, naming itself.
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "capitals.jsonl: ppl scoring needs an mcq dataset with an answer column" in result.stderr.str()
    result = run(exams, exam_model, "--llm-custom-dataset=exams/chemistry.csv", "--llm-custom-infer-method=ppl")
    assert result.ret == 0, result.stdout.str()
    result.stdout.re_match_lines([r"^chemistry\s+\w{6}\s+accuracy\s+ppl\s+100\.00\s*$"])
    result = run(exams, exam_model, "--llm-custom-dataset=exams", "-k", "law or capitals")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=2, deselected=1)


BAD_FILES = [
    (
        "exams/capitals.jsonl",
        '{"question": "a", "answer": ["b"]}\n\n{"question": oops}\n',
        "capitals.jsonl:3: not a JSON object",
    ),
    (
        "exams/law.csv",
        'question,A,B,C,answer\nq,a,b,c,A\n"two\nlines",a,b,c,D\n',
        "law.csv:3: answer 'D' is not one of the options A, B, C",
    ),
    ("exams/law.csv", "question,A,B,D,answer\nq,a,b,d,A\n", "law.csv: option columns A, B then D"),
    ("exams/law.csv", "", "law.csv: no rows"),
    ("exams/law.csv", "A,B,C,answer\na,b,c,A\n", "the prompt names {question}, which is not a column of the data"),
    ("exams/chemistry.csv.meta.json", '{"evaluator": "x"}', "chemistry.csv.meta.json: unknown key 'evaluator'"),
    ("exams/chemistry.csv.meta.json", '{"abbr": "chem",}', "chemistry.csv.meta.json: not valid JSON"),
    (
        "exams/chemistry.csv.meta.json",
        '{"human_prompt": "{question} {hint}"}',
        "the prompt names {hint}, which is not a column",
    ),
    (
        "exams/chemistry.csv.meta.json",
        '{"options": ["A", "F"]}',
        "options names column 'F', which the data does not have",
    ),
    (
        "exams/capitals.jsonl.meta.json",
        '{"answer_match": "fuzzy"}',
        "answer_match 'fuzzy' is not one of exact, regex, list",
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "line"), BAD_FILES, ids=[line.split(":")[0] + str(i) for i, (_, _, line) in enumerate(BAD_FILES)]
)
def test_bad_files_are_one_line_before_the_model_loads(exams, untrained_model, name, text, line):
    (exams.path / name).write_text(text, encoding="utf-8")
    result = run(exams, untrained_model)
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == COLLECTION, text
    assert line in text, text
    assert "Traceback" not in text and "model load" not in text, text
    runs = exams.path / "outputs" / "llmeval"
    assert not runs.exists() or not any(runs.iterdir()), "nothing may be written, not even an empty run folder"


def test_a_file_that_is_not_a_dataset(exams):
    (exams.path / "llmeval_custom.toml").write_text('[[dataset]]\npath = "exams/notes.txt"\n', encoding="utf-8")
    (exams.path / "exams" / "notes.txt").write_text("hello\n", encoding="utf-8")
    result = run(exams, None)
    assert result.ret == COLLECTION
    result.stdout.fnmatch_lines(["*notes.txt: a custom dataset is a .jsonl or .csv file*"])


def test_list_shows_the_datasets_a_suite_declares(exams):
    result = run(exams, None, "--llm-list", "exams", "law")
    assert result.ret == 0, result.stdout.str()
    result.stdout.re_match_lines(
        [
            r"^Your own datasets .*",
            r"^exams\s+\S*llmeval_custom\.toml\s+mcq gen \+ qa gen, 3 files, 20 rows\s+\S*exams\s+yes$",
            r"^law_ppl\s+\S*llmeval_custom\.toml\s+mcq ppl, 1 file, 8 rows\s+\S*law\.csv\s+yes$",
        ]
    )
