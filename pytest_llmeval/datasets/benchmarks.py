"""C-Eval, MMLU and CMMLU as ``Benchmark`` values: subjects, groups in OpenCompass's summary order, layout, reader."""

from __future__ import annotations

from pytest_llmeval.datasets import ceval
from pytest_llmeval.datasets.base import Benchmark, Group, Subject
from pytest_llmeval.datasets.cmmlu import CMMLU_GROUPS, CMMLU_SUBJECTS
from pytest_llmeval.datasets.mmlu import MMLU_GROUPS, MMLU_SUBJECTS
from pytest_llmeval.datasets.readers import read_cmmlu, read_mmlu


def _ceval() -> Benchmark:
    slugs = {category: slug for slug, category in ceval.CATEGORY_GROUPS}
    subjects = tuple(
        Subject(
            key=s.key,
            prompt_name=s.chinese,
            groups=(f"ceval-{slugs[s.category]}",) + (("ceval-hard",) if s.hard else ()),
            # So that -k stem, -k ceval-stem and -k hard select what a user means.
            keywords=(slugs[s.category], f"ceval-{slugs[s.category]}") + (("hard", "ceval-hard") if s.hard else ()),
        )
        for s in ceval.SUBJECTS
    )
    groups = tuple(
        Group(f"ceval-{suffix}" if suffix else "ceval", members) for suffix, members in ceval.group_members().items()
    )
    return Benchmark(
        family="ceval",
        title="C-Eval",
        data_path="ceval/formal_ceval",
        subjects=subjects,
        groups=groups,
        abbr_prefix="ceval-",
        shot_split="dev",
        test_split="val",
        question_field="question",
        answer_field="answer",
        file_name=lambda key, split: f"{split}/{key}_{split}.csv",
        read=ceval.read_split,
    )


def _mmlu() -> Benchmark:
    subjects = tuple(
        Subject(s.key, s.prompt_name, (s.category,), (s.category.removeprefix("mmlu-"),), s.weight)
        for s in MMLU_SUBJECTS
    )
    every = tuple(s.key for s in MMLU_SUBJECTS)
    groups = tuple(Group(name, tuple(s.key for s in MMLU_SUBJECTS if s.category == name)) for name in MMLU_GROUPS)
    return Benchmark(
        family="mmlu",
        title="MMLU",
        data_path="mmlu",
        subjects=subjects,
        groups=groups + (Group("mmlu", every), Group("mmlu-weighted", every, "weighted_average")),
        abbr_prefix="lukaemon_mmlu_",
        shot_split="dev",
        test_split="test",
        question_field="input",
        answer_field="target",
        file_name=lambda key, split: f"{split}/{key}_{split}.csv",
        read=read_mmlu,
    )


def _cmmlu() -> Benchmark:
    subjects = tuple(
        Subject(s.key, s.chinese, s.groups, tuple(g.removeprefix("cmmlu-") for g in s.groups)) for s in CMMLU_SUBJECTS
    )
    groups = tuple(Group(name, tuple(s.key for s in CMMLU_SUBJECTS if name in s.groups)) for name in CMMLU_GROUPS)
    return Benchmark(
        family="cmmlu",
        title="CMMLU",
        data_path="cmmlu",
        subjects=subjects,
        groups=groups + (Group("cmmlu", tuple(s.key for s in CMMLU_SUBJECTS)),),
        abbr_prefix="cmmlu-",
        shot_split="dev",
        test_split="test",
        question_field="question",
        answer_field="answer",
        file_name=lambda key, split: f"{split}/{key}.csv",
        read=read_cmmlu,
    )


CEVAL, MMLU, CMMLU = _ceval(), _mmlu(), _cmmlu()
BENCHMARKS: dict[str, Benchmark] = {b.family: b for b in (CEVAL, MMLU, CMMLU)}
