"""Readers for MMLU's and CMMLU's positional CSV files, checked row by row (C-Eval's own reader is ``ceval.py``),
and the text and JSON openers the other readers share.

Files are opened as OpenCompass opens them: UTF-8 (a BOM tolerated) with universal newlines, so a
CRLF inside a quoted field becomes ``\\n`` in the prompt.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question

LETTERS = ("A", "B", "C", "D")


def read_text(path: Path) -> str:
    """A data file's text as UTF-8 with newlines made ``\\n``; one line naming the file when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LlmEvalError(f"{path}: file not found") from None
    except UnicodeDecodeError as error:
        raise LlmEvalError(f"{path}: not UTF-8 ({error.reason} at byte {error.start}); re-save it as UTF-8") from None


def read_json(path: Path) -> object:
    """A whole JSON file, parsed; one line naming the file when it is not JSON."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise LlmEvalError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None


def read_positional(path: Path, *, layout: str, columns: int, skip_header: bool) -> tuple[Question, ...]:
    """Rows of ``columns`` cells whose last six are question, A, B, C, D, answer (CMMLU adds a leading index)."""
    try:
        handle = path.open(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LlmEvalError(f"{path}: file not found") from None
    questions: list[Question] = []
    with handle:
        reader = csv.reader(handle)
        try:
            if skip_header:
                next(reader, None)
            for row in reader:
                line = reader.line_num
                if len(row) != columns:
                    raise LlmEvalError(
                        f"{path}:{line}: row {len(questions)} has {len(row)} column(s); {layout} rows have {columns}"
                    )
                question, *choices, answer = row[-6:]
                if answer not in LETTERS:
                    raise LlmEvalError(
                        f"{path}:{line}: row {len(questions)} has answer {answer!r}; expected one of A, B, C, D"
                    )
                questions.append(Question(len(questions), question, tuple(choices), answer))  # type: ignore[arg-type]
        except UnicodeDecodeError as error:
            raise LlmEvalError(
                f"{path}: not UTF-8 ({error.reason} at byte {error.start}); re-save it as UTF-8"
            ) from None
    if not questions:
        raise LlmEvalError(f"{path}: no rows")
    return tuple(questions)


def read_mmlu(path: Path, split: str) -> tuple[Question, ...]:
    """``<subject>_<split>.csv`` of hendrycks' data: no header, question,A,B,C,D,answer."""
    return read_positional(path, layout="MMLU (question,A,B,C,D,answer, no header)", columns=6, skip_header=False)


def read_cmmlu(path: Path, split: str) -> tuple[Question, ...]:
    """``<subject>.csv``: a header row, then index,Question,A,B,C,D,Answer."""
    return read_positional(path, layout="CMMLU (,Question,A,B,C,D,Answer)", columns=7, skip_header=True)
