"""The baseline file: one run's per-question verdicts, small enough to commit, and its reader.

A baseline holds no prompts and no model output beyond each question's extracted answer: per subject, the
dataset config and version hash it ran with, and for every question (keyed by ``Question.key``, a
fingerprint of its content) whether it was right and what was extracted: ``[1, "B"]``. A question that earns
points (GAOKAO-Bench) holds its points, the answer and the points it was worth: ``[1, "B", 2]``. Keys are
sorted and lists kept on one line, so a re-saved baseline diffs question by question in a pull request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_llmeval import __version__
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import SubjectResult
from pytest_llmeval.settings import Settings

FORMAT = "pytest-llmeval baseline"  # kept under the new name, so baselines saved before it still read
FORMAT_VERSION = 1
ANSWER_CHARS = 120  # a qa answer can be a paragraph; the flips file shows this much of the baseline's
# The settings that change what a model answers; paths and cache folders differ between machines.
COMPARED_SETTINGS = (
    "max_seq_len",
    "max_out_len",
    "batch_size",
    "hf_type",
    "preset",
    "meta_template",
    "model_kwargs",
    "limit",
    "prefix_cache",
)


@dataclass(frozen=True, slots=True)
class BaselineSubject:
    """One subject of the baseline run: where its questions came from and how each one went."""

    abbr: str
    config: str
    version: str
    accuracy: float
    answers: Mapping[str, tuple[bool, str]]  # question key -> (correct, extracted answer)
    marks: Mapping[str, tuple[int, int]] = field(
        default_factory=dict
    )  # key -> (points, possible), where it earns points

    def earned(self, key: str) -> tuple[int, int]:
        """A question's (points, possible): a right-or-wrong one is 1 or 0 of 1."""
        return self.marks.get(key) or (int(self.answers[key][0]), 1)


@dataclass(frozen=True, slots=True)
class Baseline:
    path: Path
    model: str
    run_id: str
    plugin_version: str
    settings: Mapping[str, Any]
    subjects: Mapping[str, BaselineSubject]


def baseline_json(settings: Settings, results: Iterable[SubjectResult], run_id: str) -> dict:
    everything = settings.to_json()
    subjects = {}
    for result in (result for result in results if result.answered):  # nothing scored, nothing to compare
        subjects[result.abbr] = {
            "config": result.config,
            "version": result.version,
            "accuracy": round(result.accuracy, 6),
            "correct": result.correct,
            "total": result.total,
            **({"points": result.points, "possible": result.possible} if result.partial else {}),
            "questions": {o.key: _question(o.correct, o.answer, o.points, o.possible) for o in result.outcomes},
        }
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "plugin_version": __version__,
        "run_id": run_id,
        "model": settings.model_abbr,
        "settings": {name: everything[name] for name in COMPARED_SETTINGS},
        "subjects": subjects,
    }


def _question(correct: bool, answer: str, points: int, possible: int) -> list:
    if possible:
        return [points, answer[:ANSWER_CHARS], possible]
    return [int(correct), answer[:ANSWER_CHARS]]


def dump(data: Any, indent: int = 0) -> str:
    """JSON with sorted keys, an object member per line, and arrays of plain values kept on one line."""
    pad = "  " * (indent + 1)
    if isinstance(data, dict) and data:
        members = [f"{pad}{json.dumps(key)}: {dump(data[key], indent + 1)}" for key in sorted(data)]
        return "{\n" + ",\n".join(members) + "\n" + "  " * indent + "}"
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def render_baseline(settings: Settings, results: Iterable[SubjectResult], run_id: str) -> str:
    return dump(baseline_json(settings, results, run_id)) + "\n"


def read_baseline(path: Path, option: str = "--llm-baseline") -> Baseline:
    """Read and check a baseline file; any problem is one ``LlmEvalError`` line naming the file."""
    where = f"{option} {path}"
    resave = f"re-save it on the base branch with --llm-save-baseline {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LlmEvalError(
            f"{where}: no such file; write one from a run of the base branch with --llm-save-baseline {path}"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise LlmEvalError(f"{where}: cannot read it ({error.__class__.__name__}: {error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        cut = error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated string")
        problem = "it ends early (truncated)" if cut else "it is not valid JSON"
        raise LlmEvalError(f"{where}: {problem} at line {error.lineno}, column {error.colno}; {resave}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LlmEvalError(f'{where}: not a pytest-llm-regression baseline (no "format": "{FORMAT}"); {resave}')
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise LlmEvalError(
            f"{where}: baseline format version {version!r}, this pytest-llm-regression {__version__} reads version "
            f"{FORMAT_VERSION}; {resave}"
        )
    try:
        subjects = {abbr: _subject(abbr, raw) for abbr, raw in _mapping(data, "subjects").items()}
        return Baseline(
            path=path,
            model=_text(data, "model"),
            run_id=_text(data, "run_id"),
            plugin_version=_text(data, "plugin_version"),
            settings=_mapping(data, "settings"),
            subjects=subjects,
        )
    except _Malformed as error:
        raise LlmEvalError(f"{where}: malformed: {error}; {resave}") from None


class _Malformed(Exception):
    pass


def _mapping(data: Mapping, key: str, where: str = "") -> Mapping:
    value = data.get(key)
    if not isinstance(value, dict):
        raise _Malformed(f"{where}{key} should be an object")
    return value


def _text(data: Mapping, key: str, where: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise _Malformed(f"{where}{key} should be a string")
    return value


_KEY = re.compile(r"[0-9a-f]{16}")


def _subject(abbr: str, raw: Any) -> BaselineSubject:
    if not isinstance(raw, dict):
        raise _Malformed(f"subjects.{abbr} should be an object")
    where = f"subjects.{abbr}."
    answers, marks = {}, {}
    for key, entry in _mapping(raw, "questions", where).items():
        if not _KEY.fullmatch(key) or not (_verdict(entry) or _points(entry)):
            raise _Malformed(
                f'{where}questions.{key} should be a 16-digit key and [0 or 1, "answer"] (or [points, "answer", '
                "possible] where a question earns points)"
            )
        if len(entry) == 3:
            points, answer, possible = entry
            marks[key] = (points, possible)
            answers[key] = (points == possible, answer)  # right: every point it was worth
        else:
            answers[key] = (bool(entry[0]), entry[1])
    accuracy = raw.get("accuracy")
    if not isinstance(accuracy, (int, float)):
        raise _Malformed(f"{where}accuracy should be a number")
    return BaselineSubject(
        abbr=abbr,
        config=_text(raw, "config", where),
        version=_text(raw, "version", where),
        accuracy=float(accuracy),
        answers=answers,
        marks=marks,
    )


def _verdict(entry: Any) -> bool:
    return isinstance(entry, list) and len(entry) == 2 and entry[0] in (0, 1) and isinstance(entry[1], str)


def _points(entry: Any) -> bool:
    if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[1], str)):
        return False
    points, possible = entry[0], entry[2]
    whole = all(isinstance(n, int) and not isinstance(n, bool) for n in (points, possible))
    return whole and 0 <= points <= possible and possible > 0
