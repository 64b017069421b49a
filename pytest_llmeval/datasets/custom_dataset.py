"""A declared custom dataset (a file, or a folder of files) as a ``Benchmark`` and ``DatasetConfig``.

Built-in benchmarks are tables written in code; a custom one is built from the user's files at
collection, read and checked in full then, so every later stage (plan, runner, summary) treats it
like any other. A single file is one subject named by its abbr; a folder is one dataset whose
subjects are its files (``<folder>-<file abbr>``), with the folder's average as its group row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_llmeval.datasets.base import Benchmark, DatasetConfig, Group, Subject
from pytest_llmeval.datasets.custom import (
    DATA_TYPES,
    INFER_METHODS,
    CustomMeta,
    check_fields,
    check_rows,
    detect,
    infer_config,
    merge,
    questions,
    read_meta_file,
    read_numbered,
    scoring_rule,
)
from pytest_llmeval.datasets.templates import InferConfig
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.names import name_problem
from pytest_llmeval.records import Question

SUFFIXES = (".jsonl", ".csv")
MARKER = "custom"


@dataclass(frozen=True, slots=True)
class CustomSource:
    """A custom dataset as declared: where its files are and what the declaration overrides."""

    path: Path  # absolute: a .jsonl/.csv file or a folder of them
    meta_path: Path | None = None
    data_type: str | None = None
    infer_method: str | None = None
    abbr: str | None = None

    def overrides(self) -> dict[str, str]:
        """Keys that win over the meta file for every file (abbr names a folder's dataset, not its files)."""
        keys = {"data_type": self.data_type, "infer_method": self.infer_method}
        if not self.path.is_dir():
            keys["abbr"] = self.abbr
        return {k: v for k, v in keys.items() if v is not None}

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "meta_path": str(self.meta_path) if self.meta_path else None,
            "data_type": self.data_type,
            "infer_method": self.infer_method,
            "abbr": self.abbr,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CustomSource:
        meta_path = data.get("meta_path")
        return cls(
            path=Path(data["path"]),
            meta_path=Path(meta_path) if meta_path else None,
            data_type=data.get("data_type"),
            infer_method=data.get("infer_method"),
            abbr=data.get("abbr"),
        )


@dataclass(frozen=True, slots=True)
class CustomFile:
    """One file, read and checked: its merged metadata, template and rows."""

    path: Path
    meta: CustomMeta
    infer: InferConfig
    questions: tuple[Question, ...]


def check_choices(where: str, data_type: object, infer_method: object) -> None:
    """The declared data type and inference method, checked before any file is read."""
    if data_type is not None and data_type not in DATA_TYPES:
        raise LlmEvalError(f"{where}: data_type {data_type!r} is not one of {', '.join(DATA_TYPES)}")
    if infer_method is not None and infer_method not in INFER_METHODS:
        raise LlmEvalError(f"{where}: infer_method {infer_method!r} is not one of {', '.join(INFER_METHODS)}")


def read_file(path: Path, meta_path: Path | None, overrides: dict[str, str], where: str) -> CustomFile:
    """Detection < ``<file>.meta.json`` (or the declared meta path) < the declaration, as OpenCompass merges them."""
    rows = read_numbered(path)
    first = rows[0][1]
    columns = tuple(first)
    meta = detect(path, first)
    if meta_path is not None and not meta_path.is_file():
        raise LlmEvalError(f"{where}: meta_path {meta_path} not found")
    found = meta_path or Path(f"{path}.meta.json")
    if found.is_file():
        meta = merge(meta, read_meta_file(found), str(found), columns)
        check_fields(meta, str(found), columns)
    meta = merge(meta, overrides, f"{where}: {path}", columns)
    check_fields(meta, str(path), columns)
    check_rows(meta, rows, path)
    return CustomFile(path, meta, infer_config(meta), questions(meta, rows))


def files_of(folder: Path) -> list[Path]:
    """A folder's data files, by name; anything else beside them (meta files, notes) is not data."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SUFFIXES)
    if not files:
        raise LlmEvalError(f"{folder}: no .jsonl or .csv files in this folder")
    return files


def _check_file_name(abbr: str, where: str) -> None:
    """An abbr names files under the run folder (``predictions/<model>/<abbr>.json``): it may not leave it."""
    problem = name_problem(abbr)
    if problem is not None:
        raise LlmEvalError(
            f"{where}: abbr {abbr!r} cannot name a results file: {problem}; use letters, digits, - and _"
        )


def build(source: CustomSource, where: str) -> DatasetConfig:
    """Read every file of ``source`` and declare it as a dataset config (raises one line on any bad input)."""
    path = source.path
    if not path.exists():
        raise LlmEvalError(f"{where}: {path} not found")
    if path.is_dir():
        if source.meta_path is not None:
            raise LlmEvalError(
                f"{where}: meta_path is for a single file; in a folder each file has its own <file>.meta.json"
            )
        name = source.abbr or path.name
        files = [read_file(p, None, source.overrides(), where) for p in files_of(path)]
        prefix = f"{name}-"
    else:
        files = [read_file(path, source.meta_path, source.overrides(), where)]
        name = files[0].meta.abbr
        prefix = ""
    by_key: dict[str, CustomFile] = {}
    for abbr in (name, *(prefix + file.meta.abbr for file in files)):
        _check_file_name(abbr, where)
    for file in files:
        if file.meta.abbr in by_key:
            raise LlmEvalError(
                f"{where}: {by_key[file.meta.abbr].path.name} and {file.path.name} both have abbr "
                f"{file.meta.abbr!r}; rename one or set abbr in its meta file"
            )
        by_key[file.meta.abbr] = file
    subjects = tuple(
        Subject(
            key=key,
            prompt_name=key,
            groups=(name,) if prefix else (),
            keywords=(file.meta.data_type,),
            scoring=scoring_rule(file.meta),
        )
        for key, file in by_key.items()
    )
    by_name = {file.path.name: file for file in files}
    benchmark = Benchmark(
        family=f"{MARKER}:{name}",
        title=f"custom dataset {path}",
        data_path=str(path),
        subjects=subjects,
        groups=(Group(name, tuple(by_key)),) if prefix else (),
        abbr_prefix=prefix,
        shot_split="test",
        test_split="test",
        question_field="question",
        answer_field="answer",
        file_name=lambda key, split: by_key[key].path.name,
        read=lambda file, split: by_name[file.name].questions,
        marker=MARKER,
        root=path if path.is_dir() else path.parent,
    )
    modes = {file.meta.infer_method for file in files}
    return DatasetConfig(
        name=name,
        hashed_name=name,
        benchmark=benchmark,
        mode=modes.pop() if len(modes) == 1 else "mixed",
        postprocess=None,
        infer=lambda key: by_key[key].infer,
    )


_CACHE: dict[CustomSource, tuple[tuple, DatasetConfig]] = {}


def _signature(source: CustomSource) -> tuple:
    """What the files look like now: a changed file, or a file added to the folder, means reading again."""
    path = source.path
    paths = sorted(path.iterdir()) if path.is_dir() else [path, Path(f"{path}.meta.json")]
    if source.meta_path is not None:
        paths.append(source.meta_path)
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths if p.is_file())


def load(source: CustomSource, where: str) -> DatasetConfig:
    """``build``, reused while the files are unchanged: the xdist controller rebuilds a spec from every report."""
    signature = _signature(source) if source.path.exists() else ()
    cached = _CACHE.get(source)
    if cached is not None and cached[0] == signature:
        return cached[1]
    config = build(source, where)
    _CACHE[source] = (signature, config)
    return config
