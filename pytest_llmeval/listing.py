"""``pytest --llm-list [PATTERN ...]``: the model presets and dataset configs that match, like OpenCompass's
``tools/list_configs.py``; pure functions from the tables to text."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from pathlib import Path

from pytest_llmeval.configs import CONFIGS
from pytest_llmeval.presets import PRESETS
from pytest_llmeval.report import aligned_table


def _matches(name: str, patterns: Sequence[str]) -> bool:
    """A pattern matches as a substring (``ceval``) or as a glob (``*_ppl``); no pattern matches everything."""
    return not patterns or any(p in name or fnmatch.fnmatchcase(name, p) for p in patterns)


def model_rows(patterns: Sequence[str]) -> list[list[str]]:
    return [[p.name, p.description] for p in PRESETS.values() if _matches(p.name, patterns)]


def dataset_rows(patterns: Sequence[str], data_dir: Path) -> list[list[str]]:
    rows = []
    for config in dict.fromkeys(CONFIGS.values()):  # each config once, in declaration order
        if not (_matches(config.name, patterns) or _matches(config.hashed_name, patterns)):
            continue
        benchmark = config.benchmark
        folder = data_dir / config.data_path
        what = f"{benchmark.title} {config.mode}, {len(benchmark.subjects)} subjects, {benchmark.test_split} split"
        found = sum(benchmark.path(folder, s.key, benchmark.test_split).is_file() for s in benchmark.subjects)
        total = len(benchmark.subjects)
        present = "yes" if found == total else f"{found}/{total} subjects (OpenCompassData-core-20240207.zip)"
        rows.append([config.name, config.hashed_name, what, str(folder), present])
    return rows


def render_listing(patterns: Sequence[str], data_dir: Path) -> str:
    models = model_rows(patterns)
    datasets = dataset_rows(patterns, data_dir)
    parts = []
    if models:
        parts.append("Model presets (--llm-preset NAME)\n" + aligned_table([["name", "what"], *models]))
    if datasets:
        header = ["config", "OpenCompass name", "what", "data", "data present"]
        parts.append(
            "Dataset configs (--llm-datasets NAME, or config = NAME in a suite)\n" + aligned_table([header, *datasets])
        )
    if not parts:
        names = sorted({*PRESETS, *(c.name for c in CONFIGS.values())})
        return f"nothing matches {' '.join(patterns)}; names: {', '.join(names)}\n"
    return "\n\n".join(parts) + "\n"
