"""Ctrl-C and a killed worker mid-run: finished work is kept, the run never looks complete, and a re-run resumes.

Each fault is provoked for real from a ``conftest.py`` in the user's project: a hook sends the signal when a
chosen subject starts, so the moment is the same on every run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SIGNAL_AT = """
import os, signal

def pytest_runtest_call(item):
    if item.name == "{subject}" and not os.environ.get("LLMEVAL_NO_FAULT"):
        {action}
"""


def record(run: Path) -> dict:
    return json.loads((run / "llmeval.json").read_text(encoding="utf-8"))


def finished(run: Path) -> set[str]:
    folder = next((run / "predictions").iterdir())
    return {path.stem for path in folder.glob("*.json")}


def test_ctrl_c_keeps_finished_subjects_and_the_next_run_resumes(project, run_llm, tiny_model, last_run):
    project.makeconftest(SIGNAL_AT.format(subject="ceval-law", action="os.kill(os.getpid(), signal.SIGINT)"))
    result = run_llm(tiny_model, "--llm-cache-dir", "cache")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    run = last_run()
    data = record(run)
    done = finished(run)
    assert done and "ceval-law" not in done
    assert data["passed"] is False and data["complete"] is False
    assert "ceval-law" in data["missing"] and not set(data["missing"]) & done
    assert {s["abbr"] for s in data["subjects"]} == done
    result.stdout.fnmatch_lines(
        [
            "*llmeval summary: model-tiny0 (INCOMPLETE)*",
            f"llmeval: run INCOMPLETE: {len(data['missing'])} selected subject(s) have no result *ceval-law*",
        ]
    )
    # The next run takes what finished from the result cache and evaluates only the rest.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LLMEVAL_NO_FAULT", "1")
        again = run_llm(tiny_model, "--llm-cache-dir", "cache")
    assert again.ret == 0
    again.stdout.fnmatch_lines([f"main: devices *, 50 questions in *, {10 * len(done)} from the result cache"])
    assert record(last_run())["complete"] is True


def test_ctrl_c_under_xdist(project, tiny_model, last_run):
    """A terminal's Ctrl-C reaches the whole process group: controller and workers alike."""
    project.makeconftest(SIGNAL_AT.format(subject="ceval-law", action="os.killpg(os.getpgid(0), signal.SIGINT)"))
    link = project.path / "model"
    link.symlink_to(tiny_model, target_is_directory=True)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--llm-model", "model", "-n", "2"]
    # A session of its own, so that the signal stays inside the run under test.
    done = subprocess.run(
        command, cwd=project.path, capture_output=True, text=True, timeout=300, start_new_session=True, check=False
    )
    assert done.returncode == pytest.ExitCode.INTERRUPTED, done.stdout[-3000:]
    data = record(last_run())
    assert data["passed"] is False and data["complete"] is False and "ceval-law" in data["missing"]
    assert "(INCOMPLETE)" in done.stdout


def test_a_killed_worker_is_an_error_naming_it_and_the_run_does_not_pass(project, run_llm, tiny_model, last_run):
    project.makeconftest(SIGNAL_AT.format(subject="ceval-law", action="os.kill(os.getpid(), signal.SIGKILL)"))
    result = run_llm(tiny_model, "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    data = record(last_run())
    assert data["passed"] is False
    [error] = data["errors"]
    assert error.startswith("ceval-law: ") and "crashed" in error and "gw" in error
    # Every other subject ran on the surviving or restarted worker and is summarised.
    assert {s["abbr"] for s in data["subjects"]} == {
        "ceval-computer_network",
        "ceval-high_school_physics",
        "ceval-marxism",
        "ceval-accountant",
    }
    law = next(row for row in data["table"] if row["dataset"] == "ceval-law")
    assert law["value"] is None
    ceval = next(row for row in data["table"] if row["dataset"] == "ceval")
    assert ceval["value"] is None  # the overall gate is not checked, never passed
    assert "ceval: threshold 80.00 not checked (4/5 subjects ran)" in data["unchecked"]
