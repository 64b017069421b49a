"""Sanitized MBPP (``mbpp/sanitized-mbpp.jsonl``), read as OpenCompass 0.2.4's ``SanitizedMBPPDataset`` reads it
(``opencompass-core.md`` §10).

The file's rows 0-6 are its training split (never used: the shots are in the templates), rows 7-263 the 257 tasks
evaluated; later rows are never read. Each task's asserts become its program's tests, so a row missing them, or a
file that ends before row 263, is refused here with one line naming the file and the row, before any model loads.
"""

from __future__ import annotations

from pathlib import Path

from pytest_llmeval.datasets.choices import _columns, _need
from pytest_llmeval.datasets.gsm8k import read_jsonl
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question

SPLITS = {"train": slice(0, 7), "test": slice(7, 264)}


def read_sanitized_mbpp(path: Path, split: str) -> tuple[Question, ...]:
    """Rows 7-263 (``test``): ``prompt`` renamed ``text``, ``test_list`` joined with newlines, and ``test_list_2``
    the joined text again (the gold: the asserts the program must pass)."""
    rows = read_jsonl(path)
    wanted = SPLITS[split]
    if len(rows) < wanted.stop:
        raise LlmEvalError(
            f"{path}: row {wanted.stop - 1} missing (the file has {len(rows)} rows); sanitized MBPP's {split} split is "
            f"the file's rows {wanted.start}-{wanted.stop - 1}; restore the whole file (427 rows)"
        )
    questions = []
    for number, row in rows[wanted]:
        where = f"{path}:{number}: task_id {row.get('task_id', '?')}"
        text, tests = _need(row, where, "Sanitized MBPP", prompt=str, test_list=list)
        if not tests or not all(isinstance(test, str) for test in tests):
            raise LlmEvalError(f'{where}: "test_list" must be a non-empty list of assert strings')
        joined = "\n".join(tests)
        # The loader's map on each row: "prompt" popped and re-added as "text" (last), "test_list" replaced where it
        # stands, "test_list_2" appended.
        columns = {name: value for name, value in row.items() if name != "prompt"}
        columns["text"] = text
        columns["test_list"] = joined
        columns["test_list_2"] = joined
        questions.append(Question(len(questions), text, (), joined, _columns(columns), "test_list_2"))
    return tuple(questions)
