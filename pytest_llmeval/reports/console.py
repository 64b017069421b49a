"""What a person sees in the terminal: the rich summary table and a live progress line."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from pytest_llmeval.records import WorkerStats
from pytest_llmeval.reports.files import Report, change_cells


def render_summary(report: Report, color: bool) -> str:
    """The summary table as text: OpenCompass's columns, the threshold, then (with a baseline) the baseline's
    value over the paired questions, the change, the flips each way and the Holm-adjusted p, then the verdict."""
    summary, verdict, comparison = report.summary, report.verdict, report.comparison
    table = Table(title=None, show_edge=False, pad_edge=False, box=None, header_style="bold")
    columns = [("dataset", "left"), ("version", "left"), ("metric", "left"), ("mode", "left")]
    columns += [(report.model, "right"), ("min", "right")]
    if comparison is not None:
        columns += [("baseline", "right"), ("Δ", "right"), ("r→w", "right"), ("w→r", "right"), ("p", "right")]
    for name, justify in (*columns, ("", "left")):
        # Dataset and model text is shown as is: rich markup in a name must never be interpreted.
        table.add_column(escape(name), justify=justify, no_wrap=True)  # type: ignore[arg-type]
    changes = {row.name: row for row in comparison.rows} if comparison else {}
    # Subjects that failed without a result (a load failure, a crashed worker): never just "not run".
    errored = {row.name for row in summary.subject_rows if any(e.startswith(f"{row.name}: ") for e in verdict.errors)}
    for number, row in enumerate(summary.rows):
        if number == len(summary.subject_rows):
            table.add_section()
        cells = [escape(cell) for cell in row.csv_cells()]
        cells.append(f"{row.minimum:.2f}" if row.minimum is not None else "")
        if comparison is not None:
            change = changes.get(row.name)
            compared = change_cells(change)
            if change is not None and change.delta:
                compared[1] = f"[{'red' if change.delta < 0 else 'green'}]{compared[1]}[/]"
            cells += compared
        failed = row.name in verdict.failed_rows
        if failed:
            status = "[red]FAIL[/red]"
        elif row.value is None and row.name in errored:
            status = "[red]error[/red]"
        elif row.value is None:
            status = (
                f"[yellow]{escape(row.detail)}[/yellow]"
                if row.minimum is not None or row.detail != "not run"
                else "[dim]not run[/dim]"
            )
        elif row.minimum is not None or row.name in changes:
            status = "[green]ok[/green]"
        else:
            status = ""
        if row.value is not None and row.remark:  # the points behind a score, or what a score means
            status = " ".join(part for part in (status, f"[dim]{escape(row.remark)}[/dim]") if part)
        table.add_row(*cells, status, style="red" if failed else None)
    return _print(table, color)


def _print(table: Table, color: bool) -> str:
    """The table at the width it needs, whatever the terminal's: a cut cell (``ceval-environmental_imp…``)
    loses exactly what a CI log reader is looking for, while a long line at worst wraps."""
    buffer = io.StringIO()
    options = {"file": buffer, "force_terminal": color, "color_system": "standard" if color else None}
    needed = Console(width=100_000, **options).measure(table).maximum  # type: ignore[arg-type]
    console = Console(width=needed, highlight=False, **options)  # type: ignore[arg-type]
    console.print(table)
    return buffer.getvalue()


def worker_lines(stats: Sequence[WorkerStats]) -> list[str]:
    """One line per process: where it ran, model loads, load time and throughput."""
    return [_worker_line(s) for s in sorted(stats, key=lambda s: s.worker)]


def _worker_line(s: WorkerStats) -> str:
    if not s.questions:
        return f"{s.worker}: ran no subject"
    return (
        f"{s.worker}: devices {s.devices or '-'}, {s.model_loads} model load(s) in {s.load_seconds:.1f}s"
        + (f" ({s.dtype})" if s.dtype else "")
        + f", {s.questions} questions in {s.generate_seconds:.1f}s ({s.questions_per_second:.2f} questions/s)"
        + (f", {s.cached} from the result cache" if s.cached else "")
        + (f", batch size {s.batch_size} (auto)" if s.batch_size else "")
        + (", reference path (shared-prefix cache off)" if s.shared_prefix.startswith("off") else "")
    )


class LiveProgress:
    """Questions done per subject and overall, redrawn in place on a terminal while pytest captures output.

    Each redraw runs inside ``suspend()`` (pytest's capture turned off for the moment) and writes to
    the real terminal, so progress shows without ``-s`` and nothing leaks into captured test output.
    """

    def __init__(self, file: TextIO, suspend: Callable[[], AbstractContextManager], total: int) -> None:
        self._suspend = suspend
        self._console = Console(file=file, force_terminal=True)
        self._progress = Progress(
            TextColumn("{task.description}", style="bold"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=self._console,
            auto_refresh=False,
            transient=True,
        )
        self._overall = self._progress.add_task("all subjects", total=total, rate="")
        self._done_before = 0
        self._started = time.perf_counter()

    @contextmanager
    def subject(self, name: str, questions: int, column: int) -> Iterator[Callable[[int], None]]:
        """Show a bar for one subject while it runs; yields the per-batch update callback."""
        task = self._progress.add_task(escape(name), total=questions, rate="")  # a name is text, not markup
        started = time.perf_counter()

        def update(done: int) -> None:
            rate = done / max(time.perf_counter() - started, 1e-9)
            self._progress.update(task, completed=done, rate=f"{rate:.1f} q/s")
            overall = self._done_before + done
            overall_rate = overall / max(time.perf_counter() - self._started, 1e-9)
            self._progress.update(self._overall, completed=overall, rate=f"{overall_rate:.1f} q/s")
            with self._suspend():
                self._progress.refresh()

        with self._suspend():
            self._console.file.write("\n")  # draw below pytest's progress line, not over it
            self._progress.start()
            self._progress.refresh()
        try:
            yield update
        finally:
            self._done_before += questions
            self._progress.remove_task(task)
            with self._suspend():
                self._progress.stop()
                # back to the end of pytest's line, so its result letter lands where it belongs
                self._console.file.write(f"\x1b[1A\x1b[{column}C" if column else "\x1b[1A")
                self._console.file.flush()
