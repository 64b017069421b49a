"""How suite files and ``--llm-datasets`` become pytest collectors and items, one item per subject."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from typing import Any

import pytest

from pytest_llmeval.collection.session import RunState, RunStopped
from pytest_llmeval.datasets.plan import SubjectPlan, plan_available, plan_subjects
from pytest_llmeval.datasets.suite import DatasetSpec, parse_suite
from pytest_llmeval.errors import LlmEvalError, MissingData, SubjectFailure
from pytest_llmeval.faults import explain
from pytest_llmeval.judging.compare import subject_change
from pytest_llmeval.judging.programs import CODE_RULES, NOT_RUN
from pytest_llmeval.judging.verdict import subject_failure
from pytest_llmeval.reports.console import LiveProgress
from pytest_llmeval.reports.files import predictions_path, predictions_payload, write_json_atomic
from pytest_llmeval.runner import evaluate_subject

STATE = pytest.StashKey[RunState]()
PROGRESS = pytest.StashKey[LiveProgress]()


class ThresholdFailure(Exception):
    """A subject scored below its threshold; the message is the whole story."""


def _one_line(excinfo: pytest.ExceptionInfo[BaseException], config: pytest.Config) -> str | None:
    """The failure as its one line, unless the user asked for tracebacks and there is one behind it."""
    error = excinfo.value
    if not isinstance(error, (LlmEvalError, ThresholdFailure, RunStopped)):
        return None
    if error.__cause__ is not None and (config.option.tbstyle == "long" or config.option.fulltrace):
        return None  # --tb=long / --full-trace: the chain down to the original exception, then the line
    return str(error)


class SuiteFile(pytest.File):
    """A ``llmeval*.toml`` suite file: one child per declared dataset config."""

    def collect(self) -> Iterable[DatasetNode]:
        state = self.config.stash[STATE]
        for spec in parse_suite(self.path):
            state.declare(spec, str(self.path))
            yield DatasetNode.from_parent(self, name=spec.config.name, spec=spec, state=state)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        return _one_line(excinfo, self.config) or super().repr_failure(excinfo)


class DatasetNode(pytest.Collector):
    """One dataset config of a suite (or of ``--llm-datasets``): one item per subject."""

    def __init__(
        self, *, spec: DatasetSpec, state: RunState, plans: list[SubjectPlan] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.state = state
        self.plans = plans

    def collect(self) -> Iterator[SubjectItem]:
        settings = self.state.settings
        self.check(self.spec, settings)
        plans = self.plans
        missing = None
        if plans is None:
            # Data is read (and checked) only when a model will run; otherwise the table names the items.
            data_dir = settings.data_dir if settings.evaluates else None
            try:
                plans = plan_available(self.spec, data_dir, settings.limit)
            except MissingData as error:
                # Only an error if one of these subjects is selected (-k/-m): see pytest_collection_finish.
                plans, missing = plan_subjects(self.spec, None, settings.limit), str(error)
        for plan in plans:
            yield SubjectItem.from_parent(self, name=plan.abbr, plan=plan, missing_data=missing)

    @classmethod
    def check(cls, spec: DatasetSpec, settings: Any) -> None:
        """Combinations refused before any data is read or model loaded."""
        config = spec.config
        ppl = any(config.mode_of(config.benchmark.subject(key)) != "gen" for key in spec.subjects)
        if ppl and settings.hf_type == "chat" and not settings.meta_template:
            raise LlmEvalError(
                f"{spec.config.name}: ppl and ll configs score OpenCompass's plain prompts; --llm-hf-type chat applies to "
                "gen configs only (use --llm-hf-type base)"
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        return _one_line(excinfo, self.config) or super().repr_failure(excinfo)


class SubjectItem(pytest.Item):
    """One subject: generate answers for its questions, score them, compare with its threshold."""

    def __init__(self, *, plan: SubjectPlan, missing_data: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.missing_data = missing_data
        self.payload: str | None = None
        config = plan.spec.config
        # So that -k stem, -k ceval-stem, -k hard, -k mmlu_ppl select what a user means.
        self.extra_keyword_matches.update({*plan.subject.keywords, *plan.subject.groups, config.name, config.family})
        self.add_marker(pytest.mark.llmeval)
        # -k is a substring match (-k mmlu also matches cmmlu-*); -m mmlu selects exactly one dataset family.
        self.add_marker(getattr(pytest.mark, config.benchmark.marker or config.family))
        settings = self.config.stash[STATE].settings
        if not settings.evaluates:
            self.add_marker(pytest.mark.skip(reason="no --llm-model given"))
        elif config.scoring_of(plan.subject) in CODE_RULES and not settings.allow_code_exec:
            # Skipped before its model loads or anything generates: nothing is executed without consent.
            self.add_marker(pytest.mark.skip(reason=NOT_RUN))
        elif plan.not_run:
            self.add_marker(pytest.mark.skip(reason=plan.not_run))  # an optional split whose files are absent

    def runtest(self) -> None:
        state = self.config.stash[STATE]
        # A rerun (pytest-rerunfailures) must not report the previous attempt's result.
        self.payload = None
        self.user_properties = [(k, v) for k, v in self.user_properties if not k.startswith("llmeval_")]
        questions = len(self.plan.questions or ())
        progress = self.config.stash.get(PROGRESS, None)
        column = _current_column(self.config)
        started = time.perf_counter()
        track = progress.subject(self.plan.abbr, questions, column) if progress else nullcontext(_ignore)
        try:
            if self.missing_data is not None:
                raise LlmEvalError(self.missing_data)
            if state.stopped is not None:
                raise RunStopped(f"not run: {state.stopped}")
            backend = state.backend()
            with track as on_batch:
                try:
                    evaluation = evaluate_subject(self.plan, backend, state.run_settings(), state.worker, on_batch)
                except SubjectFailure as failure:
                    raise LlmEvalError(f"{self.plan.abbr}: {failure}") from None
            state.batch_size = evaluation.batch_size
            state.shared_prefix = evaluation.shared_prefix
        except RunStopped as stopped:
            self.session.shouldfail = f"llmeval stopped the run: {stopped}"
            raise
        except Exception as error:
            stopped = self._stop_for(state, error)
            if stopped is None:
                raise  # not a known failure: a bug, whose traceback is the useful part
            raise stopped from error
        state.questions += questions
        state.generate_seconds += time.perf_counter() - started
        result = evaluation.result
        try:
            write_json_atomic(
                predictions_path(state.run_dir, state.settings.model_abbr, result.abbr),
                predictions_payload(result, evaluation.prompts),
            )
        except OSError as error:
            stopped = self._stop_for(state, error)
            if stopped is None:
                raise
            raise stopped from error
        self.payload = json.dumps({"result": result.to_json(), "spec": self.plan.spec.to_json()})
        # Small, flat values for JUnit XML properties; the full record travels on the report.
        if result.answered:
            self.user_properties += [
                ("llmeval_accuracy", round(result.accuracy, 2)),
                ("llmeval_correct", result.correct),
            ]
        self.user_properties.append(("llmeval_total", result.total))
        if result.partial:
            self.user_properties += [("llmeval_points", result.points), ("llmeval_possible", result.possible)]
        compared = state.baseline is not None and result.answered
        change = subject_change(state.baseline, result) if compared else None  # type: ignore[arg-type]
        if change is not None:
            # The subject alone, unadjusted: the run's gate (Holm over every row) is decided at the end.
            self.user_properties += [
                ("llmeval_baseline_accuracy", round(change.before, 2)),
                ("llmeval_delta", round(change.delta, 2)),
                ("llmeval_right_to_wrong", change.change.right_to_wrong),
                ("llmeval_wrong_to_right", change.change.wrong_to_right),
            ]
        failure = subject_failure(result, self.plan.minimum)
        if failure:
            raise ThresholdFailure(failure)

    def _stop_for(self, state: RunState, error: Exception) -> RunStopped | None:
        """A known failure stops the run with its one line; None for anything else (a bug: keep its traceback)."""
        fault = explain(error, batch_size=state.run_settings().batch_size)
        if fault is None:
            return None
        stopped = state.stop(f"{self.plan.abbr}: {fault.reason}")
        self.session.shouldfail = f"llmeval stopped the run: {stopped}"
        return stopped

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        return _one_line(excinfo, self.config) or super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int, str]:
        return self.path, 0, self.name


def _ignore(done: int) -> None:
    """Progress callback for when no live display runs."""


def _current_column(config: pytest.Config) -> int:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    writer = getattr(reporter, "_tw", None)
    return int(getattr(writer, "width_of_current_line", 0)) if writer else 0
