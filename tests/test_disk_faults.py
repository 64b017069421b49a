"""A full disk while results are written (simulated: ``os.replace`` fails with ENOSPC for chosen files).

One line names the fix, no half-written file is left, and the terminal summary is still printed.
"""

from __future__ import annotations

import json

import pytest

FULL_DISK = """
import errno, os

_replace = os.replace

def full(src, dst, *args, **kwargs):
    if "{part}" in str(dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))
    return _replace(src, dst, *args, **kwargs)

os.replace = full
"""


def leftovers(project: pytest.Pytester) -> list[str]:
    return [p.name for p in (project.path / "outputs").rglob("*") if p.name.endswith(".tmp")]


def test_full_disk_at_the_summary_files(project, run_llm, tiny_model, last_run):
    project.makeconftest(FULL_DISK.format(part="/summary/"))
    result = run_llm(tiny_model)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the subjects passed; the run's record could not be kept
    run = last_run()
    result.stdout.fnmatch_lines(
        [
            "ceval * 100.00 * 80.00 * ok",  # the table is printed all the same
            (
                f"llmeval: cannot write the run's result files in {run} (*No space left on device*); free space or "
                "choose a writable --llm-output-dir: the table above is this run's only record"
            ),
        ]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert leftovers(project) == [] and not (run / "summary").exists() or not any((run / "summary").iterdir())
    assert len(list((run / "predictions").rglob("*.json"))) == 5  # each subject's predictions were kept


def test_full_disk_at_a_predictions_file_stops_the_run_in_one_line(project, run_llm, tiny_model, last_run):
    project.makeconftest(FULL_DISK.format(part="ceval-law.json"))
    result = run_llm(tiny_model)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [("*ceval-law: cannot write */ceval-law.json (No space left on device): free space, or choose a writable "
         "--llm-output-dir*")]
    )  # fmt: skip
    assert "Traceback" not in result.stdout.str()
    run = last_run()
    data = json.loads((run / "llmeval.json").read_text(encoding="utf-8"))
    assert data["passed"] is False and any(e.startswith("ceval-law: ") for e in data["errors"])
    assert leftovers(project) == []
