"""OpenCompass-format custom datasets (``.jsonl`` / ``.csv`` plus an optional ``.meta.json``): reading,
detection, metadata merging and the prompt templates OpenCompass 0.2.4 generates for them.

Facts from ``opencompass-datasets.md`` §6: the first row decides the columns; ``A``, ``B``, … present
as consecutive keys make a multiple-choice (``mcq``) dataset, else question-answer (``qa``); the
meta file, then the user's declaration, override what was detected. All zero-shot.
"""

from __future__ import annotations

import csv
import io
import json
import re
import string
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pytest_llmeval.datasets.templates import InferConfig, Rounds, Template, Turn
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question

# The module paths OpenCompass's custom-dataset code writes into the config (hashed into the version).
ZERO_RETRIEVER_MODULE = "opencompass.openicl.icl_retriever.icl_zero_retriever.ZeroRetriever"
GEN_INFERENCER_MODULE = "opencompass.openicl.icl_inferencer.icl_gen_inferencer.GenInferencer"
PPL_INFERENCER_MODULE = "opencompass.openicl.icl_inferencer.icl_ppl_inferencer.PPLInferencer"

# OpenCompass's keys, then one of ours: answer_match (how a qa answer is judged; OpenCompass ignores it).
META_KEYS = frozenset(
    {
        "abbr", "data_type", "infer_method", "input_columns", "output_column", "options",
        "human_prompt", "bot_prompt", "template", "answer_match",
    }
)  # fmt: skip
DATA_TYPES = ("mcq", "qa")
INFER_METHODS = ("gen", "ppl")
# exact: OpenCompass's rule (the raw output equals the answer); regex: the answer cell is a regular expression
# searched in the output; list: the answer cell is a JSON array of accepted answers, compared stripped.
ANSWER_MATCHES = ("exact", "regex", "list")
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
    template: Template | None = None  # replaces the generated prompt template entirely
    answer_match: str = "exact"


def read_rows(path: Path) -> list[Row]:
    """Every row of a ``.jsonl`` or ``.csv`` file as a dict of strings; one line naming file and line on error."""
    return [row for _, row in read_numbered(path)]


def read_numbered(path: Path) -> list[tuple[int, Row]]:
    """``read_rows`` with each row's line number in the file (where a CSV row starts), for error messages."""
    if path.suffix not in (".jsonl", ".csv"):
        raise LlmEvalError(f"{path}: a custom dataset is a .jsonl or .csv file (OpenCompass's custom format)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LlmEvalError(f"{path}: file not found") from None
    except UnicodeDecodeError as error:
        raise LlmEvalError(f"{path}: not UTF-8 ({error.reason} at byte {error.start}); re-save it as UTF-8") from None
    rows = _jsonl(path, text) if path.suffix == ".jsonl" else _csv(path, text)
    if not rows:
        raise LlmEvalError(f"{path}: no rows")
    return rows


def _jsonl(path: Path, text: str) -> list[tuple[int, Row]]:
    rows = []
    # Lines end at "\n" only (read_text made "\r\n" and "\r" into it), as OpenCompass's ``for line in f`` ends them:
    # ``splitlines`` would also cut at U+2028, U+0085 and the like, which a JSON string may hold unescaped.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as error:
            raise LlmEvalError(f"{path}:{number}: not a JSON object ({error.msg})") from None
        if not isinstance(value, dict):
            raise LlmEvalError(f"{path}:{number}: not a JSON object (got {type(value).__name__})")
        rows.append((number, {str(k): _cell(v) for k, v in value.items()}))
    return rows


def _cell(value: Any) -> str:
    """A JSON value as prompt text; lists and objects stay JSON (a ``list`` answer is a JSON array)."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv(path: Path, text: str) -> list[tuple[int, Row]]:
    # A file object's lines, as the csv module expects: "\n" ends a line, U+2028 inside a cell does not.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows, line = [], 2
    for row in reader:
        if None in row:
            raise LlmEvalError(
                f"{path}:{line}: {len(row) - 1 + len(row[None])} fields, but the header names {len(row) - 1}"  # type: ignore[index]
            )
        rows.append((line, {k: v or "" for k, v in row.items()}))
        line = reader.line_num + 1
    return rows


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
        elif key == "answer_match" and value not in ANSWER_MATCHES:
            raise LlmEvalError(f"{where}: answer_match {value!r} is not one of {', '.join(ANSWER_MATCHES)}")
        elif key in ("abbr", "human_prompt", "bot_prompt") and not isinstance(value, str):
            raise LlmEvalError(f"{where}: {key} must be a string, got {value!r}")
        elif key == "template":
            values[key] = parse_template(value, f"{where}: template")
        else:
            values[key] = value
    merged = replace(meta, **values)
    if merged.data_type == "mcq" and len(merged.options) < 2:
        raise LlmEvalError(f"{where}: an mcq dataset needs option columns A, B, … (at least two)")
    if merged.infer_method == "ppl" and (merged.data_type != "mcq" or merged.output_column is None):
        raise LlmEvalError(f"{where}: ppl scoring needs an mcq dataset with an answer column")
    if merged.answer_match != "exact" and merged.data_type != "qa":
        raise LlmEvalError(
            f"{where}: answer_match {merged.answer_match!r} is for qa datasets (mcq answers are letters)"
        )
    if merged.template is not None:
        labelled = bool(merged.template.by_label)
        if labelled != (merged.infer_method == "ppl"):
            want = "one prompt per option label" if merged.infer_method == "ppl" else "one prompt (a string or round)"
            raise LlmEvalError(f"{where}: template: {merged.infer_method} scoring needs {want}")
        if labelled and set(merged.template.labels) != set(merged.options):
            raise LlmEvalError(
                f"{where}: template labels {', '.join(merged.template.labels)} are not the options "
                f"{', '.join(merged.options)}"
            )
    return merged


def parse_template(value: Any, where: str) -> Template:
    """A meta file's ``template``: a string, a round (``{"round": [{"role", "prompt"}, …]}``), or for ppl a dict of
    option label to either; OpenCompass uses it in place of the generated template, and so do we."""
    if isinstance(value, dict) and "round" not in value and value:
        return Template(
            by_label=tuple((str(label), _entry(entry, f"{where}.{label}")) for label, entry in value.items())
        )
    return Template(_entry(value, where))


def _entry(value: Any, where: str) -> str | Rounds:
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or not isinstance(value.get("round"), list) or set(value) - {"round", "begin"}:
        raise LlmEvalError(f'{where}: expected a string or {{"round": [{{"role": "HUMAN", "prompt": "…"}}, …]}}')
    turns = []
    for turn in value["round"]:
        if (
            not isinstance(turn, dict)
            or set(turn) != {"role", "prompt"}
            or turn["role"] not in ("HUMAN", "BOT")
            or not isinstance(turn["prompt"], str)
        ):
            raise LlmEvalError(f'{where}: each round turn is {{"role": "HUMAN" or "BOT", "prompt": "…"}}, got {turn!r}')
        turns.append(Turn(turn["role"], turn["prompt"]))
    begin = value.get("begin")
    if begin is not None and not isinstance(begin, str):
        raise LlmEvalError(f"{where}: begin must be a string")
    return Rounds(tuple(turns), begin)


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
    if meta.template is not None:
        template = meta.template
    elif meta.infer_method == "ppl":
        # Each label's BOT turn is the bot prompt with the answer field set to that label ("Answer: A", …).
        bot = meta.bot_prompt or f"Answer: {{{meta.output_column}}}"
        answer_field = f"{{{meta.output_column}}}"
        by_label = tuple((x, Rounds((human, Turn("BOT", bot.replace(answer_field, x))))) for x in meta.options)
        template = Template(by_label=by_label)
    else:
        if meta.data_type == "mcq":
            bot = meta.bot_prompt or f"Answer: {{{meta.output_column}}}"  # "{None}" without an answer column: sic
            turns: tuple[Turn, ...] = (human, Turn("BOT", bot))
        elif meta.output_column is not None:
            turns = (human, Turn("BOT", meta.bot_prompt or f"{{{meta.output_column}}}"))
        else:
            turns = (human,)
        template = Template(Rounds(turns))
    return InferConfig(
        meta.infer_method,  # type: ignore[arg-type]
        None,
        template,
        shots=0,
        retriever_type=ZERO_RETRIEVER_MODULE,
        inferencer_type=PPL_INFERENCER_MODULE if meta.infer_method == "ppl" else GEN_INFERENCER_MODULE,
    )


def scoring_rule(meta: CustomMeta) -> str:
    """The key of ``scoring.RULES`` for a gen dataset: OpenCompass's option matching for mcq, else answer_match."""
    return "option_sim" if meta.data_type == "mcq" else meta.answer_match


_FIELD = re.compile(r"\{([^{}]+)\}")


def prompt_texts(meta: CustomMeta) -> list[str]:
    """Every prompt string that will be filled from a row."""
    if meta.template is None:
        return [human_prompt(meta), meta.bot_prompt or ""]
    entries = [meta.template.for_label(label) for label in meta.template.labels] or [meta.template.for_label(None)]
    texts = []
    for entry in entries:
        texts += [entry] if isinstance(entry, str) else [turn.prompt for turn in entry.turns]
    return texts


def check_fields(meta: CustomMeta, where: str, columns: tuple[str, ...]) -> None:
    """Every ``{field}`` a prompt names must be a column (OpenCompass would leave it in the prompt silently)."""
    for text in prompt_texts(meta):
        for name in _FIELD.findall(text):
            if name not in columns:
                raise LlmEvalError(f"{where}: the prompt names {{{name}}}, which is not a column of the data")


def check_rows(meta: CustomMeta, rows: list[tuple[int, Row]], path: Path) -> None:
    """Each row has every column its prompts use, and an answer that can be scored; one line naming the line."""
    if meta.output_column is None:
        raise LlmEvalError(
            f"{path}: no answer column, so nothing can be scored; add an 'answer' column "
            "or name one with output_column in the meta file"
        )
    needed = [name for text in prompt_texts(meta) for name in _FIELD.findall(text) if name in meta.input_columns]
    for line, row in rows:
        absent = [name for name in dict.fromkeys(needed) if not row.get(name)]
        if absent:
            raise LlmEvalError(f"{path}:{line}: no {absent[0]!r} in this row")
        answer = row.get(meta.output_column, "")
        if meta.data_type == "mcq" and answer not in meta.options:
            raise LlmEvalError(f"{path}:{line}: answer {answer!r} is not one of the options {', '.join(meta.options)}")
        if meta.data_type == "qa":
            _check_answer(meta.answer_match, answer, f"{path}:{line}")


def _check_answer(match: str, answer: str, where: str) -> None:
    if not answer:
        raise LlmEvalError(f"{where}: empty answer")
    if match == "regex":
        try:
            re.compile(answer)
        except re.error as error:
            raise LlmEvalError(f"{where}: answer {answer!r} is not a regular expression ({error})") from None
    elif match == "list":
        try:
            items = json.loads(answer)
        except ValueError:
            items = None
        if not isinstance(items, list) or not items or not all(isinstance(item, str) for item in items):
            raise LlmEvalError(
                f'{where}: answer {answer!r} is not a JSON list of accepted answers such as ["Paris", "paris"]'
            )


def questions(meta: CustomMeta, rows: list[tuple[int, Row]]) -> tuple[Question, ...]:
    """The rows as records, every column kept in the first row's order (OpenCompass's column order)."""
    order = tuple(rows[0][1]) if rows else ()
    assert meta.output_column is not None
    return tuple(
        Question(
            index=index,
            question=row.get("question", ""),
            choices=tuple(row.get(letter, "") for letter in meta.options) if meta.data_type == "mcq" else (),
            answer=row.get(meta.output_column, ""),
            columns=tuple((name, row.get(name, "")) for name in order),
            output_column=meta.output_column,
        )
        for index, (_, row) in enumerate(rows)
    )
