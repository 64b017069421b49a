"""MMLU's and CMMLU's file layouts read as OpenCompass reads them; bad files named with file and row."""

from __future__ import annotations

import re

import pytest
from dataset_files import write_cmmlu, write_mmlu

from pytest_llmeval.datasets.benchmarks import CMMLU, MMLU
from pytest_llmeval.errors import LlmEvalError


def test_mmlu_layout_quoted_multiline_and_crlf(tmp_path):
    write_mmlu(tmp_path)
    path = MMLU.path(tmp_path / "mmlu", "anatomy", "test")
    assert path == tmp_path / "mmlu" / "test" / "anatomy_test.csv"
    questions = MMLU.read(path, "test")
    assert len(questions) == 3
    assert questions[0].question == "anatomy question 100, part one\nline two"
    assert questions[0].choices == ("opt 100a", "opt 100b", "opt 100c", "opt 100d")
    assert [q.answer for q in questions] == ["A", "B", "C"]


def test_cmmlu_layout_skips_header_and_index_and_bom(tmp_path):
    write_cmmlu(tmp_path)
    path = CMMLU.path(tmp_path / "cmmlu", "arts", "dev")
    assert path == tmp_path / "cmmlu" / "dev" / "arts.csv"
    questions = CMMLU.read(path, "dev")
    assert [q.index for q in questions] == [0, 1, 2, 3, 4]
    assert questions[4].question == "arts question 4, part one\nline two" and questions[4].answer == "A"


@pytest.mark.parametrize(
    ("reader", "text", "message"),
    [
        (MMLU, "q,a,b,c,d\n", ":1: row 0 has 5 column(s); MMLU (question,A,B,C,D,answer, no header) rows have 6"),
        (MMLU, "q,a,b,c,d,E\n", ":1: row 0 has answer 'E'; expected one of A, B, C, D"),
        (MMLU, "", ": no rows"),
        (
            CMMLU,
            ",Question,A,B,C,D,Answer\n0,q,a,b,c,d\n",
            ":2: row 0 has 6 column(s); CMMLU (,Question,A,B,C,D,Answer)",
        ),
        (CMMLU, ",Question,A,B,C,D,Answer\n", ": no rows"),
    ],
)
def test_bad_files_are_one_line(tmp_path, reader, text, message):
    path = tmp_path / "x.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LlmEvalError, match=re.escape(f"{path}{message}")):
        reader.read(path, "test")


def test_not_utf8(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("问题,a,b,c,d,A\n".encode("gbk"))
    with pytest.raises(LlmEvalError, match="not UTF-8"):
        MMLU.read(path, "test")
