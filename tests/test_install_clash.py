"""Another distribution of the import package ``pytest_llmeval`` installed beside this one: one line, nothing run.

Installed distributions are found through their ``*.dist-info/METADATA`` on ``sys.path``; these tests put one
there (through ``PYTHONPATH``), as pip would leave it, for the unrelated index package and for this project
under its former name.
"""

from __future__ import annotations

import pytest

UNRELATED = "A pytest plugin to evaluate/benchmark LLM prompts"  # the index's pytest-llmeval 0.0.0
FORMER = "Model regression testing as pytest items: C-Eval subjects scored like OpenCompass, gated by thresholds"


def installed(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, version: str, summary: str) -> None:
    site = pytester.path / "site"
    info = site / f"pytest_llmeval-{version}.dist-info"
    info.mkdir(parents=True)
    metadata = f"Metadata-Version: 2.1\nName: pytest-llmeval\nVersion: {version}\nSummary: {summary}\n"
    (info / "METADATA").write_text(metadata, encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(site))


@pytest.mark.parametrize(
    ("version", "summary", "what"),
    [
        ("0.0.0", UNRELATED, "the unrelated package pytest-llmeval 0.0.0"),
        ("0.1.0", FORMER, "pytest-llmeval 0.1.0 (this project under its former name)"),
    ],
    ids=["unrelated", "former-name"],
)
def test_a_second_pytest_llmeval_stops_the_run_in_one_line(project, tiny_model, monkeypatch, version, summary, what):
    installed(project, monkeypatch, version, summary)
    result = project.runpytest_subprocess(f"--llm-model={tiny_model}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    expected = (
        f"ERROR: {what} is installed beside pytest-llm-regression and writes the same module pytest_llmeval; "
        "remove it and reinstall this one: pip uninstall -y pytest-llmeval && "
        "pip install --force-reinstall pytest-llm-regression"
    )
    assert [line for line in result.stderr.lines if line] == [expected]
    assert not (project.path / "outputs").exists(), "refused before a run folder or a model"
    listing = project.runpytest_subprocess("--llm-list", "-p", "no:cacheprovider")
    assert listing.ret == pytest.ExitCode.USAGE_ERROR and what in listing.stderr.str()


def test_without_a_model_the_repo_s_own_tests_still_run(project, monkeypatch):
    installed(project, monkeypatch, "0.0.0", UNRELATED)
    project.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = project.runpytest_subprocess("test_plain.py", "-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["llmeval: the unrelated package pytest-llmeval 0.0.0 is installed beside *"])
