"""Output files in OpenCompass's layout, written atomically so a crash never leaves half a file.

<output-dir>/<run-id>/predictions/<model>/<abbr>.json   written by the process that ran the subject
<output-dir>/<run-id>/results/<model>/<abbr>.json       {"accuracy": ...}
<output-dir>/<run-id>/summary/summary_<run-id>.csv|.txt
<output-dir>/<run-id>/llmeval.json                      every record of the run, for machines
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from pytest_llmeval.options import Settings
from pytest_llmeval.prompts import Prompt
from pytest_llmeval.records import SubjectResult, WorkerStats
from pytest_llmeval.summary import Summary, subject_failure


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
    """OpenCompass's predictions file: gen ``{"0": {"origin_prompt", "prediction", "gold"}, ...}``;
    ppl ``{"0": {"label: A": {"prompt", "PPL"}, ..., "prediction", "gold"}, ...}``."""
    payload: dict[str, dict] = {}
    for position, (outcome, prompt) in enumerate(zip(result.outcomes, prompts, strict=True)):
        if prompt.labels:
            row: dict = {
                f"label: {label}": {"prompt": text, "PPL": score}
                for label, text, score in zip(prompt.labels, prompt.label_texts, outcome.scores, strict=True)
            }
            payload[str(position)] = {**row, "prediction": outcome.prediction, "gold": outcome.gold}
        else:
            payload[str(position)] = {
                "origin_prompt": prompt.text,
                "prediction": outcome.prediction,
                "gold": outcome.gold,
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


def run_record(
    settings: Settings,
    summary: Summary,
    results: Sequence[SubjectResult],
    workers: Sequence[WorkerStats],
    run_id: str,
    errors: Sequence[str] = (),
) -> dict:
    """Everything about a run as plain JSON: settings, table with verdicts, workers, every question's outcome."""
    subject_failures = [line for result in results if (line := subject_failure(result, _minimum(summary, result)))]
    group_failures = summary.group_failures()
    return {
        "run_id": run_id,
        "model": settings.model_abbr,
        "settings": settings.to_json(),
        "passed": not subject_failures and not group_failures and not errors,
        "failures": subject_failures + group_failures,
        "errors": list(errors),
        "unchecked": summary.unchecked_gates(),
        "model_loads": sum(w.model_loads for w in workers),
        "workers": [w.to_json() for w in sorted(workers, key=lambda w: w.worker)],
        "table": [
            {
                "dataset": row.name,
                "version": row.version,
                "metric": row.metric,
                "mode": row.mode,
                "value": row.value,
                "minimum": row.minimum,
                "failed": row.failed,
            }
            for row in summary.rows
        ],
        "subjects": [result.to_json() for result in results],
    }


def _minimum(summary: Summary, result: SubjectResult) -> float | None:
    return next((row.minimum for row in summary.subject_rows if row.name == result.abbr), None)


def write_run_files(
    run_dir: Path,
    settings: Settings,
    summary: Summary,
    results: Mapping[str, SubjectResult],
    workers: Sequence[WorkerStats],
    errors: Sequence[str] = (),
) -> list[Path]:
    """Write per-subject results, both summary files and ``llmeval.json``; return the summary paths."""
    run_id = run_dir.name
    model = settings.model_abbr
    ordered = [results[row.name] for row in summary.subject_rows if row.name in results]
    for result in ordered:
        write_json_atomic(run_dir / "results" / model / f"{result.abbr}.json", {"accuracy": result.accuracy})
    paths = [
        run_dir / "summary" / f"summary_{run_id}.csv",
        run_dir / "summary" / f"summary_{run_id}.txt",
        run_dir / "llmeval.json",
    ]
    write_text_atomic(paths[0], summary_csv(summary, model))
    write_text_atomic(paths[1], summary_txt(summary, model, run_id))
    record = run_record(settings, summary, ordered, workers, run_id, errors)
    write_text_atomic(paths[2], json.dumps(record, indent=2, ensure_ascii=False))
    return paths
