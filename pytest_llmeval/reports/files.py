"""Output files in OpenCompass's layout, written atomically so a crash never leaves half a file.

<output-dir>/<run-id>/predictions/<model>/<abbr>.json   written by the process that ran the subject
<output-dir>/<run-id>/results/<model>/<abbr>.json       {"accuracy": ...} (BBH: {"score": ...}; MBPP: counts too)
<output-dir>/<run-id>/summary/summary_<run-id>.csv|.txt
<output-dir>/<run-id>/llmeval.json                      every record of the run, for machines
<output-dir>/<run-id>/flips.json                        with a baseline: every question whose verdict changed
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.judging.compare import Comparison, Flip, RowChange
from pytest_llmeval.judging.programs import mbpp_counts
from pytest_llmeval.judging.summary import Summary
from pytest_llmeval.judging.verdict import Verdict, p_text
from pytest_llmeval.prompts import Prompt
from pytest_llmeval.records import SubjectResult, WorkerStats, shared_prefix_of
from pytest_llmeval.settings import Gate, Settings


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    # mkstemp creates 0600; give the file the permissions a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: object) -> None:
    """JSON as OpenCompass writes it: four-space indent, non-ASCII kept readable."""
    write_text_atomic(path, json.dumps(data, indent=4, ensure_ascii=False))


def predictions_path(run_dir: Path, model_abbr: str, abbr: str) -> Path:
    return run_dir / "predictions" / model_abbr / f"{abbr}.json"


def predictions_payload(result: SubjectResult, prompts: Sequence[Prompt]) -> dict[str, dict]:
    """OpenCompass's predictions file: gen ``{"0": {"origin_prompt", "prediction", "gold"}, ...}`` (plus
    ``"stopped_early": true`` where generation stopped once the answer was fixed, ``"program_outcome"`` for code);
    ppl ``{"0": {"label: A": {"prompt", "PPL"}, ..., "prediction", "gold"}, ...}`` (ll: ``"Loglikelihood"``)."""
    payload: dict[str, dict] = {}
    for position, (outcome, prompt) in enumerate(zip(result.outcomes, prompts, strict=True)):
        if prompt.labels:
            row: dict = {
                f"label: {label}": {"prompt": text, prompt.score_name: score}
                for label, text, score in zip(prompt.labels, prompt.label_texts, outcome.scores, strict=True)
            }
            payload[str(position)] = {**row, "prediction": outcome.prediction, "gold": outcome.gold}
        else:
            payload[str(position)] = {
                "origin_prompt": prompt.text,
                "prediction": outcome.prediction,
                "gold": outcome.gold,
                # Only where generation ended early (its answer was fixed); --llm-full-output never writes it.
                **({"stopped_early": True} if outcome.stopped else {}),
                # Code suites: the program that ran (completion post-processed and assembled) and its outcome.
                **({"program_outcome": outcome.ran} if outcome.ran else {}),
            }
    return payload


HEADER = ("dataset", "version", "metric", "mode")


def summary_csv(summary: Summary, model_abbr: str) -> str:
    """The summary as OpenCompass's CSV: plain comma-joined cells, two decimals."""
    lines = [",".join((*HEADER, model_abbr))]
    lines += [",".join(row.csv_cells()) for row in summary.rows]
    return "\n".join(lines) + "\n"


def aligned_table(rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned text table (header, dashes, rows); numbers right-aligned, text left-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def numeric(cell: str) -> bool:
        # Scores always carry two decimals; versions such as 002837 are text.
        return re.fullmatch(r"-?\d+\.\d+", cell) is not None

    lines = []
    for number, row in enumerate(rows):
        cells = [c.rjust(w) if number and numeric(c) else c.ljust(w) for c, w in zip(row, widths)]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summary_txt(summary: Summary, model_abbr: str, run_id: str) -> str:
    """The summary text file: run id, the aligned table, then the CSV, in OpenCompass's framing."""
    table = [[*HEADER, model_abbr]] + [row.csv_cells() for row in summary.rows]
    divider = "-" * 128 + " THIS IS A DIVIDER " + "-" * 128
    return (
        f"{run_id}\ntabulate format\n{'^' * 128}\n{aligned_table(table)}\n{'$' * 128}\n\n"
        f"{divider}\n\ncsv format\n{'^' * 128}\n{summary_csv(summary, model_abbr)}{'$' * 128}\n"
    )


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the end-of-run files and messages show, decided once."""

    run_dir: Path
    model: str
    settings: Settings
    gate: Gate
    summary: Summary
    verdict: Verdict
    comparison: Comparison | None = None
    flips: tuple[dict, ...] = ()  # ``flip_records``: each flip with its prompt

    @property
    def run_id(self) -> str:
        return self.run_dir.name

    @property
    def status(self) -> str:
        if not self.verdict.complete:
            return "INCOMPLETE"
        return "passed" if self.verdict.passed else "FAILED"


CHANGE_HEADER = ("baseline", "Δ", "right→wrong", "wrong→right", "p (Holm)")


def change_cells(change: RowChange | None) -> list[str]:
    """A row's comparison with the baseline as the five table cells every view shows (blank: not compared)."""
    if change is None:
        return [""] * len(CHANGE_HEADER)
    return [
        f"{change.before:.2f}",
        f"{change.delta:+.2f}",
        str(change.change.right_to_wrong),
        str(change.change.wrong_to_right),
        p_text(change.p_adjusted),
    ]


def run_record(report: Report, results: Sequence[SubjectResult], workers: Sequence[WorkerStats]) -> dict:
    """Everything about a run as plain JSON: settings, table with verdicts, workers, every question's outcome."""
    verdict = report.verdict
    changes = {row.name: row for row in report.comparison.rows} if report.comparison else {}
    return {
        "run_id": report.run_id,
        "model": report.settings.model_abbr,
        "settings": report.settings.to_json(),
        "passed": verdict.passed,
        "complete": verdict.complete,
        "missing": list(verdict.missing),
        "failures": verdict.failures,
        "errors": list(verdict.errors),
        "unchecked": [*verdict.unchecked, *([verdict.baseline_unchecked] if verdict.baseline_unchecked else [])],
        # Selected items that did not run, one line per reason, and the gates they left unchecked (these fail the
        # run unless allow_skip).
        "not_run": list(verdict.not_run),
        "not_checked": list(verdict.skipped_gates),
        "allow_skip": verdict.allow_skip,
        "model_loads": sum(w.model_loads for w in workers),
        "workers": [w.to_json() for w in sorted(workers, key=lambda w: w.worker)],
        "shared_prefix": shared_prefix_of(workers),
        "baseline": _baseline_record(report),
        "table": [
            {
                "dataset": row.name,
                "version": row.version,
                "metric": row.metric,
                "mode": row.mode,
                "value": row.value,
                "minimum": row.minimum,
                **({"points": row.points[0], "possible": row.points[1]} if row.points else {}),
                **({"note": row.note} if row.note else {}),
                **(_change_record(changes[row.name]) if row.name in changes else {}),
                "failed": row.name in verdict.failed_rows,
            }
            for row in report.summary.rows
        ],
        "subjects": [result.to_json() for result in results],
    }


def _change_record(row: RowChange) -> dict:
    change = row.change
    return {
        "baseline": row.before,
        "compared_value": row.after,
        "delta": row.delta,
        "paired": change.total,
        **({"paired_points": change.possible} if change.possible else {}),
        "right_to_wrong": change.right_to_wrong,
        "wrong_to_right": change.wrong_to_right,
        "p": change.p_value,
        "p_holm": row.p_adjusted,
    }


def _baseline_record(report: Report) -> dict | None:
    comparison = report.comparison
    if comparison is None:
        return None
    return {
        "path": comparison.path,
        "model": comparison.model,
        "max_drop": report.gate.max_drop,
        "alpha": report.gate.alpha,
        "test": "McNemar exact, two-sided; Holm-adjusted over the distinct paired tests",
        "tests": comparison.tests,
        "notes": list(comparison.notes),
        "overall": [_change_record(row) | {"dataset": row.name} for row in comparison.rows if row.kind == "overall"],
        "flips": len(comparison.flips),
    }


def flip_records(run_dir: Path, model: str, flips: Sequence[Flip]) -> list[dict]:
    """Each flip with the prompt this run sent, read back from the predictions files the items wrote."""
    prompts: dict[str, dict] = {}
    records = []
    for flip in flips:
        if flip.subject not in prompts:
            try:
                text = predictions_path(run_dir, model, flip.subject).read_text(encoding="utf-8")
                prompts[flip.subject] = json.loads(text)
            except (OSError, ValueError):
                prompts[flip.subject] = {}
        entry = prompts[flip.subject].get(str(flip.index), {})
        # gen: the prompt; ppl: the gold label's prompt, the one the model should have preferred
        prompt = entry.get("origin_prompt") or entry.get(f"label: {flip.gold}", {}).get("prompt", "")
        records.append(
            {
                "subject": flip.subject,
                "index": flip.index,
                "direction": flip.direction,
                "gold": flip.gold,
                "baseline_answer": flip.before,
                "answer": flip.after,
                "prediction": flip.prediction,
                "prompt": prompt,
                "key": flip.key,
                # A question that earns points: (baseline's, now, possible).
                **({"points": list(flip.points)} if flip.points is not None else {}),
            }
        )
    return records


def results_payload(result: SubjectResult) -> dict[str, float | int]:
    """A subject's results file as its evaluator writes it: ``{metric: value}``; MBPP's four counts come first;
    where questions earn points, the points earned and possible follow."""
    config = CONFIGS.get(result.config)  # None for a custom dataset
    counts = mbpp_counts(result.outcomes) if config is not None and config.postprocess == "mbpp" else {}
    points = {"points": result.points, "possible": result.possible} if result.partial else {}
    return {**counts, result.metric: result.accuracy, **points}


def write_run_files(report: Report, results: Mapping[str, SubjectResult], workers: Sequence[WorkerStats]) -> list[Path]:
    """Write per-subject results, both summary files, ``llmeval.json`` and the flips; return their paths."""
    run_dir, run_id, model = report.run_dir, report.run_id, report.settings.model_abbr
    summary = report.summary
    ordered = summary.in_order(results)
    for result in ordered:
        if result.answered:  # a split without answers has no evaluator result, only its predictions
            write_json_atomic(run_dir / "results" / model / f"{result.abbr}.json", results_payload(result))
    paths = [
        run_dir / "summary" / f"summary_{run_id}.csv",
        run_dir / "summary" / f"summary_{run_id}.txt",
        run_dir / "llmeval.json",
    ]
    write_text_atomic(paths[0], summary_csv(summary, model))
    write_text_atomic(paths[1], summary_txt(summary, model, run_id))
    record = run_record(report, ordered, workers)
    write_text_atomic(paths[2], json.dumps(record, indent=2, ensure_ascii=False))
    if report.comparison is not None:
        paths.append(run_dir / "flips.json")
        write_text_atomic(paths[-1], json.dumps(list(report.flips), indent=2, ensure_ascii=False))
    return paths
