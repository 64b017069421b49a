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

    @property
    def key(self) -> str:
        """A fingerprint of the question's content: a baseline matches questions by it, not by position,
        so a reordered file still pairs up and an edited question is never compared with its old self."""
        content = json.dumps([self.question, list(self.choices), self.answer, [list(c) for c in self.columns]])
        return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class StopRule:
    """When an extraction rule's answer can no longer change as more text is generated.

    ``fixed(text)`` is true once no continuation of ``text`` can change the answer the rule extracts, so a
    backend may stop generating there; ``name`` says which rule it is (the result cache keys on it).
    """

    name: str
    fixed: Callable[[str], bool]


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

    @property
    def correct(self) -> bool:
        return self.answer == self.gold if self.judged is None else self.judged

    def to_json(self) -> dict:
        return {**asdict(self), "correct": self.correct}

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
        )


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
    def accuracy(self) -> float:
        # mean * 100, in this order, so the float is the one OpenCompass writes
        # (e.g. 9/19 -> 47.368421052631575, where 900/19 gives ...58).
        return self.correct / self.total * 100 if self.total else 0.0

    def to_json(self) -> dict:
        return {
            "config": self.config,
            "abbr": self.abbr,
            "subject": self.subject,
            "version": self.version,
            "accuracy": self.accuracy,
            "correct": self.correct,
            "total": self.total,
            "truncated": self.truncated,
            "seconds": self.seconds,
            "worker": self.worker,
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
