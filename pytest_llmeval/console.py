"""What a person sees in the terminal: the rich summary table and a live progress line."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from pytest_llmeval.records import WorkerStats
from pytest_llmeval.summary import Summary


def render_summary(summary: Summary, model_abbr: str, color: bool) -> str:
    """The summary table as text: OpenCompass's columns plus the threshold and verdict of each row."""
    table = Table(title=None, show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name, justify in (
        ("dataset", "left"),
        ("version", "left"),
        ("metric", "left"),
        ("mode", "left"),
        (model_abbr, "right"),
        ("min", "right"),
        ("", "left"),
    ):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for number, row in enumerate(summary.rows):
        if number == len(summary.subject_rows):
            table.add_section()
        cells = row.csv_cells()
        minimum = f"{row.minimum:.2f}" if row.minimum is not None else ""
        if row.failed:
            verdict = "[red]FAIL[/red]"
        elif row.value is None:
            verdict = (
                f"[yellow]{row.detail}[/yellow]"
                if row.minimum is not None or row.detail != "not run"
                else "[dim]not run[/dim]"
            )
        elif row.minimum is not None:
            verdict = "[green]ok[/green]"
        else:
            verdict = ""
        table.add_row(*cells, minimum, verdict, style="red" if row.failed else None)
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
    return [
        f"{s.worker}: ran no subject"
        if not s.questions
        else f"{s.worker}: devices {s.devices or '-'}, {s.model_loads} model load(s) in {s.load_seconds:.1f}s, "
        f"{s.questions} questions in {s.generate_seconds:.1f}s ({s.questions_per_second:.2f} questions/s)"
        + (f", {s.cached} from the result cache" if s.cached else "")
        + (f", batch size {s.batch_size} (auto)" if s.batch_size else "")
        for s in sorted(stats, key=lambda s: s.worker)
    ]


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
        task = self._progress.add_task(name, total=questions, rate="")
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
