"""Every built-in dataset as a ``Benchmark`` value: subjects, groups in OpenCompass's summary order, layout, reader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from pytest_llmeval.datasets import (
    bbh,
    ceval,
    ceval_core,
    choices,
    code_problems,
    gaokao,
    gsm8k,
    math_problems,
    sanitized_mbpp,
    theoremqa,
)
from pytest_llmeval.datasets.base import Benchmark, Group, Subject
from pytest_llmeval.datasets.cmmlu import CMMLU_GROUPS, CMMLU_SUBJECTS
from pytest_llmeval.datasets.mmlu import MMLU_GROUPS, MMLU_SUBJECTS
from pytest_llmeval.datasets.open_qa import NQ_OPEN, TRIVIAQA
from pytest_llmeval.datasets.readers import read_cmmlu, read_mmlu
from pytest_llmeval.records import Question


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


def _gsm8k() -> Benchmark:
    return Benchmark(
        family="gsm8k",
        title="GSM8K",
        data_path="gsm8k",
        subjects=(Subject("gsm8k", "gsm8k"),),
        groups=(),
        abbr_prefix="",
        shot_split="train",  # loaded by OpenCompass, never used: its shots are written into the template
        test_split="test",
        question_field="question",
        answer_field="answer",
        file_name=lambda key, split: f"{split}.jsonl",
        read=gsm8k.read_gsm8k,
        percent_of_count=True,
    )


def _math() -> Benchmark:
    types = math_problems.TYPES
    return Benchmark(
        family="math",
        title="MATH",
        data_path="math",
        subjects=tuple(Subject(t.key, t.name) for t in types),
        # OpenCompass's one number for all problems: accuracy over every problem, not a mean of the types.
        groups=(Group("math", tuple(t.key for t in types), "accuracy"),),
        abbr_prefix="math-",
        shot_split="test",
        test_split="test",
        question_field="problem",
        answer_field="solution",
        file_name=lambda key, split: "math.json",
        read=math_problems.read_math,
        tags=tuple((t.key, t.name) for t in types),
        percent_of_count=True,
    )


def _bbh() -> Benchmark:
    tasks = bbh.TASKS
    return Benchmark(
        family="bbh",
        title="BBH",
        data_path="BBH",
        subjects=tuple(
            Subject(
                t.key,
                t.key,  # replaced by the task's worked examples when its prompt file is read
                keywords=("mcq",) if t.multiple_choice else ("freeform",),
                scoring="bbh_mcq" if t.multiple_choice else "bbh_freeform",
            )
            for t in tasks
        ),
        groups=(Group("bbh", tuple(t.key for t in tasks)),),
        abbr_prefix="bbh-",
        shot_split="test",
        test_split="test",
        question_field="input",
        answer_field="target",
        file_name=bbh.data_file,
        read=bbh.read_bbh,
        prompt_file=bbh.prompt_file,
        metric="score",
        percent_of_count=True,
    )


def _one_file(
    family: str,
    title: str,
    data_path: str,
    key: str,
    file: str,
    read: Callable[[Path, str], tuple[Question, ...]],
    split: str,
    keywords: tuple[str, ...] = (),
) -> Benchmark:
    """A dataset that is one item read from one file (every zero-shot commonsense and reading set but RACE)."""
    return Benchmark(
        family=family,
        title=title,
        data_path=data_path,
        subjects=(Subject(key, key, keywords=keywords),),
        groups=(),
        abbr_prefix="",
        shot_split=split,  # zero-shot: never read
        test_split=split,
        question_field="question",
        answer_field="answer",
        file_name=lambda key, split: file,
        read=read,
    )


def _race() -> Benchmark:
    return Benchmark(
        family="race",
        title="RACE",
        data_path="race",
        subjects=(Subject("middle", "middle"), Subject("high", "high")),
        groups=(),
        abbr_prefix="race-",
        shot_split="validation",  # loaded by OpenCompass, never used (zero-shot)
        test_split="test",
        question_field="question",
        answer_field="answer",
        file_name=lambda key, split: f"{split}/{key}.jsonl",
        read=choices.read_race,
    )


CEVAL, MMLU, CMMLU = _ceval(), _mmlu(), _cmmlu()
GSM8K, MATH, BBH = _gsm8k(), _math(), _bbh()
HELLASWAG = _one_file(
    "hellaswag", "HellaSwag", "hellaswag", "hellaswag", "hellaswag.jsonl", choices.read_hellaswag, "val"
)
ARC_C = _one_file(
    "arc_c", "ARC-Challenge", "ARC/ARC-c", "ARC-c", "ARC-Challenge-Dev.jsonl", choices.read_arc, "dev", ("arc",)
)
ARC_E = _one_file("arc_e", "ARC-Easy", "ARC/ARC-e", "ARC-e", "ARC-Easy-Dev.jsonl", choices.read_arc, "dev", ("arc",))
WINOGRANDE = _one_file(
    "winogrande", "Winogrande", "winogrande", "winogrande", "dev.jsonl", choices.read_winogrande, "dev"
)
PIQA = _one_file("piqa", "PIQA", "piqa", "piqa", "dev.jsonl", choices.read_piqa, "validation")
SIQA = _one_file("siqa", "SIQA", "siqa", "siqa", "dev.jsonl", choices.read_siqa, "validation")
RACE = _race()
BOOLQ = _one_file("boolq", "BoolQ", "SuperGLUE/BoolQ", "BoolQ", "val.jsonl", choices.read_boolq, "val")

# HumanEvaluator reports the mean pass@1 times 100; MBPPEvaluator 100 * passed / count, under "score".
HUMANEVAL = replace(
    _one_file(
        "humaneval",
        "HumanEval",
        "humaneval",
        "openai_humaneval",
        "human-eval-v2-20210705.jsonl",
        code_problems.read_humaneval,
        "test",
        ("code",),
    ),
    metric="humaneval_pass@1",
)
MBPP = replace(
    _one_file("mbpp", "MBPP", "mbpp", "mbpp", "mbpp.jsonl", code_problems.read_mbpp, "test", ("code",)),
    shot_split="train",  # loaded by OpenCompass, never used: its shots are written into the template
    metric="score",
    percent_of_count=True,
)
# One item, "TheoremQA"; AccEvaluator's accuracy (mean * 100). The MATH v2 configs use MATH as it is.
THEOREMQA = _one_file("theoremqa", "TheoremQA", "TheoremQA", "TheoremQA", "test.csv", theoremqa.read_theoremqa, "test")
# SanitizedMBPPDataset: another file of the same folder, scored as MBPP is (its four counts beside "score").
SANITIZED_MBPP = replace(
    MBPP,
    family="sanitized_mbpp",
    title="Sanitized MBPP",
    subjects=(Subject("sanitized_mbpp", "sanitized_mbpp", keywords=("code",)),),
    file_name=lambda key, split: "sanitized-mbpp.jsonl",
    read=sanitized_mbpp.read_sanitized_mbpp,
)

BENCHMARKS: dict[str, Benchmark] = {
    b.family: b
    for b in (
        *(CEVAL, MMLU, CMMLU, GSM8K, MATH, BBH),
        *(HELLASWAG, ARC_C, ARC_E, WINOGRANDE, PIQA, SIQA, RACE, BOOLQ),
        *(HUMANEVAL, MBPP),
        THEOREMQA,
        gaokao.benchmark(),
        SANITIZED_MBPP,
        *(TRIVIAQA, NQ_OPEN),
    )
}
# Configs whose OpenCompass loader differs from the family's (hellaswagDataset_V2, winograndeDataset_V2): the same
# files, read into other fields (the whole context, letter labels), by hashed config name.
VARIANTS: dict[str, Benchmark] = {
    "hellaswag_gen_6faab5": replace(HELLASWAG, read=choices.read_hellaswag_gen),
    "winogrande_gen_a9ede5": replace(WINOGRANDE, read=choices.read_winogrande_gen),
    # hellaswagDatasetwithICE and winograndeDataset_V3: the V2 rows, the shots from a pool file of their own.
    **dict.fromkeys(
        ("hellaswag_10shot_ppl_59c85e", "hellaswag_10shot_gen_e42710"),
        HELLASWAG.with_shot_pool("train", "hellaswag_train_sampled25.jsonl", choices.read_hellaswag_gen),
    ),
    **dict.fromkeys(
        ("winogrande_5shot_ll_252f01", "winogrande_5shot_gen_6447e6"),
        WINOGRANDE.with_shot_pool("train_xs", "train_xs.jsonl", choices.read_winogrande_gen),
    ),
    # The core collections' C-Eval configs evaluate the test split after val (ceval-test-<s>).
    "ceval_ppl_1cd8bf": ceval_core.with_test_split(CEVAL),
    "ceval_internal_ppl_1cd8bf": ceval_core.internal(ceval_core.with_test_split(CEVAL)),
    "ceval_gen_2daf24": ceval_core.with_test_split(CEVAL),
    "ceval_ppl_93e5ce": ceval_core.with_test_split(CEVAL),
}
