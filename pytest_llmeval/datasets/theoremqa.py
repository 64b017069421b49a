"""TheoremQA as OpenCompass 0.2.4 reads and prompts it (``opencompass-core.md`` §14): ``TheoremQA/test.csv``, 800
questions, zero-shot, scored by exact string match of the last line's answer with the ``Answer`` cell.

OpenCompass loads the file with HuggingFace's csv builder (pandas underneath), which keeps every cell of these
columns as the file's text: ``Answer`` stays ``0.02``, ``True``, ``[1, 2]`` or ``(c)``, never a number. The csv
module reads the same cells, quoted newlines included; only pandas' missing-value markers (``null``, empty) differ,
and they become ``None`` here as there (``Picture`` is ``null`` in most rows).
"""

from __future__ import annotations

import csv
from pathlib import Path

from pytest_llmeval.datasets.plain_gen import plain_config
from pytest_llmeval.datasets.templates import InferConfig, Rounds, Template, Turn
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question

COLUMNS = ("Question", "Answer", "Answer_type")  # the reader's input columns and its output column
# pandas.read_csv's default missing-value markers: such a cell is None in OpenCompass's row.
_MISSING = frozenset(
    ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
     "NULL", "NaN", "None", "n/a", "nan", "null")
)  # fmt: skip


def read_theoremqa(path: Path, split: str) -> tuple[Question, ...]:
    """Every row of ``test.csv`` in file order; the gold is the ``Answer`` cell as written."""
    try:
        # newline="": a newline inside a quoted cell is kept as written, as pandas keeps it.
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise LlmEvalError(f"{path}: file not found") from None
    with handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
            absent = [name for name in COLUMNS if name not in (header or ())]
            if header is None or absent:
                raise LlmEvalError(
                    f"{path}: the header has no {', '.join(absent)} column; TheoremQA's test.csv starts with "
                    f"{','.join(COLUMNS)},…"
                )
            questions: list[Question] = []
            for row in reader:
                if row:  # pandas skips blank lines
                    questions.append(_question(path, reader.line_num, header, row, len(questions)))
        except csv.Error as error:
            raise LlmEvalError(f"{path}:{reader.line_num}: not valid CSV ({error}); check the quoting there") from None
        except UnicodeDecodeError as error:
            raise LlmEvalError(
                f"{path}: not UTF-8 ({error.reason} at byte {error.start}); re-save it as UTF-8"
            ) from None
    if not questions:
        raise LlmEvalError(f"{path}: no rows")
    return tuple(questions)


def _question(path: Path, line: int, header: list[str], row: list[str], index: int) -> Question:
    where = f"{path}:{line}: row {index}"
    if len(row) != len(header):
        raise LlmEvalError(f"{where} has {len(row)} cell(s) but the header has {len(header)}; check the quoting")
    cells = dict(zip(header, row))
    for name in ("Question", "Answer"):
        if cells[name] in _MISSING:
            raise LlmEvalError(f"{where}: {name} is {cells[name]!r}, which OpenCompass reads as missing; fill it in")
    # Every column fills the prompt, in file order (a missing cell as "None", what str() makes of pandas' None).
    columns = tuple((name, "None" if value in _MISSING else value) for name, value in cells.items())
    return Question(index, cells["Question"], (), cells["Answer"], columns, "Answer")


TEMPLATE = (
    "You are a mathematician, you are supposed to answer the given question. You need to output the answer in your "
    'final sentence like "Therefore, the answer is ...". The answer can only be one of the following forms:\n'
    "1. a numerical value like 0.1, no symbol and no unit at all.\n2. a list of number like [2, 3, 4].\n"
    "3. True/False.\n4. an option like (a), (b), (c), (d)\nQuestion: {Question}\nLet's think step by step."
)


def theoremqa_gen_2c2583(name: str) -> InferConfig:
    return plain_config(TEMPLATE)


def theoremqa_gen_ef26ca(name: str) -> InferConfig:
    return InferConfig("gen", None, Template(Rounds((Turn("HUMAN", TEMPLATE),))), shots=0, max_out_len=512)
