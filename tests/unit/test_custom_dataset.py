"""A declared custom dataset becomes a benchmark: files and folders, meta files, templates, suite entries."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pytest_llmeval.datasets.custom_dataset import CustomSource, build, load
from pytest_llmeval.datasets.suite import DatasetSpec, parse_suite
from pytest_llmeval.datasets.templates import flatten_plain, render_pieces
from pytest_llmeval.errors import LlmEvalError

LAW = "question,A,B,C,answer\nWhat is a tort?,A civil wrong,A crime,A contract,A\nWho makes statutes?,Police,Legislature,Courts,B\n"
CAPITALS = (
    '{"question": "Capital of France?", "answer": "Paris"}\n{"question": "Capital of Japan?", "answer": "Tokyo"}\n'
)


def exams(tmp_path: Path) -> Path:
    folder = tmp_path / "exams"
    folder.mkdir()
    (folder / "law.csv").write_text(LAW, encoding="utf-8")
    (folder / "capitals.jsonl").write_text(CAPITALS, encoding="utf-8")
    (folder / "README.md").write_text("not data\n", encoding="utf-8")
    return folder


def prompt(config, key: str, label: str | None = None) -> str:
    benchmark = config.benchmark
    subject = benchmark.subject(key)
    question = benchmark.read(benchmark.path(benchmark.root, key, "test"), "test")[0]
    infer = config.infer_config(subject)
    return flatten_plain(render_pieces(infer, [], benchmark.fields(question, question.answer if label else ""), label))


def test_a_file_is_one_subject_named_by_its_abbr(tmp_path):
    config = build(CustomSource(exams(tmp_path) / "law.csv"), "suite")
    assert (config.name, config.mode, config.benchmark.marker) == ("law", "gen", "custom")
    (subject,) = config.benchmark.subjects
    assert (config.abbr(subject), config.version(subject), subject.scoring) == ("law", "e44e8c", "option_sim")
    assert config.benchmark.groups == ()
    assert prompt(config, "law") == "Question: What is a tort?\nA. A civil wrong\nB. A crime\nC. A contract\nAnswer: "


def test_a_folder_is_one_dataset_with_a_subject_per_file_and_an_average(tmp_path):
    config = build(CustomSource(exams(tmp_path), infer_method=None), "suite")
    benchmark = config.benchmark
    assert [config.abbr(s) for s in benchmark.subjects] == ["exams-capitals", "exams-law"]  # by file name
    assert [(g.name, g.members) for g in benchmark.groups] == [("exams", ("capitals", "law"))]
    assert [s.scoring for s in benchmark.subjects] == ["exact", "option_sim"]
    assert prompt(config, "capitals") == "Capital of France?"


def test_declared_abbr_names_the_folder_and_overrides_apply_to_every_file(tmp_path):
    folder = exams(tmp_path)
    (folder / "capitals.jsonl").unlink()
    config = build(CustomSource(folder, infer_method="ppl", abbr="bar"), "suite")
    assert config.name == "bar" and config.mode == "ppl"
    assert prompt(config, "law", "B").endswith("\nC. A contract\nAnswer: B")


def test_a_folder_may_mix_gen_and_ppl(tmp_path):
    folder = exams(tmp_path)
    (folder / "law.csv.meta.json").write_text('{"infer_method": "ppl"}', encoding="utf-8")
    config = build(CustomSource(folder), "suite")
    assert config.mode == "mixed"
    assert [config.mode_of(s) for s in config.benchmark.subjects] == ["gen", "ppl"]


def test_meta_file_prompts_and_ppl_bot_prompt_take_each_label(tmp_path):
    folder = exams(tmp_path)
    meta = {
        "human_prompt": "题目：{question}\nA. {A}\nB. {B}\nC. {C}",
        "bot_prompt": "答案：{answer}",
        "infer_method": "ppl",
    }
    (folder / "law.csv.meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    config = build(CustomSource(folder / "law.csv"), "suite")
    assert prompt(config, "law", "C") == "题目：What is a tort?\nA. A civil wrong\nB. A crime\nC. A contract\n答案：C"


def test_template_replaces_the_generated_prompts(tmp_path):
    folder = exams(tmp_path)
    template = {"round": [{"role": "HUMAN", "prompt": "Q: {question}"}, {"role": "BOT", "prompt": "A: {answer}"}]}
    (folder / "capitals.jsonl.meta.json").write_text(json.dumps({"template": template}), encoding="utf-8")
    config = build(CustomSource(folder / "capitals.jsonl"), "suite")
    assert prompt(config, "capitals") == "Q: Capital of France?\nA: "
    (folder / "capitals.jsonl.meta.json").write_text(json.dumps({"template": "{question} =>"}), encoding="utf-8")
    assert prompt(build(CustomSource(folder / "capitals.jsonl"), "suite"), "capitals") == "Capital of France? =>"


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"template": {"round": [{"role": "USER", "prompt": "x"}]}}, 'each round turn is {"role": "HUMAN" or "BOT"'),
        ({"template": {"A": "{question} A", "B": "{question} B"}}, "gen scoring needs one prompt"),
        ({"template": "{question} {hint}"}, "the prompt names {hint}"),
        ({"answer_match": "regex", "data_type": "mcq"}, "an mcq dataset needs option columns"),
    ],
)
def test_bad_templates_are_one_line(tmp_path, meta, message):
    folder = exams(tmp_path)
    (folder / "capitals.jsonl.meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(LlmEvalError, match=re.escape(message)):
        build(CustomSource(folder / "capitals.jsonl"), "suite")


def test_ppl_template_labels_must_be_the_options(tmp_path):
    folder = exams(tmp_path)
    meta = {"infer_method": "ppl", "template": {"A": "{question} A", "B": "{question} B"}}
    (folder / "law.csv.meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(LlmEvalError, match="template labels A, B are not the options A, B, C"):
        build(CustomSource(folder / "law.csv"), "suite")


@pytest.mark.parametrize(
    ("match", "answer", "message"),
    [
        ("regex", "(Paris", "is not a regular expression"),
        ("list", "Paris", "is not a JSON list of accepted answers"),
        ("answer_match_for_mcq", "", "answer_match 'regex' is for qa datasets"),
    ],
)
def test_answer_match_checks_every_row(tmp_path, match, answer, message):
    folder = exams(tmp_path)
    if match == "answer_match_for_mcq":
        (folder / "law.csv.meta.json").write_text('{"answer_match": "regex"}', encoding="utf-8")
        target = folder / "law.csv"
    else:
        (folder / "capitals.jsonl").write_text(
            CAPITALS + json.dumps({"question": "x", "answer": answer}) + "\n", encoding="utf-8"
        )
        (folder / "capitals.jsonl.meta.json").write_text(json.dumps({"answer_match": match}), encoding="utf-8")
        target = folder / "capitals.jsonl"
        if match == "list":  # the first rows must be lists too
            rows = [{"question": "Capital of France?", "answer": ["Paris"]}, {"question": "x", "answer": answer}]
            target.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(LlmEvalError, match=re.escape(message)):
        build(CustomSource(target), "suite")


@pytest.mark.parametrize(
    ("setup", "source", "message"),
    [
        (lambda f: None, lambda f: CustomSource(f / "missing.csv"), "missing.csv not found"),
        (lambda f: None, lambda f: CustomSource(f, meta_path=f / "x.json"), "meta_path is for a single file"),
        (lambda f: None, lambda f: CustomSource(f / "law.csv", meta_path=f / "x.json"), "meta_path"),
        (
            lambda f: (f / "law.jsonl").write_text('{"question": "q", "A": "a", "B": "b", "answer": "A"}\n'),
            lambda f: CustomSource(f),
            "law.csv and law.jsonl both have abbr 'law'",
        ),
        (lambda f: [p.unlink() for p in f.iterdir()], lambda f: CustomSource(f), "no .jsonl or .csv files"),
    ],
)
def test_bad_declarations_are_one_line(tmp_path, setup, source, message):
    folder = exams(tmp_path)
    setup(folder)
    with pytest.raises(LlmEvalError, match=re.escape(message)):
        build(source(folder), "suite")


def test_suite_paths_are_relative_to_the_suite_and_specs_travel_as_json(tmp_path):
    folder = exams(tmp_path)
    suite = tmp_path / "llmeval_mine.toml"
    suite.write_text(
        '[[dataset]]\npath = "exams"\nthresholds = { exams = 50.0, "exams-*" = 20.0 }\n'
        '[[dataset]]\npath = "exams/law.csv"\nabbr = "law_ppl"\ninfer_method = "ppl"\n',
        encoding="utf-8",
    )
    folder_spec, ppl_spec = parse_suite(suite)
    assert folder_spec.source == CustomSource(folder.resolve())
    assert dict(folder_spec.thresholds) == {"exams-capitals": 20.0, "exams-law": 20.0, "exams": 50.0}
    assert (ppl_spec.config.name, ppl_spec.config.mode) == ("law_ppl", "ppl")
    # The xdist controller never parses the suite: it rebuilds the config from the spec on each report.
    again = DatasetSpec.from_json(json.loads(json.dumps(ppl_spec.to_json())))
    assert (again.config.name, again.subjects, again.source) == ("law_ppl", ("law_ppl",), ppl_spec.source)
    assert load(ppl_spec.source, "x") is load(ppl_spec.source, "x")  # unchanged files are read once


def test_a_changed_file_is_read_again(tmp_path):
    source = CustomSource(exams(tmp_path) / "law.csv")
    first = load(source, "x")
    source.path.write_text(LAW + "Who judges?,Judges,Clerks,Ushers,A\n", encoding="utf-8")
    second = load(source, "x")
    assert second is not first
    benchmark = second.benchmark
    assert len(benchmark.read(benchmark.path(benchmark.root, "law", "test"), "test")) == 3


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('config = "ceval_gen"\npath = "exams"', "give config (a named dataset) or path (your own dataset), not both"),
        ('path = "exams"\ndata_type = "mcqq"', "data_type 'mcqq' is not one of mcq, qa"),
        ('path = "exams"\ninfer_method = 1', "infer_method must be a string"),
        ('path = "exams"\nthresholds = { law = 5 }', "threshold 'law' names no subject or group"),
        ('path = "exams/law.csv"\nthresholds = { exams = 5 }', "groups: none"),
    ],
)
def test_bad_suite_entries(tmp_path, entry, message):
    exams(tmp_path)
    suite = tmp_path / "llmeval_mine.toml"
    suite.write_text(f"[[dataset]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(LlmEvalError, match=re.escape(message)):
        parse_suite(suite)
