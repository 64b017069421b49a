"""The package's layout is its pipeline: each stage a folder, and no module imports from a later stage.

A newcomer who lists ``pytest_llmeval/`` sees the stages a run goes through; this test keeps the listing honest.
Layers, lowest first: a module may import from its own layer and the ones before it, never from a later one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pytest_llmeval"
LAYERS = (
    ("errors", "names", "records", "settings", "faults"),  # shared records and rules
    ("datasets",),
    ("prompts",),
    ("backends",),
    ("judging",),
    ("runner",),
    ("reports",),
    ("collection", "plugin"),  # plugin.py: the entry point, re-exporting collection/plugin.py
    ("demo", "tiny", "tiny_base"),  # tools around the pipeline: the demo and the tiny model builders
)
STAGES = ("datasets", "backends", "judging", "reports", "collection")


def layer_of(top: str) -> int:
    return next(number for number, names in enumerate(LAYERS) if top in names)


def modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "sample" not in path.parts)


def top_name(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported(path: Path) -> set[str]:
    """The first component under ``pytest_llmeval`` of everything the module imports from the package."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "pytest_llmeval":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names if alias.name != "__version__")
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; name the module from pytest_llmeval")
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("pytest_llmeval."))
    return found


def test_every_module_belongs_to_a_layer():
    tops = {top_name(path) for path in modules()} - {"__init__"}
    assert tops <= {name for names in LAYERS for name in names}, tops


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_from_a_later_stage(path):
    own = top_name(path)
    if own == "__init__":
        return
    later = sorted(name for name in imported(path) if layer_of(name) > layer_of(own))
    assert not later, f"{path.relative_to(PACKAGE)} imports from later stages: {later}"


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_says_what_it_owns(stage):
    docstring = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8")))
    assert docstring and "may import" in docstring, f"{stage}/__init__.py needs a docstring saying what it may import"
