"""HumanEval and MBPP problems, read as OpenCompass 0.2.4's loaders read them (``opencompass-suites.md`` §11-§12).

A problem's columns are what its program is assembled from later (HumanEval: prompt, test, entry point; MBPP: the
joined asserts), so a row missing one is refused here, with one line naming the file, the line and the field,
before any model loads.
"""

from __future__ import annotations

from pathlib import Path

from pytest_llmeval.datasets.choices import _columns, _need
from pytest_llmeval.datasets.gsm8k import read_jsonl
from pytest_llmeval.datasets.templates import Role
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question

# MBPPDataset: the file's first 10 rows are "train" (never used: the shots are in the template), the next 500 "test".
MBPP_SPLITS = {"train": slice(0, 10), "test": slice(10, 510)}


def read_humaneval(path: Path, split: str) -> tuple[Question, ...]:
    """``humaneval/human-eval-v2-20210705.jsonl``: every field of the problem; the gold is its ``task_id``."""
    questions = []
    for number, row in read_jsonl(path):
        where = f"{path}:{number}: problem {len(questions)}"
        task_id, prompt, _, _ = _need(row, where, "HumanEval", task_id=str, prompt=str, entry_point=str, test=str)
        questions.append(Question(len(questions), prompt, (), task_id, _columns(row), "task_id"))
    return tuple(questions)


def read_mbpp(path: Path, split: str) -> tuple[Question, ...]:
    """``mbpp/mbpp.jsonl`` rows 10-509 (``test``): ``test_list`` joined with newlines, ``test_case`` the list as
    read, ``test_list_2`` the joined text again (the gold: the asserts the program must pass)."""
    rows = read_jsonl(path)
    chosen = rows[MBPP_SPLITS[split]]
    if len(rows) < 11:
        raise LlmEvalError(f"{path}: {len(rows)} rows; MBPP's test split is rows 10-509 (the first 10 are its shots)")
    questions = []
    for number, row in chosen:
        where = f"{path}:{number}: task_id {row.get('task_id', '?')}"
        text, tests = _need(row, where, "MBPP", text=str, test_list=list)
        if not tests or not all(isinstance(test, str) for test in tests):
            raise LlmEvalError(f'{where}: "test_list" must be a non-empty list of assert strings')
        joined = "\n".join(tests)
        # The loader's map: test_list replaced where it stands, then two new columns at the end.
        columns = {**row, "test_list": joined, "test_case": tests, "test_list_2": joined}
        questions.append(Question(len(questions), text, (), joined, _columns(columns), "test_list_2"))
    return tuple(questions)


# mbpp_gen_1e1056: three worked tasks and the test task in one round, byte for byte. Each answer is a quoted string
# whose code keeps "\r\n" line ends; the test task's asserts are joined by a bare "\n" and followed by two spaces.
MBPP_ROUNDS: tuple[tuple[Role, str], ...] = (
    (
        "HUMAN",
        (
            "You are an expert Python programmer, and here is your task: Write a function to find the similar elements "
            "from the given two tuple lists. Your code should pass these tests:\n\n assert similar_elements((3, 4, 5, "
            "6),(5, 7, 4, 10)) == (4, 5)\n assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4) \n assert "
            "similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14) \n"
        ),
    ),
    (
        "BOT",
        (
            "[BEGIN]\n 'def similar_elements(test_tup1, test_tup2):\r\n  res = tuple(set(test_tup1) & set(test_tup2))\r\n"
            "  return (res)' \n[DONE] \n\n "
        ),
    ),
    (
        "HUMAN",
        (
            "You are an expert Python programmer, and here is your task: Write a python function to identify non-prime "
            "numbers. Your code should pass these tests:\n\n assert is_not_prime(2) == False \n assert is_not_prime(10) "
            "== True \n assert is_not_prime(35) == True \n"
        ),
    ),
    (
        "BOT",
        (
            "[BEGIN]\n 'import math\r\ndef is_not_prime(n):\r\n    result = False\r\n    for i in range(2,"
            "int(math.sqrt(n)) + 1):\r\n        if n % i == 0:\r\n            result = True\r\n    return result' \n"
            "[DONE] \n\n "
        ),
    ),
    (
        "HUMAN",
        (
            "You are an expert Python programmer, and here is your task: Write a function to find the largest integers "
            "from a given list of numbers using heap queue algorithm. Your code should pass these tests:\n\n assert "
            "heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65] \n assert heap_queue_largest( "
            "[25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75] \n assert heap_queue_largest( [25, 35, 22, 85, 14, 65, "
            "75, 22, 58],5)==[85, 75, 65, 58, 35] \n"
        ),
    ),
    (
        "BOT",
        (
            "[BEGIN]\n 'import heapq as hq\r\ndef heap_queue_largest(nums,n):\r\n  largest_nums = hq.nlargest(n, nums)"
            "\r\n  return largest_nums' \n[DONE] \n\n "
        ),
    ),
    (
        "HUMAN",
        (
            "You are an expert Python programmer, and here is your task: {text} Your code should pass these tests:\n\n "
            "{test_list}  \n"
        ),
    ),
    ("BOT", "[BEGIN]\n"),
)
