"""From dataset specs to subject plans: the data each test item evaluates, read and checked up front."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from pytest_llmeval.datasets.base import DatasetConfig, Subject
from pytest_llmeval.datasets.readers import read_text
from pytest_llmeval.datasets.suite import DatasetSpec
from pytest_llmeval.datasets.templates import flatten_plain, render_pieces
from pytest_llmeval.errors import LlmEvalError, MissingData, MissingFiles
from pytest_llmeval.records import Question


@dataclass(frozen=True, slots=True)
class SubjectPlan:
    """One test item's work: a subject of a dataset spec, its shots and questions (None until data is read)."""

    spec: DatasetSpec
    subject: Subject
    shots: tuple[Question, ...] | None = None
    questions: tuple[Question, ...] | None = None
    not_run: str = ""  # why the item cannot run (its split's files are absent, see ``Subject.if_absent``)

    @property
    def abbr(self) -> str:
        return self.spec.config.abbr(self.subject)

    @property
    def version(self) -> str:
        return self.spec.config.version(self.subject)

    @property
    def minimum(self) -> float | None:
        return self.spec.minimum(self.abbr)

    @property
    def cost(self) -> int:
        """Characters of all full-shot prompts: a cheap stand-in for prompt tokens, to run long subjects first."""
        if not self.questions or self.shots is None:
            return 0
        config = self.spec.config
        infer = config.infer_config(self.subject)
        benchmark = config.benchmark
        shots = [(benchmark.fields(q, q.answer), q.answer) for q in self.shots]
        label = infer.labels[0] if infer.labels else None
        total = sum(
            len(flatten_plain(render_pieces(infer, shots, benchmark.fields(q, q.answer), label)))
            for q in self.questions
        )
        return total * max(len(infer.labels), 1)


def data_root(data_dir: Path, spec: DatasetSpec) -> Path:
    """The dataset's folder in OpenCompass's data layout, checked to exist."""
    root = data_dir / spec.config.data_path
    if not root.is_dir():
        benchmark = spec.config.benchmark
        if benchmark.missing_hint:
            raise MissingData(
                f"--llm-data-dir: {root} not found, needed by {spec.config.name}; {benchmark.missing_hint}"
            )
        raise MissingData(
            f"--llm-data-dir: {root} not found, needed by {spec.config.name}; unzip OpenCompass's data archive "
            f"(OpenCompassData-core-20240207.zip, which holds {benchmark.title}) in the repo root so that it creates "
            f"data/{spec.config.data_path}/, or point --llm-data-dir at its data folder"
        )
    return root


def plan_available(spec: DatasetSpec, data_dir: Path | None, limit: int | None) -> list[SubjectPlan]:
    """``plan_subjects``, except for a config only a collection brought in: it runs where its data is, and without
    its data its items are marked not run (one line under the table; a gate on them fails unless
    ``--llm-allow-skip``), so a partial copy of OpenCompass's data still evaluates the rest of ``base_core``."""
    try:
        return plan_subjects(spec, data_dir, limit)
    except (MissingData, MissingFiles) as error:
        if not spec.collection:
            raise
        marker = spec.config.benchmark.marker or spec.config.family
        why = f"{error} (or leave them out of {spec.collection} with -m 'not {marker}')"
        return [replace(plan, not_run=why) for plan in plan_subjects(spec, None, limit)]


def plan_subjects(spec: DatasetSpec, data_dir: Path | None, limit: int | None) -> list[SubjectPlan]:
    """One plan per declared subject; with a data dir, every file is read and validated now, before a model loads."""
    config = spec.config
    benchmark = config.benchmark
    subjects = [benchmark.subject(key) for key in spec.subjects]
    # A custom dataset was read when declared, so its plans always carry their rows.
    if data_dir is None and benchmark.root is None:
        return [SubjectPlan(spec, subject) for subject in subjects]
    root = benchmark.root if benchmark.root is not None else data_root(data_dir, spec)  # type: ignore[arg-type]
    wanted = {subject.key: config.infer_config(subject).shot_rows for subject in subjects}
    shot_split = benchmark.shot_split
    absent = {subject.key: _absent(benchmark.evaluated_path(root, subject), subject) for subject in subjects}
    needed = [
        path
        for subject in subjects
        if not absent[subject.key]
        for path in (
            *((benchmark.path(root, subject.file, shot_split),) if wanted[subject.key] else ()),
            benchmark.evaluated_path(root, subject),
        )
    ]
    if benchmark.prompt_file is not None:
        needed += [root / benchmark.prompt_file(subject.key) for subject in subjects]
    missing = [path for path in needed if not path.is_file()]
    if missing:
        raise MissingFiles(
            f"--llm-data-dir: {missing[0]} not found ({len(missing)} file(s) missing); "
            f"restore the data or list the subjects to run in a suite file"
        )
    plans = []
    for subject in subjects:
        if absent[subject.key]:
            plans.append(SubjectPlan(spec, subject, not_run=absent[subject.key]))
            continue
        # Zero-shot configs (ZeroRetriever) never read a shot file.
        rows = wanted[subject.key]
        shots = pick_shots(benchmark.path(root, subject.file, shot_split), shot_split, config, subject) if rows else ()
        split = benchmark.split_of(subject)
        questions = benchmark.read(benchmark.evaluated_path(root, subject), split)
        tag = benchmark.tag(subject.key)
        if tag is not None:  # one file, several subjects (MATH's problem types)
            questions = tuple(q for q in questions if q.tag == tag)
        if benchmark.prompt_file is not None:
            # The subject's prompt is built from this file's text (BBH's worked examples), version hash included.
            subject = replace(subject, prompt_name=read_text(root / benchmark.prompt_file(subject.key)))
        plans.append(SubjectPlan(spec, subject, shots, questions[:limit]))
    return plans


def pick_shots(path: Path, split: str, config: DatasetConfig, subject: Subject) -> tuple[Question, ...]:
    """FixKRetriever's shots: the listed rows of the shot file, in list order, each checked to have a gold its
    in-context template can render."""
    infer = config.infer_config(subject)
    pool = config.benchmark.read(path, split)
    rows = infer.shot_rows
    if len(pool) <= max(rows):
        missing = next(row for row in rows if row >= len(pool))
        which = (
            f"{len(rows)} shots"
            if rows == tuple(range(len(rows)))
            else f"rows {', '.join(map(str, rows))} as shots (row {missing} is past the end)"
        )
        raise LlmEvalError(f"{path}: {len(pool)} row(s), but {config.name} takes {which} from it; add rows")
    shots = tuple(pool[row] for row in rows)
    labels = infer.ice_template.labels if infer.ice_template is not None else ()
    for row, shot in zip(rows, shots, strict=True):
        # A label-dict template renders a shot with its own gold's entry; an unlabelled row has none.
        if labels and shot.answer not in labels:
            raise LlmEvalError(
                f"{path}: row {row} has gold {shot.answer!r}, but {config.name} uses it as a shot and its shots "
                f"need one of {', '.join(labels)}; label the row or use another pool file"
            )
    return shots


def _absent(path: Path, subject: Subject) -> str:
    """Why an optional subject cannot run (its file or whole split folder is missing), or "" when it can."""
    if not subject.if_absent or path.is_file():
        return ""
    where = path if path.parent.is_dir() else path.parent  # one reason for a whole missing folder
    return f"{where} not found: {subject.if_absent}"
