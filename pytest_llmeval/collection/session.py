"""Per-process state of one pytest run: settings, the lazily loaded model, and (on the controller) results."""

from __future__ import annotations

import itertools
import sqlite3
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pytest_llmeval.backends.choose import load_model, load_tokens, stops_early
from pytest_llmeval.backends.protocol import Backend, LoadError
from pytest_llmeval.datasets.plan import SubjectPlan
from pytest_llmeval.datasets.suite import DatasetSpec
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.faults import explain, one_line
from pytest_llmeval.judging.baseline import Baseline
from pytest_llmeval.records import SubjectResult, WorkerStats
from pytest_llmeval.reports.finish import Finished
from pytest_llmeval.settings import Gate, Settings


def load_failure(error: BaseException, settings: Settings) -> str:
    """One line naming the input that failed to load (tokenizer or model), the cause and, when known, the fix."""
    if isinstance(error, LlmEvalError):
        return str(error)  # already the whole story (a server without token counts, say)
    option, path, cause = (
        (error.option, error.path, error.cause)
        if isinstance(error, LoadError)
        else ("--llm-model", settings.model, error)
    )
    fault = explain(cause, batch_size=settings.batch_size)
    return f"{option} {path}: could not load: {fault.reason if fault else one_line(cause)}"


def new_run_dir(output_dir: Path, create: bool = True) -> Path:
    """An absolute timestamp folder (OpenCompass's ``%Y%m%d_%H%M%S``), created here so it is this run's alone.

    ``mkdir`` without ``exist_ok`` is atomic: of two runs started in the same second, one gets the
    folder and the other moves on to ``_1``. Without ``create`` (no model given) nothing is made.
    """
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
    if not create:
        return (output_dir / stamp).resolve()
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        for suffix in itertools.count():
            run_dir = output_dir / (f"{stamp}_{suffix}" if suffix else stamp)
            try:
                run_dir.mkdir()
            except FileExistsError:
                continue
            return run_dir.resolve()
    except OSError as error:
        raise LlmEvalError(
            f"--llm-output-dir: cannot create a run folder in {output_dir} ({one_line(error)}); "
            "choose a writable folder with --llm-output-dir"
        ) from None
    raise AssertionError("unreachable")  # pragma: no cover


class RunStopped(Exception):
    """A failure every later subject would repeat (see ``faults``): the run stops at it, with one line."""


@dataclass
class RunState:
    """Mutable state of this process. Workers fill the model side; the controller fills the results side."""

    settings: Settings
    run_dir: Path  # absolute, and handed to xdist workers, so every process writes into the same folder
    worker: str
    devices: str = ""
    cpu_threads: int | None = None  # set under xdist so workers sharing a CPU do not oversubscribe it
    # model side
    _backend: Backend | None = None
    stopped: str | None = None  # why this process stopped running subjects, once it has
    model_loads: int = 0
    load_seconds: float = 0.0
    questions: int = 0
    generate_seconds: float = 0.0
    batch_size: int = 0  # the batch size the last subject ran with
    dtype: str = ""  # of the loaded model's parameters
    shared_prefix: str = ""  # which path the last subject ran: "on" or "off: <why>" (runner.shared_prefix)
    planned: list[tuple[DatasetSpec, list[SubjectPlan]]] = field(default_factory=list)  # from --llm-datasets
    declared: dict[str, str] = field(default_factory=dict)  # dataset family -> where it was declared
    declared_as: dict[str, str] = field(default_factory=dict)  # dataset family -> the config that declared it
    # controller side
    specs: dict[str, DatasetSpec] = field(default_factory=dict)
    results: dict[str, SubjectResult] = field(default_factory=dict)
    worker_stats: dict[str, WorkerStats] = field(default_factory=dict)
    gate: Gate = field(default_factory=Gate)
    baseline: Baseline | None = None  # read at start-up, so a bad file stops the run before any model loads
    finished: Finished | None = None  # the verdict and everything written at the end
    subjects_reported: int = 0
    refused: bool = False  # the run was stopped before any subject ran (a selected dataset has no data)
    errors: list[str] = field(default_factory=list)  # subjects that failed without a result, one line each
    errored: set[str] = field(default_factory=set)  # their abbrs
    selected: list[str] = field(default_factory=list)  # the subject items this run set out to evaluate
    not_run: dict[str, str] = field(default_factory=dict)  # selected items that were skipped -> the reason
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def backend(self) -> Backend:
        """The backend, built at the first call in this process and reused for every later one.

        With a result cache only the tokenizer loads here; the model loads at the first question the
        cache cannot answer, so an unchanged re-run loads none.
        """
        if self._backend is None:
            if self.stopped is not None:
                raise RunStopped(self.stopped)
            if self.settings.cache_dir is None:
                self._backend = self._load_model(None)
            else:
                self._backend = self._cached_backend(self.settings.cache_dir)
        return self._backend

    def _cached_backend(self, folder: Path) -> Backend:
        from pytest_llmeval.backends.cache import CachedBackend, Store, device_kind, fingerprint, tokenizer_fingerprint

        try:
            store = Store(folder)
            key = fingerprint(store, self.settings, device_kind() if self.settings.backend == "hf" else "server")
            tokens_key = tokenizer_fingerprint(store, self.settings)
        except (OSError, sqlite3.Error) as error:
            raise self.stop(
                f"--llm-cache-dir {folder}: cannot use the result cache ({one_line(error)}); "
                "choose another folder with --llm-cache-dir, or run with --llm-no-cache"
            ) from error
        parallel = self.settings.concurrency if self.settings.backend == "openai" else 1
        stops = stops_early(self.settings)
        return CachedBackend(self._load_tokenizer, self._load_model, store, key, tokens_key, parallel, stops)

    def _load_tokenizer(self) -> Any:
        if self.stopped is not None:
            raise RunStopped(self.stopped)
        try:
            return load_tokens(self.settings)
        except Exception as error:
            raise self.stop(load_failure(error, self.settings)) from error

    def _load_model(self, tokenizer: Any) -> Backend:
        if self.stopped is not None:
            raise RunStopped(self.stopped)
        started = time.perf_counter()
        try:
            backend = load_model(self.settings, tokenizer, self.cpu_threads)
        except Exception as error:
            raise self.stop(load_failure(error, self.settings)) from error
        self.model_loads += 1
        self.dtype = str(getattr(getattr(backend, "model", None), "dtype", "")).removeprefix("torch.")
        visible = self.devices
        self.devices = backend.device + (f" (CUDA_VISIBLE_DEVICES={visible})" if "cuda" in backend.device else "")
        self.load_seconds += time.perf_counter() - started
        return backend

    def run_settings(self) -> Settings:
        """The settings a subject runs with: with ``--llm-batch-size auto``, the size that last fitted."""
        if self.settings.batch_auto and self.batch_size:
            return replace(self.settings, batch_size=self.batch_size)
        return self.settings

    def stop(self, reason: str) -> RunStopped:
        """Remember the first reason to stop; every later subject of this process is refused with it."""
        if self.stopped is None:
            self.stopped = reason
        return RunStopped(reason)

    def stats(self) -> WorkerStats:
        return WorkerStats(
            worker=self.worker,
            devices=self.devices if self.model_loads else "none (no model loaded)",
            model_loads=self.model_loads,
            load_seconds=self.load_seconds,
            questions=self.questions,
            generate_seconds=self.generate_seconds,
            cached=int(getattr(self._backend, "hits", 0)),
            batch_size=self.batch_size if self.settings.batch_auto else 0,
            # A server keeps its own caches: the shared-prefix path is this process's alone.
            shared_prefix=self.shared_prefix if self.settings.backend == "hf" else "",
            dtype=self.dtype,
        )

    def declare(self, spec: DatasetSpec, where: str) -> None:
        """Record where a dataset is declared; a second declaration would run and count its subjects twice."""
        family = spec.config.family
        if self.declared.setdefault(family, where) != where:
            raise LlmEvalError(
                f"{where}: {spec.config.name} is already declared in {self.declared[family]}; "
                "declare each dataset once per run"
            )
        first = self.declared_as.setdefault(family, spec.config.name)
        if first != spec.config.name:
            # Their items, rows and files would share names (hellaswag_ppl and hellaswag_gen both write hellaswag).
            raise LlmEvalError(
                f"{where}: {first} and {spec.config.name} both evaluate {spec.config.benchmark.title} under the same "
                "item and file names; run them in separate sessions"
            )

    def add_result(self, result: SubjectResult, spec: DatasetSpec) -> None:
        self.results[result.abbr] = result
        self.add_spec(spec)

    def add_spec(self, spec: DatasetSpec) -> None:
        """A dataset the run set out to do: it gets its table rows even if none of its subjects finished."""
        self.specs.setdefault(spec.config.family, spec)
