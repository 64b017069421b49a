"""Every pass/fail decision of a run, made here and only here.

Items ask ``subject_failure`` as they finish; at the end ``judge`` decides the whole run (thresholds, the
baseline comparison, errors), and the terminal summary, the exit status and every file read that one
``Verdict``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pytest_llmeval.judging.compare import Comparison, RowChange
from pytest_llmeval.judging.summary import AVERAGES, Row, Summary
from pytest_llmeval.names import literal
from pytest_llmeval.records import SubjectResult

DEFAULT_MAX_DROP = 1.0  # points: a smaller drop is not worth a red build even when it is real
DEFAULT_ALPHA = 0.05  # family-wise: the chance that an unchanged model fails the gate at all


def below(value: float, minimum: float) -> str:
    """``value < minimum`` with two decimals, or as many more as it takes to show the two differ."""
    for decimals in range(2, 16):
        shown, limit = f"{value:.{decimals}f}", f"{minimum:.{decimals}f}"
        if shown != limit:
            return f"{shown} < {limit}"
    return f"{value!r} < {minimum!r}"


def threshold_failed(value: float | None, minimum: float | None) -> bool:
    return value is not None and minimum is not None and value < minimum


def subject_failure(result: SubjectResult, minimum: float | None) -> str | None:
    """The one-line reason a subject fails its threshold, or None when it passes (or has no answers to score)."""
    if not result.answered or not threshold_failed(result.accuracy, minimum):
        return None
    assert minimum is not None
    shown = below(result.accuracy, minimum)
    if result.partial:  # a points score: ``GaokaoBench_…: score 40.00 < 50.00 (34/85 points)``
        line = f"{result.abbr}: {result.metric} {shown} ({result.detail})"
    else:
        line = f"{result.abbr}: accuracy {shown} ({result.correct}/{result.total} correct)"
    hint = unanswered(result)
    return f"{line}; {hint}" if hint else line


def unanswered(result: SubjectResult) -> str | None:
    """What the predictions looked like when not one answer could be read from them, or None.

    A model that says nothing usable scores like one that knows nothing; the reader needs to tell the two apart.
    """
    if not result.outcomes or any(o.scores for o in result.outcomes):
        return None  # ppl: every answer is a label the model scored
    sample = next((o.prediction for o in result.outcomes if o.prediction.strip()), None)
    if sample is None:
        # Even then an option-matching evaluator may pick a closest option: the score alone would not tell.
        return (
            "every prediction is empty: the model ended at once or emitted only special tokens "
            "(check --llm-hf-type and the chat template)"
        )
    if any(o.answer for o in result.outcomes):
        return None
    undecodable = " (\ufffd stands for bytes that are not UTF-8)" if "\ufffd" in sample else ""
    return f"no answer found in any prediction, e.g. {literal(sample)}{undecodable}"


def group_failure(row: Row) -> str | None:
    """The one-line reason a group or overall average fails its threshold, or None."""
    if not threshold_failed(row.value, row.minimum):
        return None
    assert row.value is not None and row.minimum is not None
    if row.metric in AVERAGES:
        kind = row.metric.replace("_", " ")
        return f"{row.name}: average {below(row.value, row.minimum)} ({kind} of {row.detail})"
    # A pooled row (MATH's): the dataset's own metric over every question of its members.
    return f"{row.name}: {row.metric} {below(row.value, row.minimum)} (every question of {row.detail})"


def not_run_lines(not_run: Mapping[str, str]) -> list[str]:
    """Items the run selected that did not run, one line per reason: ``mbpp, openai_humaneval: not run — why``."""
    by_reason: dict[str, list[str]] = {}
    for abbr, reason in not_run.items():
        by_reason.setdefault(reason, []).append(abbr)
    # A whole dataset without data (52 ceval-test-* items) stays one readable line: five names and a count.
    return [f"{_few(abbrs)}: not run — {reason}" for reason, abbrs in by_reason.items()]


def skipped_gates(summary: Summary, not_run: Mapping[str, str], baseline_rows: Collection[str] = ()) -> list[str]:
    """Thresholds and baseline rows that an item which did not run leaves unchecked: each fails the run.

    A subject deselected with ``-k``/``-m`` is not among ``not_run``: what it leaves unchecked stays a note.
    """
    lines = [
        f"{row.name}: threshold {row.minimum:.2f} not checked: {row.name} not run — {not_run[row.name]}"
        for row in summary.subject_rows
        if row.minimum is not None and row.name in not_run
    ]
    for row in summary.group_rows:
        absent = [abbr for abbr in row.members if abbr in not_run]
        if row.minimum is not None and row.value is None and absent:
            lines.append(
                f"{row.name}: threshold {row.minimum:.2f} not checked: {_few(absent)} not run — {not_run[absent[0]]}"
            )
    lines += [
        f"{abbr}: baseline row not compared: {abbr} not run — {not_run[abbr]}"
        for abbr in baseline_rows
        if abbr in not_run
    ]
    return lines


def _few(names: Sequence[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def unchecked_gates(summary: Summary) -> list[str]:
    """Group thresholds that could not be judged because not every member subject ran, and thresholds on rows
    whose split has no answers (they ran; there is nothing to score)."""
    return [
        f"{row.name}: threshold {row.minimum:.2f} not checked ({row.detail})"
        for row in summary.rows
        if row.minimum is not None and row.value is None and (row.unscored or bool(row.members))
    ]


def p_text(p: float) -> str:
    return f"{p:.4f}" if p >= 0.0001 else f"{p:.1e}"


def change_line(row: RowChange) -> str:
    """``ceval: 40.39 → 36.10 (-4.29 pts, 31 right→wrong, 9 wrong→right, p=0.0006)``; p is Holm-adjusted."""
    change = row.change
    worse, better = change.words
    return (
        f"{row.name}: {row.before:.2f} → {row.after:.2f} ({row.delta:+.2f} pts, {change.right_to_wrong} {worse}, "
        f"{change.wrong_to_right} {better}, p={p_text(row.p_adjusted)})"
    )


def gate_rule(max_drop: float, alpha: float, tests: int) -> str:
    """The baseline gate in words, as every output states it."""
    return (
        f"a drop of more than {max_drop:.2f} pts with p < {alpha:g} "
        f"(McNemar's exact test, Holm-adjusted over {tests} paired test(s))"
    )


def regressed(row: RowChange, max_drop: float, alpha: float) -> bool:
    """Worse by more than ``max_drop`` points, and by more than chance would explain."""
    return row.delta < -max_drop and row.p_adjusted < alpha


@dataclass(frozen=True, slots=True)
class Verdict:
    subject_failures: tuple[str, ...] = ()  # thresholds; their items failed already
    group_failures: tuple[str, ...] = ()
    regressions: tuple[str, ...] = ()  # against the baseline
    unchecked: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    baseline_unchecked: str | None = None  # a baseline was given but nothing could be compared with it
    failed_rows: frozenset[str] = frozenset()
    # Selected subjects with neither a result nor an error: the run was interrupted or a worker vanished.
    missing: tuple[str, ...] = ()
    not_run: tuple[str, ...] = ()  # selected items that did not run (skipped), one line per reason
    skipped_gates: tuple[str, ...] = ()  # thresholds and baseline rows those items leave unchecked
    allow_skip: bool = False  # --llm-allow-skip: a partial run is accepted, its unchecked gates listed only

    @property
    def unchecked_gates_fail(self) -> bool:
        return bool(self.skipped_gates) and not self.allow_skip

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def passed(self) -> bool:
        """False for any failure, and for a run that did not finish: an unchecked gate is not a passed one."""
        return not (
            self.subject_failures
            or self.group_failures
            or self.regressions
            or self.errors
            or self.baseline_unchecked
            or self.missing
            or self.unchecked_gates_fail
        )

    @property
    def gate_failed(self) -> bool:
        """A threshold, the baseline comparison or an unchecked gate failed (not merely an item that errored)."""
        return bool(self.failures or self.unchecked_gates_fail or self.baseline_unchecked)

    @property
    def failures(self) -> list[str]:
        """The gates that failed: thresholds, then regressions against the baseline."""
        return [*self.subject_failures, *self.group_failures, *self.regressions]

    def lines(self) -> list[str]:
        """Every reason the run did not pass, one line each, in the order reports list them."""
        lines = [*self.failures, *self.errors, *(self.skipped_gates if self.unchecked_gates_fail else ())]
        return lines + [line for line in (self.baseline_unchecked, self.incomplete_line()) if line]

    def incomplete_line(self) -> str | None:
        if not self.missing:
            return None
        shown = ", ".join(self.missing[:5]) + (f" and {len(self.missing) - 5} more" if len(self.missing) > 5 else "")
        return (
            f"run INCOMPLETE: {len(self.missing)} selected subject(s) have no result (the run stopped early, "
            f"was interrupted, or their worker died): {shown}; the finished ones are summarised and kept, and a "
            "re-run with the result cache (the default) skips them"
        )

    @property
    def fails_run(self) -> bool:
        """Failures no item carries, which must still turn the exit status red."""
        return bool(self.group_failures or self.regressions or self.baseline_unchecked or self.unchecked_gates_fail)


def judge(
    summary: Summary,
    results: Mapping[str, SubjectResult],
    errors: Sequence[str] = (),
    comparison: Comparison | None = None,
    max_drop: float = DEFAULT_MAX_DROP,
    alpha: float = DEFAULT_ALPHA,
    missing: Sequence[str] = (),
    not_run: Mapping[str, str] | None = None,
    allow_skip: bool = False,
) -> Verdict:
    """The run's verdict. ``not_run`` maps each selected item that did not run (skipped) to its reason."""
    # In table order, whichever xdist worker reported first.
    position = {row.name: index for index, row in enumerate(summary.subject_rows)}
    not_run = dict(sorted((not_run or {}).items(), key=lambda item: position.get(item[0], 0)))
    subject_failures = [
        line
        for row in summary.subject_rows
        if row.name in results and (line := subject_failure(results[row.name], row.minimum))
    ]
    group_lines = {row.name: line for row in summary.group_rows if (line := group_failure(row))}
    worse = [row for row in comparison.rows if regressed(row, max_drop, alpha)] if comparison else []
    failed_rows = {row.name for row in summary.subject_rows if threshold_failed(row.value, row.minimum)}
    failed_rows |= set(group_lines) | {row.name for row in worse}
    nothing_compared = None
    if comparison is not None and not comparison.rows:
        nothing_compared = f"no subject of this run could be compared with the baseline {comparison.path}"
    return Verdict(
        subject_failures=tuple(subject_failures),
        group_failures=tuple(group_lines.values()),
        regressions=tuple(change_line(row) for row in worse),
        unchecked=tuple(unchecked_gates(summary)),
        errors=tuple(errors),
        baseline_unchecked=nothing_compared,
        failed_rows=frozenset(failed_rows),
        missing=tuple(missing),
        not_run=tuple(not_run_lines(not_run)),
        skipped_gates=tuple(
            skipped_gates(summary, not_run, comparison.baseline_subjects if comparison is not None else ())
        ),
        allow_skip=allow_skip,
    )
