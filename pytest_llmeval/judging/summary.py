"""The summary table: pure functions of dataset specs and subject results (``verdict`` judges it)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pytest_llmeval.datasets.suite import DatasetSpec
from pytest_llmeval.records import SubjectResult, percentage


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the summary table: a subject (``accuracy``) or a group (``naive_average``)."""

    name: str
    version: str
    metric: str
    mode: str
    value: float | None
    minimum: float | None
    detail: str
    members: tuple[str, ...] = ()  # a group's subjects (their abbrs); empty for a subject row
    unscored: bool = False  # ran, but its split has no answers: no value, and nothing to gate
    points: tuple[int, int] | None = None  # (earned, possible) of a subject whose questions earn points
    note: str = ""  # what its number means beyond the table's columns (the subject's ``note``)

    @property
    def remark(self) -> str:
        """The points and the note a report shows beside a row's value ("" for most rows)."""
        points = f"{self.points[0]}/{self.points[1]} points" if self.points else ""
        return "; ".join(part for part in (points, self.note) if part)

    def csv_cells(self) -> list[str]:
        """The row as OpenCompass writes it: ``-`` everywhere when there is no value (an unscored row keeps its
        version, metric and mode: it ran)."""
        if self.value is None:
            if self.unscored:
                return [self.name, self.version, self.metric, self.mode, "-"]
            return [self.name, "-", "-", "-", "-"]
        return [self.name, self.version, self.metric, self.mode, f"{self.value:.2f}"]


@dataclass(frozen=True, slots=True)
class Summary:
    """Subject rows then group rows, per dataset, in table order."""

    subject_rows: tuple[Row, ...]
    group_rows: tuple[Row, ...]
    deselected: tuple[str, ...] = ()  # subjects of these datasets that -k/-m left out: not part of the run

    def deselected_line(self) -> str | None:
        """One line counting the subjects a selection left out of the table, or None."""
        if not self.deselected:
            return None
        return f"{_subjects(len(self.deselected))} deselected (-k/-m) and left out of the table"

    @property
    def rows(self) -> tuple[Row, ...]:
        return self.subject_rows + self.group_rows

    def in_order(self, results: Mapping[str, SubjectResult]) -> list[SubjectResult]:
        """The subjects that have a result, in table order (the order every file lists them in)."""
        return [results[row.name] for row in self.subject_rows if row.name in results]


def _subjects(count: int) -> str:
    return f"{count} subject" if count == 1 else f"{count} subjects"


def summarize(
    specs: Sequence[DatasetSpec], results: Mapping[str, SubjectResult], selected: Collection[str] | None = None
) -> Summary:
    """Build the table: a subject row per declared subject, then each group's unweighted mean.

    With ``selected`` (the subjects the run set out to do), subjects outside it that have no result were
    deselected by ``-k``/``-m``: they get no row, only a count. A selected subject without a result keeps its
    ``not run`` row. A group gets a value only when all its declared subjects ran (as OpenCompass does), so a
    ``-k`` selection never passes off a partial average as the group's.
    """
    subject_rows: list[Row] = []
    group_rows: list[Row] = []
    deselected: list[str] = []
    for spec in specs:
        config = spec.config
        benchmark = config.benchmark
        for key in spec.subjects:
            abbr = benchmark.abbr(key)
            result = results.get(abbr)
            if result is None and selected is not None and abbr not in selected:
                deselected.append(abbr)
                continue
            unscored = result is not None and not result.answered
            subject_rows.append(
                Row(
                    name=abbr,
                    version=result.version if result else "-",
                    metric=benchmark.metric,
                    mode=config.mode_of(benchmark.subject(key)),
                    value=result.accuracy if result and not unscored else None,
                    minimum=spec.minimum(abbr),
                    detail=_detail(result),
                    unscored=unscored,
                    points=(result.points, result.possible) if result and result.partial else None,
                    note=benchmark.subject(key).note,
                )
            )
        metrics = {group.name: group.metric for group in benchmark.groups}
        for name, members in spec.groups():
            ran = [
                (results[benchmark.abbr(key)], benchmark.subject(key).weight)
                for key in members
                if benchmark.abbr(key) in results
            ]
            complete = len(ran) == len(members)
            unscored = complete and not all(r.answered for r, _ in ran)
            metric = metrics[name]
            modes = {config.mode_of(benchmark.subject(key)) for key in members}
            versions = {r.version for r, _ in ran}
            group_rows.append(
                Row(
                    name=name,
                    # A pooled row is the dataset's own number (MATH's): it shows the dataset's version.
                    version=versions.pop() if metric not in AVERAGES and complete and len(versions) == 1 else "-",
                    metric=metric,
                    mode=modes.pop() if len(modes) == 1 else "mixed",
                    value=_average(ran, metric) if complete and not unscored else None,
                    minimum=spec.minimum(name),
                    detail=(
                        "no answers: its subjects ran unscored"
                        if unscored
                        else _subjects(len(members))
                        if complete
                        else f"{len(ran)}/{len(members)} subjects ran"
                    ),
                    members=tuple(benchmark.abbr(key) for key in members),
                    unscored=unscored,
                )
            )
    return Summary(tuple(subject_rows), tuple(group_rows), tuple(deselected))


AVERAGES = ("naive_average", "weighted_average")


def _detail(result: SubjectResult | None) -> str:
    if result is None:
        return "not run"
    if not result.answered:
        return f"no answers: {result.total} prediction(s) kept, not scored"
    return result.detail


def _average(ran: Sequence[tuple[SubjectResult, int]], metric: str) -> float:
    """naive_average: the plain mean of accuracies; weighted_average: weighted by each subject's weight; any
    other metric (MATH's accuracy): every member's questions pooled, computed as the members' evaluator does."""
    if metric not in AVERAGES:
        correct, total = sum(r.correct for r, _ in ran), sum(r.total for r, _ in ran)
        return percentage(correct, total, ran[0][0].percent_of_count)
    if metric == "weighted_average":
        return sum(r.accuracy * w for r, w in ran) / sum(w for _, w in ran)
    return sum(r.accuracy for r, _ in ran) / len(ran)


def truncation_note(results: Sequence[SubjectResult], limits: Mapping[str, int]) -> str | None:
    """One line counting the prompts cut to ``max_seq_len - max_out_len`` tokens, per subject; None if none were.

    ``limits`` holds each subject's prompt budget: configs such as GSM8K's fix their own max-out-len (512).
    """
    counts = [(r.abbr, r.truncated) for r in results if r.truncated]
    if not counts:
        return None
    total = sum(count for _, count in counts)
    where = ", ".join(f"{abbr} {count}" for abbr, count in counts)
    budgets = "/".join(str(size) for size in sorted({limits[abbr] for abbr, _ in counts}))
    return (
        f"truncated: {total} prompt(s) longer than {budgets} tokens (max-seq-len - max-out-len) "
        f"were cut on the tokenizer's truncation side, as OpenCompass cuts them: {where}"
    )
