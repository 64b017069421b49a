"""Reading C-Eval CSV files as they ship: CRLF, BOM, quoted multi-line fields; errors name file and row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_llmeval.datasets.ceval import read_split, split_path
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question

VAL_HEADER = "id,question,A,B,C,D,answer"


def write(tmp_path: Path, text: str, name: str = "law_val.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_split_path_follows_opencompass_layout(tmp_path):
    assert split_path(tmp_path, "law", "dev") == tmp_path / "dev" / "law_dev.csv"


def test_crlf_bom_and_quoted_multiline_field(tmp_path):
    text = (
        "\ufeff" + VAL_HEADER + '\r\n0,"第一行\n第二行，含逗号,还有""引号""",甲,乙,丙,丁,C\r\n1,普通问题,1,2,3,4,A\r\n'
    )
    questions = read_split(write(tmp_path, text), "val")
    assert questions == (
        Question(index=0, question='第一行\n第二行，含逗号,还有"引号"', choices=("甲", "乙", "丙", "丁"), answer="C"),
        Question(index=1, question="普通问题", choices=("1", "2", "3", "4"), answer="A"),
    )


def test_crlf_inside_quoted_field_becomes_lf_as_in_opencompass(tmp_path):
    """OpenCompass 0.2.4 opens the CSV with open(path, encoding='utf-8'): universal newlines turn CRLF into LF.

    36 dev/val rows of the real data have a CRLF inside a quoted field (10 subjects' shots among them).
    """
    text = VAL_HEADER + '\r\n0,"第一行\r\n第二行",甲,乙,丙,丁,C\r\n'
    (question,) = read_split(write(tmp_path, text), "val")
    assert question.question == "第一行\n第二行"


def test_dev_file_with_explanation_column(tmp_path):
    text = "id,question,A,B,C,D,answer,explanation\n0,问,a,b,c,d,D,因为……\n"
    (question,) = read_split(write(tmp_path, text, "law_dev.csv"), "dev")
    assert question.answer == "D" and question.choices == ("a", "b", "c", "d")


def test_test_split_needs_no_answer_column(tmp_path):
    text = "id,question,A,B,C,D\n0,问,a,b,c,d\n"
    (question,) = read_split(write(tmp_path, text, "law_test.csv"), "test")
    assert question.answer == ""


def test_missing_column_names_file_and_column(tmp_path):
    path = write(tmp_path, "id,question,A,B,C,D\n0,问,a,b,c,d\n")
    with pytest.raises(LlmEvalError, match=re.escape(f"{path}: missing column 'answer'")) as info:
        read_split(path, "val")
    assert "id,question,A,B,C,D,answer" in str(info.value)


def test_short_row_names_file_line_and_row(tmp_path):
    path = write(tmp_path, VAL_HEADER + "\r\n0,问,a,b,c,d,A\r\n1,问,a,b\r\n")
    with pytest.raises(LlmEvalError, match=re.escape(f"{path}:3: row 1 has no value for column 'C'")):
        read_split(path, "val")


def test_bad_answer_letter_names_row(tmp_path):
    # The embedded line break makes the file line (4) differ from the row position (1).
    path = write(tmp_path, VAL_HEADER + '\n0,"两\n行",a,b,c,d,A\n1,问,a,b,c,d,E\n')
    with pytest.raises(LlmEvalError, match=re.escape(f"{path}:4: row 1 has answer 'E'; expected one of A, B, C, D")):
        read_split(path, "val")


@pytest.mark.parametrize("answer", ["", "a", " B", "AB"])
def test_answer_must_be_exactly_one_capital_letter(tmp_path, answer):
    path = write(tmp_path, VAL_HEADER + f"\n0,问,a,b,c,d,{answer}\n")
    with pytest.raises(LlmEvalError, match=re.escape(f"row 0 has answer {answer!r}")):
        read_split(path, "val")


def test_missing_file(tmp_path):
    path = tmp_path / "val" / "nope_val.csv"
    with pytest.raises(LlmEvalError, match=re.escape(f"{path}: file not found")):
        read_split(path, "val")


def test_empty_file_reports_empty_header(tmp_path):
    path = write(tmp_path, "")
    with pytest.raises(LlmEvalError, match=re.escape(f"{path}: missing column 'id' (header is empty")):
        read_split(path, "val")


def test_header_only_file_has_no_rows(tmp_path):
    path = write(tmp_path, VAL_HEADER + "\r\n")
    with pytest.raises(LlmEvalError, match=re.escape(f"{path}: no rows")):
        read_split(path, "val")
