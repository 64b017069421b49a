"""BIG-Bench Hard in OpenCompass's layout: ``BBH/data/<task>.json`` rows and ``BBH/lib_prompt/<task>.txt`` examples.

Each of the 27 tasks is an item. Its prompt holds the task's three worked examples, read from the prompt
file with the data (the file's text is part of the prompt, hence of the version hash). Tasks are scored
one of two ways, by OpenCompass's grouping: a letter among options, or the free-form answer text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytest_llmeval.datasets.readers import read_json
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question


@dataclass(frozen=True, slots=True)
class Task:
    key: str
    multiple_choice: bool  # scored by its option letter (bbh_mcq); else by the answer text (bbh_freeform)


_MCQ = (
    "temporal_sequences",
    "disambiguation_qa",
    "date_understanding",
    "tracking_shuffled_objects_three_objects",
    "penguins_in_a_table",
    "geometric_shapes",
    "snarks",
    "ruin_names",
    "tracking_shuffled_objects_seven_objects",
    "tracking_shuffled_objects_five_objects",
    "logical_deduction_three_objects",
    "hyperbaton",
    "logical_deduction_five_objects",
    "logical_deduction_seven_objects",
    "movie_recommendation",
    "salient_translation_error_detection",
    "reasoning_about_colored_objects",
)
_FREE_FORM = (
    "multistep_arithmetic_two",
    "navigate",
    "dyck_languages",
    "word_sorting",
    "sports_understanding",
    "boolean_expressions",
    "object_counting",
    "formal_fallacies",
    "causal_judgement",
    "web_of_lies",
)
# OpenCompass's config order, which is its summary order: the multiple-choice tasks, then the free-form ones.
TASKS: tuple[Task, ...] = tuple(Task(k, True) for k in _MCQ) + tuple(Task(k, False) for k in _FREE_FORM)


def data_file(key: str, split: str) -> str:
    return f"data/{key}.json"


def prompt_file(key: str) -> str:
    return f"lib_prompt/{key}.txt"


def read_bbh(path: Path, split: str) -> tuple[Question, ...]:
    """``{"examples": [{"input", "target"}, …]}``: every row, as is."""
    data = read_json(path)
    examples = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(examples, list) or not examples:
        raise LlmEvalError(f'{path}: expected {{"examples": [{{"input": …, "target": …}}, …]}} with at least one row')
    questions = []
    for number, row in enumerate(examples):
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ("input", "target")):
            have = ", ".join(row) if isinstance(row, dict) else type(row).__name__
            raise LlmEvalError(f'{path}: examples[{number}] needs "input" and "target" strings (has {have})')
        columns = tuple((k, str(v)) for k, v in row.items())
        questions.append(Question(len(questions), row["input"], (), row["target"], columns, "target"))
    return tuple(questions)
