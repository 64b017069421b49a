"""Per-process state of one pytest run: settings, the lazily loaded model, and (on the controller) results."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pytest_llmeval.backend import Backend
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.options import Settings
from pytest_llmeval.plan import SubjectPlan
from pytest_llmeval.records import SubjectResult, WorkerStats
from pytest_llmeval.suite import DatasetSpec
from pytest_llmeval.summary import Summary


def new_run_dir(output_dir: Path) -> Path:
    """An absolute timestamp folder (OpenCompass's ``%Y%m%d_%H%M%S``), suffixed if that folder already exists."""
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
    run_id, suffix = stamp, 1
    while (output_dir / run_id).exists():
        run_id, suffix = f"{stamp}_{suffix}", suffix + 1
    return (output_dir / run_id).resolve()


class ModelLoadError(Exception):
    """Raised for every item after the model failed to load once, so the traceback shows only once."""


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
    _load_error: str | None = None
    model_loads: int = 0
    load_seconds: float = 0.0
    questions: int = 0
    generate_seconds: float = 0.0
    planned: list[tuple[DatasetSpec, list[SubjectPlan]]] = field(default_factory=list)  # from --llm-datasets
    declared: dict[str, str] = field(default_factory=dict)  # dataset family -> where it was declared
    # controller side
    specs: dict[str, DatasetSpec] = field(default_factory=dict)
    results: dict[str, SubjectResult] = field(default_factory=dict)
    worker_stats: dict[str, WorkerStats] = field(default_factory=dict)
    summary: Summary | None = None
    subjects_reported: int = 0
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def backend(self) -> Backend:
        """The model, loaded at the first call in this process and reused for every later one."""
        if self._backend is None:
            if self._load_error is not None:
                raise ModelLoadError(f"the model failed to load earlier in this run: {self._load_error}")
            from pytest_llmeval.hf import HFBackend  # deferred: torch and transformers import slowly

            started = time.perf_counter()
            try:
                self._backend = HFBackend.load(self.settings, cpu_threads=self.cpu_threads)
            except Exception as error:
                # One line for the person reading CI logs; the chained exception keeps the details.
                lines = str(error).strip().splitlines()
                self._load_error = f"{type(error).__name__}: {lines[0] if lines else ''}"
                raise ModelLoadError(
                    f"--llm-model {self.settings.model}: could not load ({self._load_error})"
                ) from error
            self.model_loads += 1
            visible = self.devices
            self.devices = self._backend.device + (
                f" (CUDA_VISIBLE_DEVICES={visible})" if "cuda" in self._backend.device else ""
            )
            self.load_seconds += time.perf_counter() - started
        return self._backend

    def stats(self) -> WorkerStats:
        return WorkerStats(
            worker=self.worker,
            devices=self.devices,
            model_loads=self.model_loads,
            load_seconds=self.load_seconds,
            questions=self.questions,
            generate_seconds=self.generate_seconds,
        )

    def declare(self, spec: DatasetSpec, where: str) -> None:
        """Record where a dataset is declared; a second declaration would run and count its subjects twice."""
        family = spec.config.family
        if self.declared.setdefault(family, where) != where:
            raise LlmEvalError(
                f"{where}: {spec.config.name} is already declared in {self.declared[family]}; "
                "declare each dataset once per run"
            )

    def add_result(self, result: SubjectResult, spec: DatasetSpec) -> None:
        self.results[result.abbr] = result
        self.specs.setdefault(spec.config.family, spec)
