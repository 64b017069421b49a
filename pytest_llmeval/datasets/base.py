"""The benchmark declaration: everything generic code needs to know about a dataset, as one value.

A ``Benchmark`` says where its files are and how to read them, which subjects it has, how a
subject is abbreviated and which summary groups it belongs to. A ``DatasetConfig`` is one of
OpenCompass's named configs over a benchmark: its templates (``templates.InferConfig``), mode and
answer extraction. Plan, runner, items and summary work from these two alone.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from pytest_llmeval.datasets.templates import Fields, InferConfig, Mode, Rounds
from pytest_llmeval.records import Question


@dataclass(frozen=True, slots=True)
class Subject:
    """One subject: its file key, the name its prompts use, its summary groups and extra ``-k`` words."""

    key: str
    prompt_name: str  # BBH: the task's worked examples, read from its prompt file when the data is read
    groups: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    weight: int = 1  # for weighted_average groups (MMLU's official test size)
    scoring: str = ""  # a rule of scoring.RULES for this subject alone (custom datasets); "" = the config's
    # A subject may evaluate another split than its benchmark's (C-Eval's test rows beside its val rows): the split
    # its questions come from, and the key its files are named by ("" = the benchmark's test split, the key).
    split: str = ""
    file_key: str = ""
    # Why that split may be absent, and what to do: with it, missing files make the item not run (with this
    # reason) instead of stopping the run; "" = its files are required.
    if_absent: str = ""
    note: str = ""  # a fact about its number that its row shows (GAOKAO-Bench's cloze papers: always 0)

    @property
    def file(self) -> str:
        return self.file_key or self.key


@dataclass(frozen=True, slots=True)
class Group:
    """A summary row over member subjects: ``naive_average`` (plain mean) or ``weighted_average``."""

    name: str
    members: tuple[str, ...]
    # naive_average, weighted_average, or the dataset's own metric over all members' questions pooled
    # (MATH: OpenCompass reports one accuracy over every problem; the items split it by problem type).
    metric: str = "naive_average"


@dataclass(frozen=True, slots=True)
class Benchmark:
    """A dataset family: its subjects, groups, file layout and reader."""

    family: str
    title: str
    data_path: str  # below the data root, e.g. "ceval/formal_ceval"
    subjects: tuple[Subject, ...]
    groups: tuple[Group, ...]  # in summary order, the overall row last
    abbr_prefix: str
    shot_split: str
    test_split: str
    question_field: str
    answer_field: str
    file_name: Callable[[str, str], str]  # (subject key, split) -> path below data_path
    read: Callable[[Path, str], tuple[Question, ...]]
    marker: str = ""  # the pytest marker of its items (default: the family); custom datasets share "custom"
    root: Path | None = None  # where the files are when they live outside --llm-data-dir (custom datasets)
    # Subjects that are slices of one file (MATH's problem types): subject key -> the rows' ``Question.tag``.
    tags: tuple[tuple[str, str], ...] = ()
    # A file each subject's prompt is built from (BBH's worked examples), below data_path; read with the data.
    prompt_file: Callable[[str], str] | None = None
    metric: str = "accuracy"  # the name OpenCompass's evaluator gives its number (BBH: score)
    # Gsm8kEvaluator, MATHEvaluator and BBH's compute 100 * correct / count; AccEvaluator mean * 100 (the
    # floats differ in the last bits, and the results files hold them whole).
    percent_of_count: bool = False
    # What to do when ``data_path`` is missing, where the data archive does not hold it ("" = unzip the archive).
    missing_hint: str = ""

    def abbr(self, key: str) -> str:
        return self.abbr_prefix + key

    def subject(self, key: str) -> Subject:
        return next(s for s in self.subjects if s.key == key)

    def tag(self, key: str) -> str | None:
        return dict(self.tags).get(key)

    def path(self, root: Path, key: str, split: str) -> Path:
        return root / self.file_name(key, split)

    def with_shot_pool(self, split: str, file: str, read: Callable[[Path, str], tuple[Question, ...]]) -> Benchmark:
        """This benchmark with its shots taken from a pool file of their own (``file`` below ``data_path``, the
        split OpenCompass calls ``split``), both files read by ``read``."""
        name = self.file_name
        return replace(self, shot_split=split, read=read, file_name=lambda key, s: file if s == split else name(key, s))

    def split_of(self, subject: Subject) -> str:
        """The split a subject's questions come from: its own, else the benchmark's test split."""
        return subject.split or self.test_split

    def evaluated_path(self, root: Path, subject: Subject) -> Path:
        return self.path(root, subject.file, self.split_of(subject))

    def fields(self, question: Question, answer: str) -> Fields:
        """The row's fields in column order, with ``answer`` as the output field (empty for a generated row)."""
        if question.columns:
            return tuple((k, answer if k == question.output_column else v) for k, v in question.columns)
        letters = zip(string.ascii_uppercase, question.choices)  # as many options as the row has
        return ((self.question_field, question.question), *letters, (self.answer_field, answer))


@dataclass(frozen=True, slots=True)
class DatasetConfig:
    """One named OpenCompass config over a benchmark."""

    name: str  # the name users type (the short alias where there is one)
    hashed_name: str  # OpenCompass's file name, e.g. ceval_gen_5f30c7
    benchmark: Benchmark
    mode: str  # gen or ppl; "mixed" for a custom folder holding both
    postprocess: str | None  # a key of scoring.POSTPROCESSORS (gen); None in ppl mode
    infer: Callable[[str], InferConfig]
    # OpenCompass's pred_role="BOT": with a chat meta template the prediction is cut to the assistant's turn.
    bot_turn: bool = False

    @property
    def family(self) -> str:
        return self.benchmark.family

    @property
    def data_path(self) -> str:
        return self.benchmark.data_path

    @property
    def split(self) -> str:
        return self.benchmark.test_split

    @property
    def shots(self) -> int:
        return self.infer("").shots

    @property
    def max_out_len(self) -> int | None:
        """A generation length the config fixes (ceval_zero_shot_gen: 256), else None: the model's setting."""
        return self.infer("").max_out_len

    def infer_config(self, subject: Subject) -> InferConfig:
        return self.infer(subject.prompt_name)

    def mode_of(self, subject: Subject) -> Mode:
        """gen or ppl for one subject: a folder of custom files may mix them; built-in configs never do."""
        return self.infer_config(subject).mode

    def scoring_of(self, subject: Subject) -> str:
        """The scoring rule (a key of ``scoring.RULES``) of a gen subject: its own, else the config's."""
        return subject.scoring or self.postprocess or "first_capital"

    def abbr(self, subject: Subject) -> str:
        return self.benchmark.abbr(subject.key)

    def round_template(self, subject: Subject) -> str:
        """The HUMAN prompt of one round, subject filled in (e.g. ceval_gen's ``以下是中国关于…答案: ``)."""
        template = self.infer(subject.prompt_name).ice_template
        assert template is not None
        entry = template.for_label(template.labels[0] if template.labels else None)
        assert isinstance(entry, Rounds)
        return next(turn.prompt for turn in entry.turns if turn.role == "HUMAN")

    def version(self, subject: Subject) -> str:
        """OpenCompass's 6-hex "version": a hash of the subject's declared inference config."""
        return self.infer(subject.prompt_name).version()
