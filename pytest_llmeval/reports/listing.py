"""``pytest --llm-list [PATTERN ...]``: the model presets and dataset configs that match, like OpenCompass's
``tools/list_configs.py``; pure functions from the tables to text."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path

from pytest_llmeval.backends.presets import PRESETS
from pytest_llmeval.datasets.base import DatasetConfig
from pytest_llmeval.datasets.ceval_core import UNAVAILABLE
from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.datasets.named_sets import COLLECTIONS
from pytest_llmeval.datasets.suite import SUITE_PATTERN, DatasetSpec, parse_suite
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.reports.files import aligned_table


def _matches(name: str, patterns: Sequence[str]) -> bool:
    """A pattern matches as a substring (``ceval``) or as a glob (``*_ppl``); no pattern matches everything."""
    return not patterns or any(p in name or fnmatch.fnmatchcase(name, p) for p in patterns)


def model_rows(patterns: Sequence[str]) -> list[list[str]]:
    return [[p.name, p.description] for p in PRESETS.values() if _matches(p.name, patterns)]


def _config_row(config: DatasetConfig, data_dir: Path) -> list[str]:
    benchmark = config.benchmark
    folder = data_dir / config.data_path
    count = len(benchmark.subjects)
    splits = " and ".join(dict.fromkeys(benchmark.split_of(s) for s in benchmark.subjects))
    plural = "s" if " and " in splits else ""
    what = f"{benchmark.title} {config.mode}, {count} subject{'s' if count != 1 else ''}, {splits} split{plural}"
    found = sum(benchmark.evaluated_path(folder, s).is_file() for s in benchmark.subjects)
    present = "yes" if found == count else f"{found}/{count} subjects (OpenCompassData-core-20240207.zip)"
    if benchmark.missing_hint and not folder.is_dir():
        present = "no (not in the public archive; running it says what to do)"
    return [config.name, config.hashed_name, what, str(folder), present]


def dataset_rows(patterns: Sequence[str], data_dir: Path) -> list[list[str]]:
    rows = [
        _config_row(config, data_dir)
        for config in dict.fromkeys(CONFIGS.values())  # each config once, in declaration order
        if _matches(config.name, patterns) or _matches(config.hashed_name, patterns)
    ]
    # Names OpenCompass lists whose data cannot be had offline: listed, and refused with their reason when run.
    rows += [
        [name, name, "cannot run offline (run it to see why)", "-", "no"]
        for name in UNAVAILABLE
        if _matches(name, patterns)
    ]
    return rows


def collection_blocks(patterns: Sequence[str], data_dir: Path) -> list[str]:
    """Each matching collection: where it comes from, then its member configs in order, as the config table shows them."""
    blocks = []
    for collection in COLLECTIONS.values():
        if not _matches(collection.name, patterns):
            continue
        rows = [_config_row(CONFIGS[name], data_dir) for name in collection.configs]
        header = ["config", "OpenCompass name", "what", "data", "data present"]
        title = f"{collection.name}: the {len(collection.configs)} configs of OpenCompass's {collection.source}, in its order"
        note = f"\nnote: {collection.note}" if collection.substitutes else ""
        blocks.append(f"{title}\n{aligned_table([header, *rows])}{note}")
    return blocks


_SKIPPED_DIRS = {"node_modules", "outputs", "__pycache__", "venv", "site-packages"}


def find_suites(roots: Sequence[Path]) -> list[Path]:
    """The suite files pytest would collect under ``roots`` (hidden folders, virtualenvs and outputs skipped)."""
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found += [root] if fnmatch.fnmatch(root.name, SUITE_PATTERN) else []
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
            found += [Path(folder) / name for name in sorted(files) if fnmatch.fnmatch(name, SUITE_PATTERN)]
    return list(dict.fromkeys(found))


def custom_rows(
    patterns: Sequence[str], suites: Sequence[Path], extra: Sequence[DatasetSpec] = ()
) -> tuple[list[list[str]], list[str]]:
    """One row per custom dataset that the suites (or ``--llm-custom-dataset``) declare, and each suite's error."""
    rows, problems = [], []
    declared: list[tuple[str, DatasetSpec]] = [("--llm-custom-dataset", spec) for spec in extra]
    for suite in suites:
        try:
            declared += [(str(suite), spec) for spec in parse_suite(suite) if spec.source is not None]
        except LlmEvalError as error:
            problems.append(str(error))
    for where, spec in declared:
        config = spec.config
        if not _matches(config.name, patterns):
            continue
        benchmark = config.benchmark
        kinds = sorted({f"{s.keywords[0]} {config.mode_of(s)}" for s in benchmark.subjects})
        size = sum(
            len(benchmark.read(benchmark.path(benchmark.root, s.key, "test"), "test")) for s in benchmark.subjects
        )  # type: ignore[arg-type]
        files = len(benchmark.subjects)
        what = f"{' + '.join(kinds)}, {files} file{'s' if files > 1 else ''}, {size} rows"
        rows.append([config.name, where, what, benchmark.data_path, "yes"])
    return rows, problems


def render_listing(
    patterns: Sequence[str], data_dir: Path, suites: Sequence[Path] = (), extra: Sequence[DatasetSpec] = ()
) -> str:
    models = model_rows(patterns)
    datasets = dataset_rows(patterns, data_dir)
    customs, problems = custom_rows(patterns, suites, extra)
    collections = collection_blocks(patterns, data_dir)
    parts = []
    if models:
        parts.append("Model presets (--llm-preset NAME)\n" + aligned_table([["name", "what"], *models]))
    if datasets:
        header = ["config", "OpenCompass name", "what", "data", "data present"]
        parts.append(
            "Dataset configs (--llm-datasets NAME, or config = NAME in a suite)\n" + aligned_table([header, *datasets])
        )
    if collections:
        parts.append(
            "Collections (--llm-datasets NAME, or config = NAME in a suite): each runs every config below\n"
            + "\n\n".join(collections)
        )
    if customs:
        header = ["dataset", "declared in", "what", "data", "data present"]
        parts.append(
            "Your own datasets (path = … in a suite, or --llm-custom-dataset)\n" + aligned_table([header, *customs])
        )
    notes = "".join(f"suite not read: {problem}\n" for problem in problems)
    if not parts:
        names = sorted({*PRESETS, *COLLECTIONS, *(c.name for c in CONFIGS.values())})
        return f"nothing matches {' '.join(patterns)}; names: {', '.join(names)}\n" + notes
    return "\n\n".join(parts) + "\n" + ("\n" + notes if notes else "")
