"""OpenCompass-format custom datasets (``.jsonl`` / ``.csv`` plus an optional ``.meta.json``): reading,
detection, metadata merging and the prompt templates OpenCompass 0.2.4 generates for them.

Facts from ``opencompass-datasets.md`` §6: the first row decides the columns; ``A``, ``B``, … present
as consecutive keys make a multiple-choice (``mcq``) dataset, else question-answer (``qa``); the
meta file, then the user's declaration, override what was detected. All zero-shot.
"""

from __future__ import annotations

import csv
import json
import re
import string
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pytest_llmeval.datasets.templates import InferConfig, Rounds, Template, Turn
from pytest_llmeval.errors import LlmEvalError

# The module paths OpenCompass's custom-dataset code writes into the config (hashed into the version).
ZERO_RETRIEVER_MODULE = "opencompass.openicl.icl_retriever.icl_zero_retriever.ZeroRetriever"
GEN_INFERENCER_MODULE = "opencompass.openicl.icl_inferencer.icl_gen_inferencer.GenInferencer"
PPL_INFERENCER_MODULE = "opencompass.openicl.icl_inferencer.icl_ppl_inferencer.PPLInferencer"

META_KEYS = frozenset(
    {"abbr", "data_type", "infer_method", "input_columns", "output_column", "options", "human_prompt", "bot_prompt"}
)
DATA_TYPES = ("mcq", "qa")
INFER_METHODS = ("gen", "ppl")
Row = dict[str, str]


@dataclass(frozen=True, slots=True)
class CustomMeta:
    """Everything that shapes a custom dataset's prompts, after detection and every override."""

    abbr: str
    data_type: str
    infer_method: str
    input_columns: tuple[str, ...]
    output_column: str | None
    options: tuple[str, ...]
    human_prompt: str | None = None
    bot_prompt: str | None = None


def read_rows(path: Path) -> list[Row]:
    """Every row of a ``.jsonl`` or ``.csv`` file as a dict of strings; one line naming file and line on error."""
    if path.suffix not in (".jsonl", ".csv"):
        raise LlmEvalError(f"{path}: a custom dataset is a .jsonl or .csv file (OpenCompass's custom format)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LlmEvalError(f"{path}: file not found") from None
    except UnicodeDecodeError as error:
        raise LlmEvalError(f"{path}: not UTF-8 ({error.reason} at byte {error.start}); re-save it as UTF-8") from None
    rows = _jsonl(path, text) if path.suffix == ".jsonl" else _csv(text)
    if not rows:
        raise LlmEvalError(f"{path}: no rows")
    return rows


def _jsonl(path: Path, text: str) -> list[Row]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as error:
            raise LlmEvalError(f"{path}:{number}: not a JSON object ({error.msg})") from None
        if not isinstance(value, dict):
            raise LlmEvalError(f"{path}:{number}: not a JSON object (got {type(value).__name__})")
        rows.append({str(k): "" if v is None else str(v) for k, v in value.items()})
    return rows


def _csv(text: str) -> list[Row]:
    return [dict(row) for row in csv.DictReader(text.splitlines(keepends=True))]


def detect(path: Path, first: Row) -> CustomMeta:
    """What OpenCompass infers from the file name and first row: columns, options, mcq or qa, gen."""
    options = []
    for letter in string.ascii_uppercase:
        if letter not in first:
            break
        options.append(letter)
    if len(options) >= 2:
        gap = next((x for x in string.ascii_uppercase[len(options) :] if x in first), None)
        if gap:
            raise LlmEvalError(
                f"{path}: option columns {', '.join(options)} then {gap}: options must be consecutive letters from A"
            )
    return CustomMeta(
        abbr=path.name.split(".")[0],
        data_type="mcq" if len(options) >= 2 else "qa",
        infer_method="gen",
        input_columns=tuple(key for key in first if key != "answer"),
        output_column="answer" if "answer" in first else None,
        options=tuple(options) if len(options) >= 2 else (),
    )


def merge(meta: CustomMeta, overrides: dict[str, Any], where: str, columns: tuple[str, ...]) -> CustomMeta:
    """Apply a meta file's or a declaration's keys over ``meta``, checking each against the data."""
    unknown = sorted(set(overrides) - META_KEYS)
    if unknown:
        raise LlmEvalError(f"{where}: unknown key {unknown[0]!r}; keys are {', '.join(sorted(META_KEYS))}")
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in ("input_columns", "options"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise LlmEvalError(f"{where}: {key} must be a list of column names")
            missing = [v for v in value if v not in columns]
            if missing:
                raise LlmEvalError(f"{where}: {key} names column {missing[0]!r}, which the data does not have")
            values[key] = tuple(value)
        elif key == "output_column" and value is not None and value not in columns:
            raise LlmEvalError(f"{where}: output_column {value!r} is not a column of the data")
        elif key == "data_type" and value not in DATA_TYPES:
            raise LlmEvalError(f"{where}: data_type {value!r} is not one of {', '.join(DATA_TYPES)}")
        elif key == "infer_method" and value not in INFER_METHODS:
            raise LlmEvalError(f"{where}: infer_method {value!r} is not one of {', '.join(INFER_METHODS)}")
        else:
            values[key] = value
    merged = replace(meta, **values)
    if merged.data_type == "mcq" and len(merged.options) < 2:
        raise LlmEvalError(f"{where}: an mcq dataset needs option columns A, B, … (at least two)")
    if merged.infer_method == "ppl" and (merged.data_type != "mcq" or merged.output_column is None):
        raise LlmEvalError(f"{where}: ppl scoring needs an mcq dataset with an answer column")
    return merged


def read_meta_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except ValueError as error:
        raise LlmEvalError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise LlmEvalError(f"{path}: expected a JSON object of metadata keys")
    return data


def human_prompt(meta: CustomMeta) -> str:
    if meta.human_prompt is not None:
        return meta.human_prompt
    if meta.data_type == "mcq":
        return "Question: {question}" + "".join(f"\n{x}. {{{x}}}" for x in meta.options)
    return "{question}"


def infer_config(meta: CustomMeta) -> InferConfig:
    """The zero-shot template OpenCompass generates for ``meta`` (mcq gen, mcq ppl or qa gen)."""
    human = Turn("HUMAN", human_prompt(meta))
    if meta.infer_method == "ppl":
        by_label = tuple((x, Rounds((human, Turn("BOT", meta.bot_prompt or f"Answer: {x}")))) for x in meta.options)
        template = Template(by_label=by_label)
        inferencer = PPL_INFERENCER_MODULE
    else:
        if meta.data_type == "mcq":
            bot = meta.bot_prompt or f"Answer: {{{meta.output_column}}}"  # "{None}" without an answer column: sic
            turns: tuple[Turn, ...] = (human, Turn("BOT", bot))
        elif meta.output_column is not None:
            turns = (human, Turn("BOT", meta.bot_prompt or f"{{{meta.output_column}}}"))
        else:
            turns = (human,)
        template = Template(Rounds(turns))
        inferencer = GEN_INFERENCER_MODULE
    return InferConfig(
        meta.infer_method,  # type: ignore[arg-type]
        None,
        template,
        shots=0,
        retriever_type=ZERO_RETRIEVER_MODULE,
        inferencer_type=inferencer,
    )


_FIELD = re.compile(r"\{([^{}]+)\}")


def check_fields(meta: CustomMeta, where: str, columns: tuple[str, ...]) -> None:
    """Every ``{field}`` a prompt names must be a column (OpenCompass would leave it in the prompt silently)."""
    for text in (human_prompt(meta), meta.bot_prompt or ""):
        for name in _FIELD.findall(text):
            if name not in columns:
                raise LlmEvalError(f"{where}: the prompt names {{{name}}}, which is not a column of the data")


def check_rows(meta: CustomMeta, rows: list[Row], path: Path) -> None:
    """Each row has every column the prompts use, and an mcq answer is one of the options (row 0 = first data row)."""
    needed = [name for name in _FIELD.findall(human_prompt(meta)) if name in meta.input_columns]
    for number, row in enumerate(rows):
        absent = [name for name in needed if not row.get(name)]
        if absent:
            raise LlmEvalError(f"{path}: row {number} has no {absent[0]!r}")
        if meta.data_type == "mcq" and meta.output_column and row.get(meta.output_column) not in meta.options:
            raise LlmEvalError(
                f"{path}: row {number} has answer {row.get(meta.output_column)!r}; "
                f"expected one of {', '.join(meta.options)}"
            )
