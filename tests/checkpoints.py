"""The test checkpoints, each built once: a content-addressed store shared by every test file, xdist worker and run.

A checkpoint's folder is named by a hash of what makes it:

- the builder's qualified name and the source of its file and of every project module that file imports, directly
  or not (edit the training code and the checkpoints it made are stale; edit a report and none is);
- its arguments, a folder or file by the names, sizes and modification times of what it holds, a checkpoint
  of the store by its own name;
- transformers' major version, for builders whose output differs between the two lines CI runs
  (``per_line=True``); the others are saved in a form both lines load, and the second line reuses them.

The store lives in pytest's cache folder (``.pytest_cache/d/llmeval-checkpoints``), so a contributor's second run
builds nothing; ``-p no:cacheprovider`` moves it to the session's temporary folder, shared by its xdist workers.
``LLMEVAL_TEST_CHECKPOINTS`` names a folder of your own. A build holds a file lock, so two workers that need one
checkpoint build it once, and happens in a folder beside its final name that is renamed into place when complete:
a build killed half-way leaves nothing that a later run would take for a checkpoint.
"""

from __future__ import annotations

import ast
import fcntl
import hashlib
import inspect
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The folders whose modules are the project's own: a checkpoint's key covers their sources, no one else's.
OWN = (ROOT / "pytest_llmeval", ROOT / "tests", ROOT / "examples")
ENV = "LLMEVAL_TEST_CHECKPOINTS"
DONE = ".complete"


def store_folder(config: pytest.Config, basetemp: Path) -> Path:
    """Where checkpoints are kept: ``$LLMEVAL_TEST_CHECKPOINTS``, else pytest's cache, else the session's tmp."""
    chosen = os.environ.get(ENV)
    if chosen:
        folder = Path(chosen)
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    if getattr(config, "cache", None) is not None:
        return config.cache.mkdir("llmeval-checkpoints")
    # An xdist worker's basetemp is popen-gwN inside the session's: the store goes one level up, shared.
    shared = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
    folder = shared / "llmeval-checkpoints"
    folder.mkdir(exist_ok=True)
    return folder


@dataclass(frozen=True)
class Store:
    """The folder of built checkpoints, one ``<name>-<key>`` folder each; stale keys stay until
    ``pytest --cache-clear`` (a few MB each)."""

    root: Path

    def get(
        self, name: str, builder: Callable[..., Path], *args: object, per_line: bool = False, **kwargs: object
    ) -> Path:
        """The checkpoint ``builder(out_dir, *args, **kwargs)`` writes, built now if the store lacks it.

        The result is ``<store>/<name>-<hash>/<name>``: the folder a run names the model after is the fixture's
        short name (the end-to-end tests link it into a user's repo as ``model-<name>``).
        """
        key = checkpoint_key(builder, args, kwargs, self.root, per_line)
        final = self.root / f"{name}-{key}"
        model = final / name
        if (final / DONE).is_file() and model.is_dir():
            return model
        with _locked(self.root / f".{final.name}.lock"):
            if (final / DONE).is_file() and model.is_dir():  # another worker built it while this one waited
                return model
            partial = self.root / f".{final.name}.partial"
            shutil.rmtree(partial, ignore_errors=True)  # a build that was killed half-way
            shutil.rmtree(final, ignore_errors=True)
            partial.mkdir()
            builder(partial / name, *args, **kwargs)
            (partial / DONE).write_text(f"{builder.__module__}.{builder.__qualname__}\n", encoding="utf-8")
            os.rename(partial, final)
        return model


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def checkpoint_key(builder: Callable[..., Path], args: tuple, kwargs: dict, store: Path, per_line: bool) -> str:
    digest = hashlib.sha256()
    digest.update(f"{builder.__module__}.{builder.__qualname__}\n".encode())
    source = inspect.getsourcefile(builder)
    assert source is not None, builder
    for path in sorted(module_closure(Path(source).resolve())):
        digest.update(f"{path.relative_to(ROOT)}\n".encode())
        digest.update(path.read_bytes())
    for value in args:
        digest.update(_fingerprint(value, store).encode())
    for name, value in sorted(kwargs.items()):
        digest.update(f"{name}=".encode() + _fingerprint(value, store).encode())
    if per_line:
        from importlib.metadata import version

        digest.update(f"transformers {version('transformers').split('.')[0]}".encode())
    return digest.hexdigest()[:16]


def _fingerprint(value: object, store: Path) -> str:
    """A stable text for an argument: paths by what they hold, everything else by its repr."""
    if isinstance(value, Path):
        path = value.resolve()
        if path.is_relative_to(store.resolve()):
            return f"checkpoint {path.relative_to(store.resolve())}\n"  # its name is its content's hash
        if path.is_file():
            stat = path.stat()
            return f"file {path} {stat.st_size} {stat.st_mtime_ns}\n"
        if path.is_dir():
            return f"folder {path}\n" + "".join(_listing(path))
        return f"missing {path}\n"
    return f"{value!r}\n"


def _listing(folder: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            stat = path.stat()
            yield f"  {path.relative_to(folder)} {stat.st_size} {stat.st_mtime_ns}\n"


@cache
def module_closure(path: Path) -> frozenset[Path]:
    """``path`` and every project source file it imports, directly or through others."""
    seen: set[Path] = set()
    pending = [path]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        pending.extend(_imported_files(current))
    return frozenset(seen)


@cache
def _imported_files(path: Path) -> tuple[Path, ...]:
    package = _package_of(path)
    found: list[Path] = []
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            # "from package import name" may name a submodule: try both.
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            file = _own_file(name)
            if file is not None:
                found.append(file)
    return tuple(found)


def _package_of(path: Path) -> str:
    if not (path.parent / "__init__.py").exists():
        return ""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1])


def _own_file(name: str) -> Path | None:
    top = name.split(".")[0]
    # Only the project's own names are looked up: find_spec imports a dotted name's parents.
    if top != "pytest_llmeval" and not any((folder / f"{top}.py").exists() for folder in OWN[1:]):
        return None
    try:
        spec = util.find_spec(name)
    except (ImportError, ValueError, AttributeError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    file = Path(spec.origin).resolve()
    return file if any(file.is_relative_to(folder) for folder in OWN) else None
