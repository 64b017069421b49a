"""From dataset specs to subject plans: the data each test item evaluates, read and checked up front."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytest_llmeval.ceval import SUBJECT_BY_KEY, Subject, read_split, split_path
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.prompts import render_plain
from pytest_llmeval.records import Question
from pytest_llmeval.suite import DatasetSpec


@dataclass(frozen=True, slots=True)
class SubjectPlan:
    """One test item's work: a subject of a dataset spec, its shots and questions (None until data is read)."""

    spec: DatasetSpec
    subject: Subject
    shots: tuple[Question, ...] | None = None
    questions: tuple[Question, ...] | None = None

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
        template = self.spec.config.round_template(self.subject)
        return sum(len(render_plain(template, self.shots, q)) for q in self.questions)


def data_root(data_dir: Path, spec: DatasetSpec) -> Path:
    """The dataset's folder in OpenCompass's data layout, checked to exist."""
    root = data_dir / spec.config.data_path
    if not root.is_dir():
        raise LlmEvalError(
            f"--llm-data-dir: {root} not found; unzip OpenCompass's data archive "
            f"(OpenCompassData-core-20240207.zip) in the repo root so that it creates "
            f"data/{spec.config.data_path}/{{dev,val,test}}, or point --llm-data-dir at its data folder"
        )
    return root


def plan_subjects(spec: DatasetSpec, data_dir: Path | None, limit: int | None) -> list[SubjectPlan]:
    """One plan per declared subject; with a data dir, every CSV is read and validated now, before a model loads."""
    subjects = [SUBJECT_BY_KEY[key] for key in spec.subjects]
    if data_dir is None:
        return [SubjectPlan(spec, subject) for subject in subjects]
    root = data_root(data_dir, spec)
    config = spec.config
    missing = [
        path
        for subject in subjects
        for path in (split_path(root, subject.key, "dev"), split_path(root, subject.key, config.split))
        if not path.is_file()
    ]
    if missing:
        raise LlmEvalError(
            f"--llm-data-dir: {missing[0]} not found ({len(missing)} file(s) missing); "
            f"restore the data or list the subjects to run in a suite file"
        )
    plans = []
    for subject in subjects:
        shots = read_split(split_path(root, subject.key, "dev"), "dev")[: config.shots]
        questions = read_split(split_path(root, subject.key, config.split), config.split)
        plans.append(SubjectPlan(spec, subject, shots, questions[:limit]))
    return plans
