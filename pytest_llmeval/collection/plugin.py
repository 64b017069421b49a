"""The pytest hooks. Each one delegates; the work lives in the modules named for it.

Data flow under xdist: workers collect and run subject items, write their
predictions files and attach each subject's record to its test report; the
controller alone gathers those records, computes group rows and thresholds,
prints the table and writes the summary files.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from pytest_llmeval.backends.choose import check_reachable
from pytest_llmeval.backends.devices import auto_workers, check_worker_count, claim_devices, count_gpus, gpu_visible
from pytest_llmeval.backends.hf_files import DTYPE_KEYS
from pytest_llmeval.collection import options
from pytest_llmeval.collection.conflicts import clash as installed_clash
from pytest_llmeval.collection.interrupts import INTERRUPTED, InterruptGuard
from pytest_llmeval.collection.invocation import repair_or_refuse
from pytest_llmeval.collection.items import PROGRESS, STATE, DatasetNode, SubjectItem, SuiteFile
from pytest_llmeval.collection.session import RunState, new_run_dir
from pytest_llmeval.datasets.benchmarks import BENCHMARKS
from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.datasets.custom_dataset import MARKER as CUSTOM_MARKER
from pytest_llmeval.datasets.custom_dataset import CustomSource
from pytest_llmeval.datasets.named_sets import COLLECTIONS, expand, expand_named
from pytest_llmeval.datasets.plan import plan_available, plan_subjects
from pytest_llmeval.datasets.suite import SUITE_PATTERN, DatasetSpec, make_spec
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.judging.baseline import read_baseline
from pytest_llmeval.judging.programs import programs_line
from pytest_llmeval.judging.summary import truncation_note
from pytest_llmeval.judging.verdict import gate_rule
from pytest_llmeval.records import SubjectResult, WorkerStats, probe_refusal
from pytest_llmeval.reports.console import LiveProgress, render_summary, worker_lines
from pytest_llmeval.reports.finish import finish_run
from pytest_llmeval.settings import Settings

AUTO_NOTE = pytest.StashKey[str]()  # set by the xdist hook, which runs before pytest_configure
RESTART_NOTE = pytest.StashKey[str]()  # set when the seed command's space form restarted the process


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return (
        not _is_worker(config)
        and bool(getattr(config.option, "numprocesses", None))
        and (getattr(config.option, "dist", "no") != "no")
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: before output capture starts and conftests load
def pytest_load_initial_conftests(early_config: pytest.Config) -> Iterator[None]:
    """``--llm-model PATH`` must not decide pytest's rootdir and config file (see ``invocation``)."""
    note = repair_or_refuse(early_config, options.single_value_flags())
    if note:
        early_config.stash[RESTART_NOTE] = note
    return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """``--llm-list``: print the matching presets and configs and exit 0 without collecting, as ``--markers`` does."""
    if config.option.llm_list is None:
        return None
    clash = installed_clash()
    if clash:
        raise pytest.UsageError(clash)
    from pytest_llmeval.reports.listing import find_suites, render_listing

    roots = [Path(arg.split("::")[0]) for arg in config.args] or [config.rootpath]
    extra = []
    try:
        settings = options.read_settings(config)
        if settings.custom_dataset:
            extra.append(make_spec("--llm-custom-dataset", None, source=custom_source_of(settings)))
    except LlmEvalError as error:
        raise pytest.UsageError(str(error)) from None
    sys.stdout.write(render_listing(config.option.llm_list, options.data_dir(config), find_suites(roots), extra))
    return 0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "llmeval: a dataset subject evaluated by pytest-llm-regression")
    for family in sorted(BENCHMARKS):
        config.addinivalue_line("markers", f"{family}: a {BENCHMARKS[family].title} subject (pytest-llm-regression)")
    config.addinivalue_line("markers", f"{CUSTOM_MARKER}: a subject of your own dataset (pytest-llm-regression)")
    clash = installed_clash()
    if clash and any(
        config.getoption(options.dest(n)) or config.getini(options.dest(n)) for n in ("model", "api-base")
    ):
        raise pytest.UsageError(clash)  # first: any other line could come from the other package's files
    settings = options.read_settings(config)
    try:
        if _is_worker(config):
            worker = config.workerinput["workerid"]
            run_dir = Path(config.workerinput["llmeval_run_dir"])
        else:
            worker, run_dir = "main", new_run_dir(settings.output_dir, create=False)
        notes = [config.stash[key] for key in (RESTART_NOTE, AUTO_NOTE) if key in config.stash]
        state = RunState(settings=settings, run_dir=run_dir, worker=worker, notes=notes)
        state.gate = options.read_gate(config)
        gate = state.gate
        if settings.evaluates and gate.baseline is not None:
            if gate.baseline == gate.save_baseline and not gate.baseline.exists():
                # The first save of a baseline the repo pins (llm_baseline): nothing to compare with yet.
                state.notes.append(f"baseline {gate.baseline} does not exist yet: this run saves it, compares nothing")
            else:
                state.baseline = read_baseline(gate.baseline)
        if _is_worker(config):
            state.cpu_threads = max(1, (os.cpu_count() or 1) // int(config.workerinput.get("workercount", 1)))
        if settings.model and not _is_xdist_controller(config):
            state.devices = claim_devices(worker, settings.num_gpus)
        if settings.model and _is_xdist_controller(config):
            check_worker_count(int(config.option.numprocesses), count_gpus(), settings.num_gpus)
        if settings.datasets:
            data_dir = settings.data_dir if settings.evaluates else None
            # Read and check the data now: a bad data dir stops the run before any model loads.
            # A collection (base_core, chat_core) stands for its member configs, in OpenCompass's order.
            specs = [
                replace(make_spec("--llm-datasets", name), collection=collection)
                for name, collection in expand_named(settings.datasets)
            ]
            for spec in specs:  # every declaration checked before any data file is read
                state.declare(spec, "--llm-datasets")
                DatasetNode.check(spec, settings)
            for spec in specs:
                state.planned.append((spec, plan_available(spec, data_dir, settings.limit)))
        if settings.custom_dataset:
            spec = make_spec("--llm-custom-dataset", None, source=custom_source_of(settings))
            state.declare(spec, "--llm-custom-dataset")
            DatasetNode.check(spec, settings)
            state.planned.append((spec, plan_subjects(spec, None, settings.limit)))
        if settings.evaluates and not config.option.collectonly and not _is_worker(config):
            check_reachable(settings)  # a server that is down fails here once, before any item runs
            # Last, once every check passed: a refused run leaves no empty folder behind.
            state.run_dir = new_run_dir(settings.output_dir)
    except LlmEvalError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[STATE] = state
    hooks = RunHooks(config, state)
    if settings.evaluates and not _is_worker(config):
        hooks.interrupts.install()  # the controller's exit status is the run's
        config.pluginmanager.register(hooks.interrupts, "llmeval-interrupts")
    config.pluginmanager.register(hooks, "llmeval-run")


@pytest.hookimpl(optionalhook=True, tryfirst=True)  # ahead of xdist's own CPU-count answer
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: one worker per whole group of ``--llm-num-gpus`` GPUs, or one on a machine without GPUs."""
    if not (config.getoption(options.dest("model")) or config.getini(options.dest("model"))):
        return None  # not an llmeval run: keep xdist's own choice
    try:
        per_worker = max(
            int(config.getoption(options.dest("num_gpus")) or config.getini(options.dest("num_gpus")) or 1), 1
        )
    except ValueError:
        return None  # pytest_configure reports the bad value
    workers, note = auto_workers(count_gpus(), per_worker)
    if note:
        config.stash[AUTO_NOTE] = note
    return workers


def pytest_report_header(config: pytest.Config) -> list[str]:
    clash = installed_clash()  # runs without a model are not refused, but are told
    state = config.stash.get(STATE, None)
    if state is None or not state.settings.evaluates:
        return [f"llmeval: {clash}"] if clash else []
    s = state.settings
    what = f"model {s.model}" if s.model else f"server {s.api_base} model {s.api_model}, concurrency {s.concurrency}"
    lines = [
        (
            f"llmeval: {what} ({s.model_abbr}), hf-type {s.hf_type}, max-seq-len {s.max_seq_len}, "
            f"max-out-len {s.max_out_len}, batch-size {'auto' if s.batch_auto else s.batch_size}"
        ),
        f"llmeval: data {s.data_dir}, output {state.run_dir}",
    ]
    if s.preset:
        consent = [
            k for k, v in (*s.model_kwargs.items(), *s.tokenizer_kwargs.items()) if k == "trust_remote_code" and v
        ]
        lines.append(
            f"llmeval: preset {s.preset}"
            + (f", meta template {s.meta_template}" if s.meta_template else "")
            + (", trust_remote_code=True from the preset: the checkpoint's own code will run" if consent else "")
        )
    precision = precision_note(s)
    if precision:
        lines.append(f"llmeval: {precision}")
    if s.allow_code_exec:
        lines.append(f"llmeval: {sandbox_note()}")
    if state.gate.allow_skip:
        lines.append(
            "llmeval: --llm-allow-skip: a partial run is accepted; items that do not run are listed under the table, "
            "and the thresholds and baseline rows they leave unchecked do not fail the run"
        )
    return lines + [f"llmeval: {note}" for note in state.notes]


def skip_reason(report: pytest.TestReport) -> str:
    """The reason a skipped item gave, without pytest's ``Skipped: `` prefix."""
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "skipped")
    return text.removeprefix("Skipped: ")


def sandbox_note() -> str:
    """What the user consented to with --llm-allow-code-exec, and how far the sandbox can isolate here."""
    from pytest_llmeval.judging.execution import isolation  # probes with a child process: only with consent

    why_not = isolation()
    where = (
        "each in a child process with its own user, mount, network and process namespaces"
        if not why_not
        else f"each in a child process, with less isolation than intended here: {why_not}"
    )
    return f"--llm-allow-code-exec: code suites run model-written programs, {where} (see the README's sandbox section)"


def precision_note(settings: Settings) -> str | None:
    """A line when the model will run in another dtype than OpenCompass 0.2.4 loads it in, naming the fix.

    OpenCompass's HuggingFace models load in float16 unless ``torch_dtype`` is given, on any device; this
    plugin keeps that default on a GPU but loads float32 on a CPU, where half precision is slow. The same
    kwargs give the same dtype on both, so only the CPU default differs.
    """
    if settings.backend != "hf" or any(key in settings.model_kwargs for key in DTYPE_KEYS):
        return None
    if gpu_visible():
        return None
    return (
        "float32 on CPU, where OpenCompass loads float16: predictions can differ from OpenCompass's; "
        "--llm-model-kwargs torch_dtype=torch.float16 runs its dtype"
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if fnmatch(file_path.name, SUITE_PATTERN):
        return SuiteFile.from_parent(parent, path=file_path)
    return None


def custom_source_of(settings: Settings) -> CustomSource:
    """``--llm-custom-dataset`` and its companions, as OpenCompass's ``--custom-dataset-*`` options read."""
    assert settings.custom_dataset is not None
    return CustomSource(
        path=settings.custom_dataset,
        meta_path=settings.custom_meta_path,
        data_type=settings.custom_data_type,
        infer_method=settings.custom_infer_method,
    )


def _discard_if_empty(run_dir: Path) -> None:
    try:
        run_dir.rmdir()  # only ever removes an empty folder
    except OSError:
        pass


def _is_subject(nodeid: str) -> bool:
    """A subject item's node id: ``<suite file>::<config>::<subject>`` or ``llmeval::<config>::<subject>``."""
    parts = nodeid.split("::")
    return len(parts) == 3 and (parts[0] == "llmeval" or fnmatch(Path(parts[0]).name, SUITE_PATTERN))


def table_families(datasets: tuple[str, ...]) -> list[str]:
    """The table's order of dataset families: the built-in one (C-Eval, MMLU, CMMLU, ...), except that a collection
    named in ``--llm-datasets`` puts its members first, in its file's order, as OpenCompass's table follows its
    config list."""
    if not any(name in COLLECTIONS for name in datasets):
        return list(BENCHMARKS)
    named = [CONFIGS[name].family for name in expand(datasets) if name in CONFIGS]
    return list(dict.fromkeys([*named, *BENCHMARKS]))


def _table_order(families: list[str], spec: DatasetSpec) -> tuple[int, str]:
    """Built-in families in their fixed order, then custom datasets by name."""
    family = spec.config.family
    return (families.index(family), "") if family in families else (len(families), spec.config.name)


class RunHooks:
    """Hooks that need this run's config and state; registered once per process in pytest_configure."""

    def __init__(self, config: pytest.Config, state: RunState) -> None:
        self.interrupts = InterruptGuard(self._gate_failed)
        self.config = config
        self.state = state

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Give every xdist worker the controller's run folder, so all files land in one place."""
        node.workerinput["llmeval_run_dir"] = str(self.state.run_dir)

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Iterator[None]:
        """Hang the ``--llm-datasets`` nodes under the session, so pytest collects and counts them as usual."""
        report = yield
        if isinstance(collector, pytest.Session) and report.passed:
            for spec, plans in self.state.planned:
                report.result.append(
                    DatasetNode.from_parent(
                        collector,
                        name=spec.config.name,
                        nodeid=f"llmeval::{spec.config.name}",
                        spec=spec,
                        state=self.state,
                        plans=plans,
                    )
                )
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Order subject items longest first, so xdist workers finish together."""
        slots = [i for i, item in enumerate(items) if isinstance(item, SubjectItem)]
        # Ties keep collection order (the sort is stable), so every worker sees the same list.
        ordered = sorted((items[i] for i in slots), key=lambda item: -item.plan.cost)
        for slot, item in zip(slots, ordered):
            items[slot] = item

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Set up the live progress display when this process runs the items itself on a terminal."""
        config = session.config
        state = self.state
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        capman = config.pluginmanager.get_plugin("capturemanager")
        subject_items = [item for item in session.items if isinstance(item, SubjectItem)]
        state.selected = [item.name for item in subject_items]
        missing = next((item.missing_data for item in subject_items if item.missing_data), None)
        if missing and not _is_worker(config) and state.settings.evaluates:
            state.refused = True
            pytest.exit(missing, returncode=pytest.ExitCode.USAGE_ERROR)  # before any model loads
        if (
            not state.settings.evaluates
            or _is_worker(config)
            or _is_xdist_controller(config)
            or not subject_items
            or reporter is None
            or capman is None
            or not sys.stdout.isatty()
            or os.environ.get("CI")
        ):
            return
        total = sum(len(item.plan.questions or ()) for item in subject_items)
        config.stash[PROGRESS] = LiveProgress(reporter._tw._file, capman.global_and_fixture_disabled, total)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        report = yield
        if isinstance(item, SubjectItem) and call.when == "call":
            # Plain attributes survive xdist's report serialisation (TestReport keeps extra fields).
            if item.payload:
                report.llmeval = item.payload
            else:  # failed without a result: its dataset still gets a table and a record that did not pass
                report.llmeval_spec = json.dumps(item.plan.spec.to_json())
        elif isinstance(item, SubjectItem) and call.when == "setup" and report.skipped:
            # Not run (no consent for code, a skip marker): its dataset keeps its rows, and the gates it leaves
            # unchecked are named at the end.
            report.llmeval_spec = json.dumps(item.plan.spec.to_json())
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "setup" and "llmeval" in report.keywords:
            self.state.subjects_reported += 1
            if report.skipped and self.state.settings.evaluates and not _is_worker(self.config):
                abbr = report.nodeid.rsplit("::", 1)[-1]
                self.state.not_run[abbr] = skip_reason(report)
                spec = getattr(report, "llmeval_spec", None)
                if spec:
                    self.state.add_spec(DatasetSpec.from_json(json.loads(spec)))
        payload = getattr(report, "llmeval", None)
        # A subject that errored (or whose xdist worker crashed, reported as when="???") has no result:
        # the run record must not call such a run passed.
        if report.failed and not payload and ("llmeval" in report.keywords or report.when == "???"):
            lines = report.longreprtext.strip().splitlines()
            abbr = report.nodeid.rsplit("::", 1)[-1]
            self.state.errors.append(f"{abbr}: {lines[-1] if lines else 'failed'}")
            self.state.errored.add(abbr)
            spec = getattr(report, "llmeval_spec", None)
            if spec and not _is_worker(self.config):
                self.state.add_spec(DatasetSpec.from_json(json.loads(spec)))
        if not payload or report.when != "call":
            return
        if not _is_worker(self.config):
            data = json.loads(payload)
            self.state.add_result(SubjectResult.from_json(data["result"]), DatasetSpec.from_json(data["spec"]))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Under xdist only workers collect: learn from the first one which subjects the run set out to do."""
        if not self.state.selected:
            self.state.selected = [nodeid.rsplit("::", 1)[-1] for nodeid in ids if _is_subject(nodeid)]

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Collect each worker's model-load and throughput figures as it shuts down."""
        raw = getattr(node, "workeroutput", {}).get("llmeval")
        if raw:
            stats = WorkerStats.from_json(json.loads(raw))
            self.state.worker_stats[stats.worker] = stats

    def _gate_failed(self) -> bool:
        finished = self.state.finished
        return finished is not None and finished.report.verdict.gate_failed

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        state = self.state
        if _is_worker(self.config):
            self.config.workeroutput["llmeval"] = json.dumps(state.stats().to_json())
            return
        if not _is_xdist_controller(self.config) and (state.model_loads or state.questions):
            state.worker_stats[state.worker] = state.stats()
        if not state.specs:
            _discard_if_empty(state.run_dir)  # a run stopped at collection leaves no empty folder behind
            return
        # Also after a failure or Ctrl-C: whatever finished is summarised and kept.
        # A fixed order, so that the table is the same whichever worker reported first, and under xdist (where the
        # controller never sees the declarations) too.
        families = table_families(state.settings.datasets)
        specs = sorted(state.specs.values(), key=lambda spec: _table_order(families, spec))
        state.finished = finish_run(
            state.run_dir,
            state.settings,
            state.gate,
            state.baseline,
            specs,
            state.results,
            list(state.worker_stats.values()),
            state.errors,
            missing=[
                abbr
                for abbr in state.selected
                if abbr not in state.results and abbr not in state.errored and abbr not in state.not_run
            ],
            # Under xdist the controller learns the selection from the first worker's collection.
            selected=state.selected or None,
            not_run=state.not_run,
        )
        failed = state.finished.report.verdict.fails_run or state.finished.run_files_failed
        if failed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        state = self.state
        if state.finished is None:
            quiet = self.config.option.collectonly or terminalreporter.stats.get("error") or state.refused
            if state.settings.evaluates and not state.subjects_reported and not quiet:
                terminalreporter.write_line(
                    "llmeval: --llm-model was given but no subject ran: put a llmeval*.toml suite where pytest "
                    "collects, pass --llm-datasets ceval_gen, or check your -k/-m selection",
                    yellow=True,
                )
            return
        report = state.finished.report
        summary, verdict, comparison = report.summary, report.verdict, report.comparison
        title = f"llmeval summary: {state.settings.model_abbr}"
        terminalreporter.write_sep(
            "=", title if verdict.complete else f"{title} (INCOMPLETE)", red=not verdict.complete
        )
        probe = probe_refusal(list(state.worker_stats.values()))
        if probe:
            terminalreporter.write_line(f"llmeval: shared-prefix cache off for this model: {probe}", yellow=True)
        terminalreporter.write(render_summary(report, terminalreporter._tw.hasmarkup))
        deselected = summary.deselected_line()
        if deselected:
            terminalreporter.write_line(deselected)
        for line in verdict.not_run:
            terminalreporter.write_line(line, yellow=True)
        for line in verdict.unchecked:
            terminalreporter.write_line(f"not checked: {line}", yellow=True)
        settings = state.settings
        ran = summary.in_order(state.results)
        limits = {
            spec.config.benchmark.abbr(key): settings.max_seq_len
            - (spec.config.infer_config(spec.config.benchmark.subject(key)).max_out_len or settings.max_out_len)
            for spec in state.specs.values()
            for key in spec.subjects
        }
        for result in ran:
            programs = programs_line(result.abbr, result.outcomes)
            if programs:
                terminalreporter.write_line(programs)
        truncated = truncation_note(ran, limits)
        if truncated:
            terminalreporter.write_line(truncated, yellow=True)
        if comparison is not None:
            flips = len(comparison.flips)
            terminalreporter.write_line(
                f"baseline {comparison.path} (model {comparison.model}): {len(comparison.rows)} row(s) compared, "
                f"{flips} question(s) changed" + (f", listed in {state.run_dir / 'flips.json'}" if flips else "")
            )
            for note in comparison.notes:
                terminalreporter.write_line(f"  not compared: {note}", yellow=True)
        gate = state.gate
        rule = gate_rule(gate.max_drop, gate.alpha, comparison.tests if comparison else 0)
        for lines, what in (
            (verdict.group_failures, f"{len(verdict.group_failures)} group threshold(s) not met"),
            (verdict.regressions, f"{len(verdict.regressions)} regression(s) against the baseline, {rule}"),
        ):
            if lines:
                terminalreporter.write_line(f"llmeval gate FAILED: {what} (exit status 1):", red=True, bold=True)
                for line in lines:
                    terminalreporter.write_line(f"  {line}", red=True)
        if verdict.skipped_gates:
            if verdict.allow_skip:
                terminalreporter.write_line(
                    f"llmeval: {len(verdict.skipped_gates)} gate(s) left unchecked by items that did not run, "
                    "accepted with --llm-allow-skip:",
                    yellow=True,
                )
            else:
                terminalreporter.write_line(
                    f"llmeval gate FAILED: {len(verdict.skipped_gates)} gate(s) not checked because their items did "
                    "not run (exit status 1); give what they need, or accept a partial run with --llm-allow-skip:",
                    red=True,
                    bold=True,
                )
            for line in verdict.skipped_gates:
                terminalreporter.write_line(f"  {line}", yellow=verdict.allow_skip, red=not verdict.allow_skip)
        if verdict.baseline_unchecked:
            terminalreporter.write_line(
                f"llmeval gate FAILED: {verdict.baseline_unchecked} (exit status 1); re-save the baseline with "
                "--llm-save-baseline on the base branch",
                red=True,
                bold=True,
            )
        if verdict.subject_failures:
            terminalreporter.write_line(
                f"{len(verdict.subject_failures)} subject(s) below threshold (failed items above)", red=True
            )
        incomplete = verdict.incomplete_line()
        if incomplete:
            terminalreporter.write_line(f"llmeval: {incomplete}", red=True, bold=True)
        for line in worker_lines(list(state.worker_stats.values())):
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"predictions: {state.run_dir / 'predictions' / state.settings.model_abbr}")
        for path in state.finished.files:
            terminalreporter.write_line(f"wrote {path}")
        for problem in state.finished.problems:
            terminalreporter.write_line(f"llmeval: {problem}", red=True)
        if self.interrupts.seen:
            terminalreporter.write_line(f"llmeval: {INTERRUPTED}", red=True, bold=True)


@pytest.fixture(scope="session")
def llm_model(pytestconfig: pytest.Config) -> Any:
    """The loaded model backend (``.model``, ``.tokenizer``, ``.generate``), shared with the subject items."""
    state = pytestconfig.stash[STATE]
    if not state.settings.evaluates:
        pytest.skip("no --llm-model given")
    return state.backend()


@pytest.fixture(scope="session")
def llm_settings(pytestconfig: pytest.Config) -> Settings:
    """The validated ``--llm-*`` settings of this run."""
    return pytestconfig.stash[STATE].settings
