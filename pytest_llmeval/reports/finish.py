"""The end of a run on the controller: judge it once, then write every file and message from that verdict.

The run's own files come first, so that a report path that cannot be written, or a webhook that is down,
costs nothing but its one line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytest_llmeval.datasets.suite import DatasetSpec
from pytest_llmeval.faults import one_line
from pytest_llmeval.judging.baseline import Baseline, render_baseline
from pytest_llmeval.judging.compare import compare
from pytest_llmeval.judging.summary import summarize
from pytest_llmeval.judging.verdict import judge
from pytest_llmeval.records import SubjectResult, WorkerStats
from pytest_llmeval.reports.files import Report, flip_records, write_run_files, write_text_atomic
from pytest_llmeval.reports.notify import payload, post
from pytest_llmeval.settings import Gate, Settings


@dataclass
class Finished:
    report: Report
    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # outputs that could not be written or sent
    run_files_failed: bool = False  # the run's own summary files could not be written: the run fails


def finish_run(
    run_dir: Path,
    settings: Settings,
    gate: Gate,
    baseline: Baseline | None,
    specs: Sequence[DatasetSpec],
    results: Mapping[str, SubjectResult],
    workers: Sequence[WorkerStats],
    errors: Sequence[str],
    missing: Sequence[str] = (),
    selected: Sequence[str] | None = None,
    not_run: Mapping[str, str] | None = None,
) -> Finished:
    summary = summarize(specs, results, set(selected) if selected is not None else None)
    comparison = compare(baseline, specs, results, settings) if baseline is not None else None
    verdict = judge(summary, results, errors, comparison, gate.max_drop, gate.alpha, missing, not_run, gate.allow_skip)
    flips = flip_records(run_dir, settings.model_abbr, comparison.flips) if comparison else []
    report = Report(run_dir, settings.model_abbr, settings, gate, summary, verdict, comparison, tuple(flips))
    done = Finished(report)
    try:
        done.files = write_run_files(report, results, workers)
    except OSError as error:
        # The table is still printed; what was written before the failure is whole (each file is atomic).
        done.run_files_failed = True
        done.problems.append(
            f"cannot write the run's result files in {run_dir} ({one_line(error)}); free space or choose a writable "
            "--llm-output-dir: the table above is this run's only record"
        )
    ordered = summary.in_order(results)
    if gate.save_baseline is not None:
        if ordered:
            _write(
                done,
                "--llm-save-baseline",
                gate.save_baseline,
                lambda: render_baseline(settings, ordered, run_dir.name),
            )
            if errors:
                done.problems.append(
                    f"--llm-save-baseline {gate.save_baseline}: saved without the {len(errors)} subject(s) that "
                    "errored; a later comparison names them as not compared"
                )
        else:
            done.problems.append(f"--llm-save-baseline {gate.save_baseline}: no subject finished; nothing saved")
    if gate.report_md is not None or os.environ.get("GITHUB_STEP_SUMMARY"):
        from pytest_llmeval.reports.markdown import render_markdown

        markdown = render_markdown(report)
        if gate.report_md is not None:
            _write(done, "--llm-report-md", gate.report_md, lambda: markdown)
        _append_step_summary(done, markdown)
    if gate.report_html is not None:
        from pytest_llmeval.reports.html import render_html

        _write(done, "--llm-report-html", gate.report_html, lambda: render_html(report))
    if gate.notify is not None:
        problem = post(gate.notify, payload(report, gate.notify_format))
        if problem:
            done.problems.append(problem)
    return done


def _write(done: Finished, option: str, path: Path, render) -> None:
    try:
        write_text_atomic(path, render())
    except OSError as error:
        done.problems.append(
            f"{option} {path}: cannot write it ({one_line(error)}); the run's results are in {done.report.run_dir}"
        )
    else:
        done.files.append(path)


def _append_step_summary(done: Finished, markdown: str) -> None:
    """GitHub Actions shows this file on the run's page; other steps append to it too, so never replace it."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(markdown)
    except OSError as error:
        done.problems.append(f"$GITHUB_STEP_SUMMARY {target}: cannot append to it ({one_line(error)})")
