"""Typed records that flow through an evaluation; JSON only at the edges.

Every record converts to and from plain JSON-serialisable dicts so results can
travel between xdist workers, land in files and be compared across runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Question:
    """One multiple-choice row of a dataset split; ``index`` is its position in the file."""

    index: int
    question: str
    choices: tuple[str, ...]  # option texts in letter order: A, B, … (empty for a question-answer row)
    answer: str
    # A custom dataset's row as read, every column in file order: the fields its prompts are filled from.
    # Built-in benchmarks leave it empty and name their fields themselves (``Benchmark.fields``).
    columns: tuple[tuple[str, str], ...] = ()
    output_column: str | None = None  # which of ``columns`` holds the gold answer
    tag: str = ""  # which subject's slice of a shared file the row is (MATH: its problem type)

    @property
    def key(self) -> str:
        """A fingerprint of the question's content: a baseline matches questions by it, not by position,
        so a reordered file still pairs up and an edited question is never compared with its old self."""
        content = json.dumps([self.question, list(self.choices), self.answer, [list(c) for c in self.columns]])
        return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class StopRule:
    """Where a backend may end a generated sequence: once its answer is fixed, or at a config's stop string.

    ``fixed(text)`` is true once no continuation of ``text`` can change the answer the rule extracts, so a
    backend may stop generating there; ``name`` says which rule it is (the result cache keys on it). None
    (name "") where no rule may stop early. ``strings`` are the config's own stop strings (OpenCompass's
    ``stopping_criteria``): a sequence ends once its text holds one, the stop text kept. Unlike ``fixed``
    they change the prediction as OpenCompass itself does, so they apply with ``--llm-full-output`` too.
    ``markers`` are set where ``fixed`` is nothing but "the text holds one of these strings" (GSM8K's
    "Question:"): a server can then stop there itself, without streaming.
    """

    name: str
    fixed: Callable[[str], bool] | None
    strings: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()

    def reached(self, text: str, end: str | None = None) -> bool:
        """Whether generation may stop after ``text`` (decoded so far) without changing the extracted answer.

        ``fixed`` is asked about the part of ``text`` that later tokens cannot rewrite: decoding a longer
        sequence can still turn trailing replacement characters (a character's first bytes) into that
        character, and drop a trailing space (tokenizers' clean-up of " ." and " ,"). With an ``end`` string
        (the chat stop the backend cuts predictions at) the prediction is final once ``end`` appears, and a
        trailing piece of ``end`` is left out, since ``end`` may yet complete there.
        """
        if self.fixed is None:
            return False
        if end and end in text:
            return True
        view = _settled_part(text)
        if end:
            view = _settled_part(view[: len(view) - partial_suffix(view, end)])
        return self.fixed(view)


def _settled_part(text: str) -> str:
    """``text`` without trailing whitespace and replacement characters, however they interleave."""
    while True:
        shorter = text.rstrip().rstrip("\ufffd")
        if shorter == text:
            return text
        text = shorter


def partial_suffix(text: str, end: str) -> int:
    """The length of the longest suffix of ``text`` that is a proper prefix of ``end``: where ``end`` may yet
    complete once more text follows."""
    for size in range(min(len(text), len(end) - 1), 0, -1):
        if text.endswith(end[:size]):
            return size
    return 0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the model did with one question: raw text, extracted answer, and the gold letter."""

    index: int
    prediction: str
    answer: str
    gold: str
    shots: int
    prompt_tokens: int
    # The prompt was longer than max_seq_len - max_out_len even with every shot dropped that
    # OpenCompass drops, and was cut by the tokenizer (its ending, 答案: , may be gone).
    truncated: bool = False
    scores: tuple[float, ...] = ()  # ppl mode: each label's score, in label order (the lowest wins)
    # Set where correctness is not ``answer == gold``: a regular expression or a list of accepted answers.
    judged: bool | None = None
    key: str = ""  # the question's fingerprint (``Question.key``)
    # Generation ended where the extracted answer became fixed (``StopRule``), before max-out-len or EOS.
    stopped: bool = False
    # Code suites: what the program made of this completion did in its sandbox: "passed", "failed: <the
    # exception's last line>", "timed out" or "killed: <why>" ("" where nothing ran).
    ran: str = ""
    # Partial credit (GAOKAO-Bench): the points this question earned of the ``possible`` it was worth. A question
    # that is only right or wrong has ``possible`` 0 and counts as 1 or 0 of 1.
    points: int = 0
    possible: int = 0

    @property
    def correct(self) -> bool:
        """Right, or (with points) worth every point it could earn."""
        if self.possible:
            return self.points == self.possible
        return self.answer == self.gold if self.judged is None else self.judged

    @property
    def earned(self) -> tuple[int, int]:
        """(points earned, points possible); a right-or-wrong question is worth 1."""
        return (self.points, self.possible) if self.possible else (int(self.correct), 1)

    def to_json(self) -> dict:
        data = {**asdict(self), "correct": self.correct}
        if not self.possible:  # right-or-wrong records stay as they always were
            del data["points"], data["possible"]
        return data

    @classmethod
    def from_json(cls, data: dict) -> Outcome:
        return cls(
            index=data["index"],
            prediction=data["prediction"],
            answer=data["answer"],
            gold=data["gold"],
            shots=data["shots"],
            prompt_tokens=data["prompt_tokens"],
            truncated=data.get("truncated", False),
            scores=tuple(data.get("scores", ())),
            judged=data.get("judged"),
            key=data.get("key", ""),
            stopped=data.get("stopped", False),
            ran=data.get("ran", ""),
            points=data.get("points", 0),
            possible=data.get("possible", 0),
        )


def percentage(correct: int, total: int, of_count: bool) -> float:
    """``correct`` of ``total`` in percent: ``100 * correct / total`` when ``of_count``, else ``correct / total * 100``."""
    if not total:
        return 0.0
    return 100 * correct / total if of_count else correct / total * 100


@dataclass(frozen=True, slots=True)
class SubjectResult:
    """All outcomes of one subject of one dataset config, with where and how fast it ran."""

    config: str
    abbr: str
    subject: str
    version: str
    outcomes: tuple[Outcome, ...]
    seconds: float
    worker: str
    metric: str = "accuracy"  # the evaluator's name for the number (BBH's: score)
    percent_of_count: bool = False  # 100 * correct / total (see ``accuracy``)
    # False where the evaluated split carries no answers (C-Eval's public test files): the predictions are kept,
    # nothing is scored, and no threshold or baseline reads a number from it (OpenCompass would print 0.00).
    answered: bool = True

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def correct(self) -> int:
        return sum(o.correct for o in self.outcomes)

    @property
    def truncated(self) -> int:
        return sum(o.truncated for o in self.outcomes)

    @property
    def partial(self) -> bool:
        """Whether its questions earn points (partial credit) rather than being right or wrong."""
        return any(o.possible for o in self.outcomes)

    @property
    def points(self) -> int:
        return sum(o.earned[0] for o in self.outcomes)

    @property
    def possible(self) -> int:
        return sum(o.earned[1] for o in self.outcomes)

    @property
    def detail(self) -> str:
        """``19/49`` correct, or ``34/50 points`` where questions earn points."""
        return f"{self.points}/{self.possible} points" if self.partial else f"{self.correct}/{self.total}"

    @property
    def accuracy(self) -> float:
        """The percentage of correct answers (of points, with partial credit), computed in the order of operations
        of the config's evaluator.

        AccEvaluator takes mean * 100, Gsm8kEvaluator, MATHEvaluator and BBH's 100 * correct / count; the
        floats can differ in the last bits (9/19: 47.368421052631575 against ...58), and results files hold
        them whole. GAOKAO-Bench's evaluator sums points over the paper: earned / possible * 100.
        """
        if self.partial:
            return percentage(self.points, self.possible, self.percent_of_count)
        return percentage(self.correct, self.total, self.percent_of_count)

    def to_json(self) -> dict:
        return {
            "config": self.config,
            "abbr": self.abbr,
            "subject": self.subject,
            "version": self.version,
            "accuracy": self.accuracy if self.answered else None,
            "answered": self.answered,
            "correct": self.correct,
            "total": self.total,
            "truncated": self.truncated,
            **({"points": self.points, "possible": self.possible} if self.partial else {}),
            "seconds": self.seconds,
            "worker": self.worker,
            "metric": self.metric,
            "percent_of_count": self.percent_of_count,
            "outcomes": [o.to_json() for o in self.outcomes],
        }

    @classmethod
    def from_json(cls, data: dict) -> SubjectResult:
        return cls(
            config=data["config"],
            abbr=data["abbr"],
            subject=data["subject"],
            version=data["version"],
            outcomes=tuple(Outcome.from_json(o) for o in data["outcomes"]),
            seconds=data["seconds"],
            worker=data["worker"],
            metric=data.get("metric", "accuracy"),
            percent_of_count=data.get("percent_of_count", False),
            answered=data.get("answered", True),
        )


@dataclass(frozen=True, slots=True)
class WorkerStats:
    """One process's model loads and throughput, reported to the controller at the end."""

    worker: str
    devices: str
    model_loads: int
    load_seconds: float
    questions: int
    generate_seconds: float
    cached: int = 0  # questions answered from the result cache
    batch_size: int = 0  # the size --llm-batch-size auto settled on (0: a fixed size)
    shared_prefix: str = ""  # "on", "off: <why>" (the reference path ran), "" (no subject ran here, or a server)
    dtype: str = ""  # the loaded model's parameters (float32, float16, ...); "" where none loaded, or a server

    @property
    def questions_per_second(self) -> float:
        return self.questions / self.generate_seconds if self.generate_seconds else 0.0

    def to_json(self) -> dict:
        return {**asdict(self), "questions_per_second": self.questions_per_second}

    @classmethod
    def from_json(cls, data: dict) -> WorkerStats:
        return cls(
            worker=data["worker"],
            devices=data["devices"],
            model_loads=data["model_loads"],
            load_seconds=data["load_seconds"],
            questions=data["questions"],
            generate_seconds=data["generate_seconds"],
            cached=data.get("cached", 0),
            batch_size=data.get("batch_size", 0),
            shared_prefix=data.get("shared_prefix", ""),
            dtype=data.get("dtype", ""),
        )


def shared_prefix_of(workers: Sequence[WorkerStats]) -> str:
    """The run's path in one word or line: "on", "off: <why>", "" (none known); differing workers joined by "; "."""
    return "; ".join(dict.fromkeys(w.shared_prefix for w in sorted(workers, key=lambda w: w.worker) if w.shared_prefix))


def probe_refusal(workers: Sequence[WorkerStats]) -> str | None:
    """Why the model's load-time probe turned the shared-prefix path off, when it did (not the user's flag)."""
    for worker in sorted(workers, key=lambda w: w.worker):
        path = worker.shared_prefix
        if path.startswith("off: ") and path != "off: --llm-no-prefix-cache":
            return path.removeprefix("off: ")
    return None
