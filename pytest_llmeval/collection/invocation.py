"""The seed command's ``--llm-model PATH`` (a space, not ``=``), made to honour the repo's pytest settings.

pytest picks its rootdir and config file before any plugin has registered its options, so in
``pytest --llm-model /root/models/x -k ceval`` it takes ``/root/models/x`` for a test path: the
rootdir becomes a parent of the model folder and the repo's ``pyproject.toml`` (``llm_*``
settings, ``addopts``, ``testpaths``, markers) is never read. Nothing in a plugin runs early
enough to change that decision in place, and patching pytest's half-built config would miss
what the right config file says about plugins, paths and warnings. So when the misreading
changed which config file pytest uses, the process starts again as
``--llm-model=/root/models/x``, before any conftest, capture or test has run. Where a restart is
not possible (pytest called in-process, not on POSIX), the run stops with one line saying how
to write the option instead. Never silently.
"""

from __future__ import annotations

import inspect
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

RESTARTED = "PYTEST_LLMEVAL_RESTARTED"  # set for the restarted process: the rewrite it was started with


def join_values(args: Sequence[str], options: frozenset[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """``--opt VALUE`` -> ``--opt=VALUE`` for each of ``options``; also returns the (option, value) pairs joined."""
    joined: list[str] = []
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(args):
        token = args[position]
        if token == "--":  # everything after it is positional, for pytest as for argparse
            joined += args[position:]
            break
        following = args[position + 1] if position + 1 < len(args) else None
        if token in options and following is not None and not following.startswith("-"):
            joined.append(f"{token}={following}")
            pairs.append((token, following))
            position += 2
            continue
        joined.append(token)
        position += 1
    return joined, pairs


def _setup_for(early_config: pytest.Config, paths: Sequence[str]) -> tuple[Path, Path | None] | None:
    """The (rootdir, config file) pytest derives from these test paths, or None if pytest's helper changed shape.

    ``determine_setup`` is pytest's own rule; its keyword arguments differ between 8.x and 9.x, so
    only those it accepts are passed.
    """
    try:
        from _pytest.config.findpaths import determine_setup
    except ImportError:
        return None
    namespace = early_config.known_args_namespace
    offered = {
        "inifile": namespace.inifilename,
        "override_ini": getattr(namespace, "override_ini", None),
        "args": list(paths),
        "rootdir_cmd_arg": namespace.rootdir or None,
        "invocation_dir": early_config.invocation_params.dir,
    }
    try:
        accepted = inspect.signature(determine_setup).parameters
        found = determine_setup(**{key: value for key, value in offered.items() if key in accepted})
    except Exception:  # noqa: BLE001 - an unknown pytest: assume the worst and repair
        return None
    return found[0], found[1]


def _misread(early_config: pytest.Config, pairs: Sequence[tuple[str, str]]) -> bool:
    """Whether a value read as a test path moved pytest's rootdir or config file."""
    if not any(Path(early_config.invocation_params.dir, value).exists() for _, value in pairs):
        return False  # pytest ignores test paths that do not exist when it looks for its config
    intended = _setup_for(early_config, early_config.known_args_namespace.file_or_dir)
    return intended is None or intended != (early_config.rootpath, early_config.inipath)


def _restart_command(invocation: Sequence[str], joined: Sequence[str]) -> list[str] | None:
    """This interpreter's own command line with pytest's arguments replaced, or None if they cannot be found."""
    original = list(getattr(sys, "orig_argv", []))
    count = len(invocation)
    if os.name != "posix" or not count or original[-count:] != list(invocation):
        return None  # pytest.main() from other code, or a platform without a true exec
    return [sys.executable, *original[1:-count], *joined]


def refusal(option: str, value: str, where: str = "") -> str:
    """The one line for when no restart is possible: what went wrong and how to write the option instead."""
    return (
        f"{option} {value}: pytest took {value} for a test path while choosing its rootdir and config file "
        f"(before plugins load), so this repo's pytest settings would be ignored; write {option}={value}{where}"
    )


def repair_or_refuse(early_config: pytest.Config, value_options: frozenset[str]) -> str | None:
    """Restart the process when ``--llm-x VALUE`` moved pytest's config file; else raise one usage line.

    Returns the note to show in the header of a restarted run, or None.
    """
    note = os.environ.pop(RESTARTED, None)
    invocation = early_config.invocation_params.args
    joined, pairs = join_values(invocation, value_options)
    env_addopts = shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
    joined_env, env_pairs = join_values(env_addopts, value_options)
    if not (pairs or env_pairs) or not _misread(early_config, pairs + env_pairs):
        return note
    command = _restart_command(invocation, joined)
    if note is not None or command is None:
        option, value = (pairs or env_pairs)[0]
        raise pytest.UsageError(refusal(option, value, "" if pairs else " in PYTEST_ADDOPTS"))
    rewritten = ", ".join(f"{option} {value} as {option}={value}" for option, value in pairs + env_pairs)
    os.environ[RESTARTED] = f"restarted reading {rewritten}: pytest picks its config file before plugins load"
    if env_pairs:
        os.environ["PYTEST_ADDOPTS"] = shlex.join(joined_env)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.execv(command[0], command)
    return None  # pragma: no cover - execv does not return
