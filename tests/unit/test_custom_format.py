"""OpenCompass's custom-dataset format (reference §6): detection, metadata merging, default prompts, versions."""

from __future__ import annotations

import re

import pytest

from pytest_llmeval.datasets.custom import check_fields, detect, infer_config, merge, read_meta_file, read_rows
from pytest_llmeval.datasets.templates import flatten_chatml, flatten_plain, render_pieces
from pytest_llmeval.errors import LlmEvalError

MCQ3 = "question,A,B,C,answer\n什么是法?,甲,乙,丙,B\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def meta_of(path):
    rows = read_rows(path)
    return detect(path, rows[0]), rows


def test_mcq_detection_from_consecutive_option_columns(tmp_path):
    meta, rows = meta_of(write(tmp_path, "law.exam.v2.csv", "\ufeff" + MCQ3))
    assert (meta.abbr, meta.data_type, meta.infer_method) == ("law", "mcq", "gen")
    assert (meta.options, meta.input_columns, meta.output_column) == (
        ("A", "B", "C"),
        ("question", "A", "B", "C"),
        "answer",
    )
    assert rows == [{"question": "什么是法?", "A": "甲", "B": "乙", "C": "丙", "answer": "B"}]


def test_qa_detection_and_jsonl_with_bom(tmp_path):
    path = write(tmp_path, "capitals.jsonl", '\ufeff{"question": "Capital of France?", "answer": "Paris"}\n\n')
    meta, rows = meta_of(path)
    assert (meta.data_type, meta.options, meta.output_column) == ("qa", (), "answer")
    assert rows == [{"question": "Capital of France?", "answer": "Paris"}]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("x.txt", "q", "x.txt: a custom dataset is a .jsonl or .csv file"),
        ("x.jsonl", '{"question": "a"}\n{oops\n', "x.jsonl:2: not a JSON object"),
        ("x.jsonl", "[1, 2]\n", "x.jsonl:1: not a JSON object (got list)"),
        ("x.csv", "", "x.csv: no rows"),
        (
            "x.csv",
            "question,A,B,D,answer\nq,a,b,d,A\n",
            "x.csv: option columns A, B then D: options must be consecutive",
        ),
    ],
)
def test_bad_files_are_one_line(tmp_path, name, text, message):
    path = write(tmp_path, name, text)
    with pytest.raises(LlmEvalError, match=re.escape(message)):
        meta_of(path)


def test_meta_file_then_declaration_win_over_detection(tmp_path):
    meta, rows = meta_of(write(tmp_path, "law.csv", MCQ3))
    columns = tuple(rows[0])
    from_file = merge(meta, {"abbr": "law-exam", "infer_method": "ppl"}, "law.csv.meta.json", columns)
    declared = merge(from_file, {"abbr": "mine"}, "suite", columns)
    assert (from_file.abbr, from_file.infer_method, declared.abbr, declared.infer_method) == (
        "law-exam",
        "ppl",
        "mine",
        "ppl",
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"evaluator": "x"}, "unknown key 'evaluator'"),
        ({"options": ["A", "E"]}, "options names column 'E', which the data does not have"),
        ({"output_column": "gold"}, "output_column 'gold' is not a column of the data"),
        ({"data_type": "circular"}, "data_type 'circular' is not one of mcq, qa"),
        ({"data_type": "qa", "infer_method": "ppl"}, "ppl scoring needs an mcq dataset with an answer column"),
    ],
)
def test_bad_metadata_is_one_line(tmp_path, overrides, message):
    meta, rows = meta_of(write(tmp_path, "law.csv", MCQ3))
    with pytest.raises(LlmEvalError, match=re.escape(message)):
        merge(meta, overrides, "law.csv.meta.json", tuple(rows[0]))


def test_meta_file_that_is_not_json(tmp_path):
    path = write(tmp_path, "law.csv.meta.json", "{abbr: 1}")
    with pytest.raises(LlmEvalError, match=re.escape(f"{path}: not valid JSON")):
        read_meta_file(path)


def test_unknown_field_in_a_prompt(tmp_path):
    meta, rows = meta_of(write(tmp_path, "law.csv", MCQ3))
    custom = merge(meta, {"human_prompt": "{question} ({hint})"}, "law.csv.meta.json", tuple(rows[0]))
    with pytest.raises(LlmEvalError, match=re.escape("the prompt names {hint}, which is not a column")):
        check_fields(custom, "law.csv.meta.json", tuple(rows[0]))


FIELDS = (("question", "什么是法?"), ("A", "甲"), ("B", "乙"), ("C", "丙"))


def test_mcq_gen_prompt_and_version(tmp_path):
    meta, _ = meta_of(write(tmp_path, "law.csv", MCQ3))
    config = infer_config(meta)
    pieces = render_pieces(config, [], (*FIELDS, ("answer", "")))
    assert flatten_plain(pieces) == "Question: 什么是法?\nA. 甲\nB. 乙\nC. 丙\nAnswer: "
    assert flatten_chatml(pieces, "gen") == (
        "<|im_start|>user\nQuestion: 什么是法?\nA. 甲\nB. 乙\nC. 丙<|im_end|>\n<|im_start|>assistant\n"
    )
    assert config.version() == "e44e8c"


@pytest.mark.parametrize("label", "ABC")
def test_mcq_ppl_prompt_per_option_and_version(tmp_path, label):
    meta, rows = meta_of(write(tmp_path, "law.csv", MCQ3))
    config = infer_config(merge(meta, {"infer_method": "ppl"}, "suite", tuple(rows[0])))
    text = flatten_plain(render_pieces(config, [], (*FIELDS, ("answer", "B")), label))
    assert text == f"Question: 什么是法?\nA. 甲\nB. 乙\nC. 丙\nAnswer: {label}"
    assert config.labels == ("A", "B", "C")
    assert config.version() == "bdbfca"


def test_qa_gen_prompt_and_version(tmp_path):
    meta, _ = meta_of(write(tmp_path, "capitals.jsonl", '{"question": "Capital of France?", "answer": "Paris"}\n'))
    config = infer_config(meta)
    assert flatten_plain(render_pieces(config, [], (("question", "Capital of France?"), ("answer", "")))) == (
        "Capital of France?"
    )
    assert config.version() == "359d58"


def test_five_options(tmp_path):
    text = "question,A,B,C,D,E,answer\nq,a,b,c,d,e,E\n"
    meta, _ = meta_of(write(tmp_path, "five.csv", text))
    assert meta.options == ("A", "B", "C", "D", "E")
    assert infer_config(meta).prompt_template.entry.turns[0].prompt.endswith("\nD. {D}\nE. {E}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("question,A,B,C,answer\nq,a,b,c,B\n,a,b,c,A\n", "3: no 'question' in this row"),
        (
            'question,A,B,C,answer\n"q\non two lines",a,b,c,B\nq,a,b,c,D\n',
            "4: answer 'D' is not one of the options A, B, C",
        ),
        ("question,A,B,C,answer\nq,a,b,c,B,extra\n", "2: 6 fields, but the header names 5"),
        ("question,A,B\nq,a,b\n", ": no answer column, so nothing can be scored"),
    ],
)
def test_bad_rows_are_one_line(tmp_path, text, message):
    from pytest_llmeval.datasets.custom import check_rows, read_numbered

    path = write(tmp_path, "law.csv", text)
    with pytest.raises(LlmEvalError, match=re.escape(f"{path}{':' if message[0].isdigit() else ''}{message}")):
        rows = read_numbered(path)
        check_rows(detect(path, rows[0][1]), rows, path)


def test_a_line_separator_inside_a_cell_does_not_end_the_row(tmp_path):
    """U+2028 and U+0085 are text inside a JSON string or a CSV cell, not line ends (``splitlines`` would cut there)."""
    jsonl = tmp_path / "exam.jsonl"
    jsonl.write_text('{"question": "one\u2028two", "answer": "x\u0085y"}\n{"question": "q", "answer": "a"}\n', "utf-8")
    assert read_rows(jsonl) == [{"question": "one\u2028two", "answer": "x\u0085y"}, {"question": "q", "answer": "a"}]
    csv_file = tmp_path / "exam.csv"
    csv_file.write_text("question,answer\none\u2028two,x\nq,a\n", "utf-8")
    assert read_rows(csv_file) == [{"question": "one\u2028two", "answer": "x"}, {"question": "q", "answer": "a"}]
