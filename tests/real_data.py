"""Where the shared real data is, and how an end-to-end test points a project at it and reads the run back."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"


def data_link(project: pytest.Pytester) -> str:
    """The project's data dir option, pointing at the shared data; only the configs a test names run."""
    (project.path / "llmeval_sample.toml").unlink(missing_ok=True)
    link = project.path / "shared-data"  # "data" holds the project's sample
    if not link.exists():
        link.symlink_to(DATA, target_is_directory=True)
    return "--llm-data-dir=shared-data"


def summary_rows(run: Path) -> list[list[str]]:
    """The summary CSV's rows: dataset, version, metric, mode."""
    csv = next((run / "summary").glob("summary_*.csv")).read_text(encoding="utf-8").splitlines()
    return [line.split(",")[:4] for line in csv[1:]]


def predictions(run: Path) -> dict[str, dict]:
    """Every predictions file of the run, by item."""
    folder = next((run / "predictions").iterdir())
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}
