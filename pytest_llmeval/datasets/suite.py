"""Suite files: the TOML a repo checks in to say which datasets to run and what accuracy to demand.

```toml
[[dataset]]
config = "ceval_gen"
subjects = ["computer_network", "law"]   # optional; default: all 52

[dataset.thresholds]                     # OpenCompass's 0-100 scale
ceval = 40.0                             # the overall average
"ceval-stem" = 28.0                      # a group average
"ceval-computer_network" = 20.0          # one subject
"ceval-*" = 5.0                          # every subject without its own line

[[dataset]]                              # a custom dataset in OpenCompass's format (a file or a folder)
path = "exams/law_mcq.csv"               # relative to this file; data_type, infer_method, abbr, meta_path optional
thresholds = { law_mcq = 60.0 }
```
"""

from __future__ import annotations

import difflib
import fnmatch
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from pytest_llmeval.datasets import custom_dataset
from pytest_llmeval.datasets.base import DatasetConfig
from pytest_llmeval.datasets.ceval_core import UNAVAILABLE
from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.datasets.custom_dataset import CustomSource
from pytest_llmeval.datasets.named_sets import COLLECTIONS, Collection
from pytest_llmeval.errors import LlmEvalError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SUITE_PATTERN = "llmeval*.toml"
_DATASET_KEYS = {"config", "subjects", "thresholds"}
_CUSTOM_KEYS = {"path", "meta_path", "data_type", "infer_method", "abbr"}


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """One dataset config to run: which subjects, and the minimum accuracy per subject and group."""

    config: DatasetConfig
    subjects: tuple[str, ...]
    thresholds: tuple[tuple[str, float], ...]
    source: CustomSource | None = None  # set for a custom dataset: its config is rebuilt from the files
    # The collection that brought it in (base_core), if only a collection named it: then missing data makes its
    # items not run instead of refusing the run (``plan.plan_available``).
    collection: str = ""

    def groups(self) -> list[tuple[str, tuple[str, ...]]]:
        """Summary group rows for the declared subjects, in OpenCompass's order; empty groups left out."""
        rows = []
        for group in self.config.benchmark.groups:
            declared = tuple(key for key in group.members if key in self.subjects)
            if declared:
                rows.append((group.name, declared))
        return rows

    def minimum(self, name: str) -> float | None:
        """The threshold for a subject abbr or group name, or None when none is set."""
        return dict(self.thresholds).get(name)

    def to_json(self) -> dict:
        data = {"config": self.config.name, "subjects": list(self.subjects), "thresholds": dict(self.thresholds)}
        if self.source is not None:
            data["custom"] = self.source.to_json()
        if self.collection:
            data["collection"] = self.collection
        return data

    @classmethod
    def from_json(cls, data: dict) -> DatasetSpec:
        source = CustomSource.from_json(data["custom"]) if "custom" in data else None
        return cls(
            config=custom_dataset.load(source, data["config"]) if source else CONFIGS[data["config"]],
            subjects=tuple(data["subjects"]),
            thresholds=tuple(data["thresholds"].items()),
            source=source,
            collection=data.get("collection", ""),
        )


def make_spec(
    where: str,
    config_name: object,
    subjects: object = None,
    thresholds: object = None,
    source: CustomSource | None = None,
) -> DatasetSpec:
    """Validate one dataset entry and expand threshold patterns to exact subject names."""
    if source is not None:
        return _spec_for(where, custom_dataset.load(source, where), subjects, thresholds, source)
    if config_name is None:
        raise LlmEvalError(f'{where}: missing config = "ceval_gen" (the dataset config to run)')
    if isinstance(config_name, str) and config_name in UNAVAILABLE:
        raise LlmEvalError(f"{where}: {UNAVAILABLE[config_name]}")
    if not isinstance(config_name, str) or config_name not in CONFIGS:
        # Short names, and the collections; full hashed names work too.
        names = sorted({config.name for config in CONFIGS.values()} | COLLECTIONS.keys())
        close = difflib.get_close_matches(str(config_name), names, n=2)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise LlmEvalError(f"{where}: unknown dataset config {config_name!r}; {hint}known: {', '.join(names)}")
    return _spec_for(where, CONFIGS[config_name], subjects, thresholds, None)


def collection_specs(where: str, collection: Collection, subjects: object, thresholds: object) -> list[DatasetSpec]:
    """``config = "base_core"`` in a suite: one spec per member config, each given the thresholds that name its rows."""
    if subjects is not None:
        raise LlmEvalError(
            f"{where}: subjects cannot be listed for the collection {collection.name}; "
            "declare the member config whose subjects you want to narrow on its own"
        )
    specs = [replace(make_spec(where, name), collection=collection.name) for name in collection.configs]
    if thresholds is None:
        return specs
    if not isinstance(thresholds, dict):
        raise LlmEvalError(f"{where}: thresholds must be a table of name = minimum accuracy")
    claimed: set[str] = set()
    out = []
    for spec in specs:
        subject_names = [spec.config.benchmark.abbr(key) for key in spec.subjects]
        names = {*subject_names, *(name for name, _ in spec.groups())}
        # A pattern goes to every member with a subject it matches; a name to the member that has that row.
        own = {
            name: value
            for name, value in thresholds.items()
            if name in names or (any(c in name for c in "*?[") and fnmatch.filter(subject_names, name))
        }
        claimed |= own.keys()
        out.append(replace(spec, thresholds=tuple(_expand_thresholds(where, spec, own).items())))
    unclaimed = [name for name in thresholds if name not in claimed]
    if unclaimed:
        raise LlmEvalError(
            f"{where}: threshold {unclaimed[0]!r} names no row of {collection.name} "
            f"(its configs: {', '.join(collection.configs)}); `pytest --llm-list {collection.name}` lists them"
        )
    return out


def _spec_for(
    where: str, config: DatasetConfig, subjects: object, thresholds: object, source: CustomSource | None
) -> DatasetSpec:
    table = config.benchmark.subjects
    if subjects is None:
        keys = tuple(s.key for s in table)
    else:
        if not isinstance(subjects, list) or not all(isinstance(s, str) for s in subjects) or not subjects:
            raise LlmEvalError(f"{where}: subjects must be a non-empty list of subject names")
        known = {s.key for s in table}
        unknown = [s for s in subjects if s not in known]
        if unknown:
            close = difflib.get_close_matches(unknown[0], sorted(known), n=3)
            raise LlmEvalError(
                f"{where}: unknown subject {unknown[0]!r} for {config.name}; "
                + (f"did you mean {', '.join(close)}?" if close else f"subjects are keys such as {table[0].key}")
            )
        # Table order, not file order, so every run prints the same table.
        keys = tuple(s.key for s in table if s.key in subjects)
    spec = DatasetSpec(config, keys, (), source)
    return DatasetSpec(config, keys, tuple(_expand_thresholds(where, spec, thresholds or {}).items()), source)


def _expand_thresholds(where: str, spec: DatasetSpec, raw: object) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise LlmEvalError(f"{where}: thresholds must be a table of name = minimum accuracy")
    subject_names = [spec.config.benchmark.abbr(key) for key in spec.subjects]
    group_names = [name for name, _ in spec.groups()]
    exact: dict[str, float] = {}
    patterns: dict[str, float] = {}
    for name, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise LlmEvalError(f"{where}: threshold {name} = {value!r} is not a number (accuracy in percent)")
        if not 0 <= value <= 100:
            raise LlmEvalError(
                f"{where}: threshold {name} = {value!r} is outside 0-100 (accuracy in percent, as OpenCompass prints it)"
            )
        # A name first: an abbr may itself hold [ ] (a custom dataset's), which a pattern would read as a class.
        if name in subject_names or name in group_names:
            exact[name] = float(value)
        elif any(char in name for char in "*?["):
            if not fnmatch.filter(subject_names, name):
                raise LlmEvalError(f"{where}: threshold pattern {name!r} matches no subject of {spec.config.name}")
            patterns[name] = float(value)
        else:
            raise LlmEvalError(
                f"{where}: threshold {name!r} names no subject or group of this dataset "
                f"(subjects look like {subject_names[0]}; groups: {', '.join(group_names) or 'none'})"
            )
    expanded: dict[str, float] = {}
    for subject in subject_names:
        if subject in exact:
            continue
        for pattern, value in patterns.items():
            if fnmatch.fnmatchcase(subject, pattern):
                expanded[subject] = value  # the last matching pattern in the file wins
    expanded.update(exact)
    return expanded


def custom_source(where: str, entry: dict, base: Path) -> CustomSource:
    """A ``path = …`` entry: a custom dataset in OpenCompass's format, paths relative to the suite file."""
    if "config" in entry:
        raise LlmEvalError(f"{where}: give config (a named dataset) or path (your own dataset), not both")
    custom_keys = {k: entry.get(k) for k in _CUSTOM_KEYS}
    for key, value in custom_keys.items():
        if value is not None and not isinstance(value, str):
            raise LlmEvalError(f"{where}: {key} must be a string, got {value!r}")
    custom_dataset.check_choices(where, entry.get("data_type"), entry.get("infer_method"))
    meta_path = entry.get("meta_path")
    return CustomSource(
        path=(base / entry["path"]).resolve(),
        meta_path=(base / meta_path).resolve() if meta_path else None,
        data_type=entry.get("data_type"),
        infer_method=entry.get("infer_method"),
        abbr=entry.get("abbr"),
    )


def parse_suite(path: Path) -> tuple[DatasetSpec, ...]:
    """Read a suite file into dataset specs, naming the file and the bad entry on any error."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise LlmEvalError(f"{path}: not valid TOML ({error})") from None
    entries = data.get("dataset")
    if not isinstance(entries, list) or not entries:
        raise LlmEvalError(f'{path}: no [[dataset]] entries (add one with config = "ceval_gen" or path = "exam.csv")')
    specs = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path} [[dataset]] #{number}"
        if not isinstance(entry, dict):
            raise LlmEvalError(f'{where}: expected a table with config = "ceval_gen", got {entry!r}')
        extra = sorted(set(entry) - _DATASET_KEYS - _CUSTOM_KEYS)
        if extra:
            keys = ", ".join(sorted(_DATASET_KEYS | _CUSTOM_KEYS))
            raise LlmEvalError(f"{where}: unknown key {extra[0]!r}; keys are {keys}")
        source = custom_source(where, entry, path.parent) if "path" in entry else None
        name = entry.get("config")
        collection = COLLECTIONS.get(name) if source is None and isinstance(name, str) else None
        if collection is not None:
            specs += collection_specs(where, collection, entry.get("subjects"), entry.get("thresholds"))
            continue
        specs.append(make_spec(where, entry.get("config"), entry.get("subjects"), entry.get("thresholds"), source))
    names = [spec.config.family for spec in specs]
    if len(set(names)) != len(names):
        raise LlmEvalError(f"{path}: a dataset family is declared twice; declare each once")
    return tuple(specs)
