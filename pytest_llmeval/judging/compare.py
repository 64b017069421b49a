"""This run against a baseline, question by question: pure functions of the two sides' records.

Only questions both sides answered, of subjects with the same config and version hash, are paired; everything
else is named in a note and left out. Each subject, each group whose every member was compared, and (when the
run spans several datasets) all compared questions together get a paired change and McNemar's exact p-value;
the p-values are then adjusted together with Holm's method, so that many small subjects do not add up to a
false alarm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from pytest_llmeval.datasets.suite import DatasetSpec
from pytest_llmeval.judging.baseline import COMPARED_SETTINGS, Baseline
from pytest_llmeval.judging.stats import PairedChange, holm, paired
from pytest_llmeval.records import SubjectResult
from pytest_llmeval.settings import Settings

OVERALL = "overall"


@dataclass(frozen=True, slots=True)
class RowChange:
    """One compared table row: its value in the baseline and now (over the paired questions), and the test."""

    name: str
    kind: str  # "subject", "group" or "overall"
    before: float
    after: float
    change: PairedChange
    p_adjusted: float = 1.0

    @property
    def delta(self) -> float:
        return self.after - self.before


@dataclass(frozen=True, slots=True)
class Flip:
    """A question whose verdict (or points) changed since the baseline."""

    subject: str
    index: int  # position in this run's predictions file
    key: str
    gold: str
    before: str  # the baseline's extracted answer
    after: str  # this run's extracted answer
    prediction: str  # this run's raw output
    fixed: bool  # wrong in the baseline, right now (more points now)
    points: tuple[int, int, int] | None = None  # (baseline's, now, possible) where the question earns points

    @property
    def direction(self) -> str:
        if self.points is not None:
            return f"{self.points[0]}→{self.points[1]} of {self.points[2]} points"
        return "wrong→right" if self.fixed else "right→wrong"


@dataclass(frozen=True, slots=True)
class Comparison:
    path: str
    model: str  # the baseline's model abbr
    rows: tuple[RowChange, ...]
    flips: tuple[Flip, ...]
    notes: tuple[str, ...]  # what was left out, and why
    tests: int = 0  # distinct paired tests among the rows: the family Holm's correction runs over
    baseline_subjects: tuple[str, ...] = ()  # every subject the baseline holds, compared or not

    def row(self, name: str) -> RowChange | None:
        return next((row for row in self.rows if row.name == name), None)


def compare(
    baseline: Baseline,
    specs: Sequence[DatasetSpec],
    results: Mapping[str, SubjectResult],
    settings: Settings,
) -> Comparison:
    notes = _settings_notes(baseline, settings)
    subject_rows: list[RowChange] = []
    flips: list[Flip] = []
    pairs: dict[str, Pair] = {}
    ran = [spec.config.benchmark.abbr(key) for spec in specs for key in spec.subjects]
    # In table order; a split without answers has nothing to compare.
    for abbr in (abbr for abbr in ran if abbr in results and results[abbr].answered):
        result = results[abbr]
        pair = _pair(baseline, result, notes, flips)
        if pair is not None:
            pairs[abbr] = pair
            subject_rows.append(_row(abbr, "subject", paired(*pair)))
    not_run = sorted(set(baseline.subjects) - set(results))
    if not_run:
        notes.append(f"{len(not_run)} baseline subject(s) did not run here and are not compared ({_few(not_run)})")
    covers = [frozenset([row.name]) for row in subject_rows]  # the subjects whose questions each row pairs
    group_rows = []
    for spec in specs:
        benchmark = spec.config.benchmark
        metrics = {group.name: group.metric for group in benchmark.groups}
        for name, members in spec.groups():
            abbrs = [benchmark.abbr(key) for key in members]
            if not all(abbr in pairs for abbr in abbrs):
                continue  # a group is compared whole or not at all, as its table value is
            rows = [next(r for r in subject_rows if r.name == abbr) for abbr in abbrs]
            weights = [
                benchmark.subject(key).weight
                if metrics[name] == "weighted_average"
                else 1
                if metrics[name] == "naive_average"
                else row.change.out_of  # a pooled row (MATH's): every paired question counts once
                for key, row in zip(members, rows)
            ]
            before = sum(r.before * w for r, w in zip(rows, weights)) / sum(weights)
            after = sum(r.after * w for r, w in zip(rows, weights)) / sum(weights)
            group_rows.append(RowChange(name, "group", before, after, _pooled(pairs, abbrs)))
            covers.append(frozenset(abbrs))
    configs = {results[abbr].config for abbr in pairs}
    if len(configs) > 1:
        group_rows.append(_row(OVERALL, "overall", _pooled(pairs, list(pairs))))
        covers.append(frozenset(pairs))
    rows = subject_rows + group_rows
    # A group of one subject (or a group equal to another) pairs the same questions as that row: one test,
    # counted once in the correction, and every row showing it gets the same adjusted p.
    tests: dict[frozenset[str], float] = {}
    for row, members in zip(rows, covers):
        tests.setdefault(members, row.change.p_value)
    adjusted = dict(zip(tests, holm(list(tests.values()))))
    return Comparison(
        path=str(baseline.path),
        model=baseline.model,
        rows=tuple(replace(row, p_adjusted=adjusted[members]) for row, members in zip(rows, covers)),
        flips=tuple(flips),
        notes=tuple(notes),
        tests=len(tests),
        baseline_subjects=tuple(baseline.subjects),
    )


def subject_change(baseline: Baseline, result: SubjectResult) -> RowChange | None:
    """One subject against the baseline, unadjusted (for the item's own JUnit properties); None if not comparable."""
    pair = _pair(baseline, result, [], [])
    if pair is None:
        return None
    return _row(result.abbr, "subject", paired(*pair))


def _row(name: str, kind: str, change: PairedChange) -> RowChange:
    """A row valued by its paired questions alone: accuracy over the questions both sides answered."""
    before, after = (value / change.out_of * 100 for value in (change.before, change.after))
    return RowChange(name, kind, before, after, change)


# A subject's paired questions: values before and now (verdicts, or points), and the points each is worth (None
# where every question is right or wrong).
Pair = tuple[list[int], list[int], list[int] | None]


def _pair(baseline: Baseline, result: SubjectResult, notes: list[str], flips: list[Flip]) -> Pair | None:
    """This subject's paired verdicts or points (baseline, now), or None with a note saying why it is not compared."""
    old = baseline.subjects.get(result.abbr)
    if old is None:
        notes.append(f"{result.abbr}: not in the baseline (a new subject): not compared")
        return None
    if old.config != result.config:
        notes.append(f"{result.abbr}: config {old.config} in the baseline, {result.config} now: not compared")
        return None
    if old.version != result.version:
        notes.append(
            f"{result.abbr}: version {old.version} in the baseline, {result.version} now (its prompts or data "
            "changed): not compared; re-save the baseline"
        )
        return None
    now = {o.key: o for o in result.outcomes}
    position = {o.key: number for number, o in enumerate(result.outcomes)}
    common = [key for key in now if key in old.answers]
    only_now, only_then = len(now) - len(common), len(old.answers) - len(common)
    if only_now or only_then:
        notes.append(
            f"{result.abbr}: {only_now} question(s) only in this run, {only_then} only in the baseline: "
            f"compared on the {len(common)} in both"
        )
    if not common:
        return None
    partial = result.partial or bool(old.marks)
    marks = [(old.earned(key), now[key].earned) for key in common]
    if partial:
        # Points question by question; the baseline's worth of a question is its own (its gold is the same).
        before, after = [then[0] for then, _ in marks], [points[0] for _, points in marks]
    else:
        before, after = [int(old.answers[key][0]) for key in common], [int(now[key].correct) for key in common]
    for key, was, is_, (then, points) in zip(common, before, after, marks):
        if was != is_:
            outcome = now[key]
            flips.append(
                Flip(
                    subject=result.abbr,
                    index=position[key],
                    key=key,
                    gold=outcome.gold,
                    before=old.answers[key][1],
                    after=outcome.answer,
                    prediction=outcome.prediction,
                    fixed=is_ > was,
                    points=(then[0], points[0], points[1]) if partial else None,
                )
            )
    return before, after, [points[1] for _, points in marks] if partial else None


def _pooled(pairs: Mapping[str, Pair], abbrs: Sequence[str]) -> PairedChange:
    """Every member's paired questions as one test; where some earn points, the others count 1 or 0 of 1."""
    worth = None
    if any(pairs[a][2] is not None for a in abbrs):
        worth = [v for a in abbrs for v in (pairs[a][2] or [1] * len(pairs[a][0]))]
    return paired([v for a in abbrs for v in pairs[a][0]], [v for a in abbrs for v in pairs[a][1]], worth)


def _settings_notes(baseline: Baseline, settings: Settings) -> list[str]:
    now = settings.to_json()
    changed = [
        f"{name} {baseline.settings[name]!r} → {now[name]!r}"
        for name in COMPARED_SETTINGS
        if name in baseline.settings and baseline.settings[name] != now[name]
    ]
    if not changed:
        return []
    return [f"settings differ from the baseline's (answers may change for that reason alone): {', '.join(changed)}"]


def _few(names: Sequence[str], shown: int = 3) -> str:
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")
