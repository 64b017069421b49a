"""Another distribution that installs the import package ``pytest_llmeval``: found before anything runs.

The package index's ``pytest-llmeval`` is an unrelated project with the same import name, and this project
was itself installed under that name before it took ``pytest-llm-regression``. With either beside this one,
two distributions write one folder of modules, and a run would fail in ways that name neither.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata

THIS = "pytest-llm-regression"
OTHER = "pytest-llmeval"
# The summary this project was published with under its former name.
FORMER_SUMMARY = "Model regression testing as pytest items"


@cache  # asked at start-up and again by the header: one look at the installed distributions
def clash() -> str | None:
    """One line naming the other installed distribution and the fix, or None when there is none."""
    try:
        other = metadata.distribution(OTHER)
    except metadata.PackageNotFoundError:
        return None
    summary = other.metadata.get("Summary") or ""
    what = (
        f"{OTHER} {other.version} (this project under its former name)"
        if summary.startswith(FORMER_SUMMARY)
        else f"the unrelated package {OTHER} {other.version}"
    )
    return (
        f"{what} is installed beside {THIS} and writes the same module pytest_llmeval; "
        f"remove it and reinstall this one: pip uninstall -y {OTHER} && pip install --force-reinstall {THIS}"
    )
