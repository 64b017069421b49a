"""The seed command as CI types it: ``pytest --llm-model /abs/path -k ceval`` in a repo that pins its settings.

pytest picks its config file before plugins load; these tests pin that the space form still runs
with the repo's ``pyproject.toml``, and what a user sees where it cannot.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from remote_code import with_remote_model, with_remote_tokenizer

from pytest_llmeval.demo import SAMPLE_DATA, SAMPLE_SUITE

pytestmark = pytest.mark.second_line  # CI runs this file again on the transformers 4.48 line

PINNED = """\
[tool.pytest.ini_options]
testpaths = ["evals"]
addopts = "-p no:cacheprovider -rf"
markers = ["slow: a marker the repo declares"]
llm_max_out_len = "3"
llm_limit = "2"
llm_data_dir = "data"
"""


@pytest.fixture
def repo(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user's repo: settings pinned in pyproject.toml, the suite under evals/ (found through testpaths only)."""
    shutil.copytree(SAMPLE_DATA, pytester.path / "data")
    (pytester.path / "evals").mkdir()
    shutil.copyfile(SAMPLE_SUITE, pytester.path / "evals" / SAMPLE_SUITE.name)
    (pytester.path / "pyproject.toml").write_text(PINNED, encoding="utf-8")
    return pytester


def record(repo: pytest.Pytester) -> dict:
    (run,) = (repo.path / "outputs" / "llmeval").iterdir()
    return json.loads((run / "llmeval.json").read_text(encoding="utf-8"))


def test_space_form_with_an_absolute_model_path_honours_pyproject(repo, tiny_model):
    assert repo.path not in tiny_model.parents, "the model must live outside the repo, as /root/models does"
    result = repo.runpytest_subprocess("--llm-model", str(tiny_model), "-k", "ceval", "-v")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "llmeval: restarted reading --llm-model * as --llm-model=*: pytest picks its config file*",
            f"rootdir: {repo.path}",
            "configfile: pyproject.toml",
            "testpaths: evals",
        ]
    )
    result.stdout.fnmatch_lines(["evals/llmeval_sample.toml::ceval_gen::ceval-law PASSED*"])
    settings = record(repo)["settings"]
    assert (settings["max_out_len"], settings["limit"]) == (3, 2), "pinned llm_* settings apply"
    assert {s["total"] for s in record(repo)["subjects"]} == {2}


def test_equals_form_needs_no_restart(repo, tiny_model):
    result = repo.runpytest_subprocess(f"--llm-model={tiny_model}", "-k", "law")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines([f"rootdir: {repo.path}", "configfile: pyproject.toml"])
    assert "restarted" not in result.stdout.str()


def test_space_form_in_pytest_addopts_is_repaired_too(repo, tiny_model, monkeypatch):
    monkeypatch.setenv("PYTEST_ADDOPTS", f"--llm-model {tiny_model}")
    result = repo.runpytest_subprocess("-k", "law")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines([f"rootdir: {repo.path}", "configfile: pyproject.toml"])
    assert record(repo)["settings"]["limit"] == 2


def test_in_process_run_refuses_with_the_fix(repo, tiny_model):
    """pytest.main() from other code cannot be restarted: one line that says how to write the option."""
    result = repo.runpytest("--llm-model", str(tiny_model), "-k", "law")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: --llm-model {tiny_model}: pytest took * for a test path *; write --llm-model={tiny_model}"]
    )
    assert not (repo.path / "outputs").exists(), "refused before any run folder or model"


def test_ci_log_table_is_never_cut(repo, tiny_model):
    """Off a terminal (CI=true, redirected) the table is printed at the width it needs: no ``…`` in any cell."""
    abbr = "tiny-internlm2-chat-1_8b-sft-20261128-checkpoint-000123456"
    result = repo.runpytest_subprocess(f"--llm-model={tiny_model}", "--llm-model-abbr", abbr)
    assert result.ret == 0, result.stdout.str()
    table = result.stdout.str().split("llmeval summary")[1]
    assert "…" not in table
    result.stdout.re_match_lines(
        [rf"^dataset\s+version\s+metric\s+mode\s+{abbr}\s+min", r"^ceval-high_school_physics\s"]
    )


def test_two_runs_started_together_get_two_folders(repo, tiny_model):
    """Run folders are named by the second; the second run of that second must not write into the first's."""
    command = [sys.executable, "-m", "pytest", f"--llm-model={tiny_model}", "-k", "law", "-q"]
    runs = [subprocess.Popen(command, cwd=repo.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in "ab"]
    outputs = [run.communicate(timeout=300)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    folders = sorted((repo.path / "outputs" / "llmeval").iterdir())
    assert len(folders) == 2
    for folder in folders:
        data = json.loads((folder / "llmeval.json").read_text(encoding="utf-8"))
        assert data["run_id"] == folder.name
        assert [s["abbr"] for s in data["subjects"]] == ["ceval-law"]


def test_prompts_cut_to_fit_are_counted(repo, tiny_model):
    """A prompt longer than max_seq_len - max_out_len even with no shots is truncated, and the run says so."""
    result = repo.runpytest_subprocess(f"--llm-model={tiny_model}", "-k", "law", "--llm-max-seq-len", "30")
    result.stdout.re_match_lines([r"^truncated: 2 prompt\(s\) longer than 27 tokens .*: ceval-law 2$"])
    (law,) = record(repo)["subjects"]
    assert law["truncated"] == 2
    assert all(o["truncated"] and o["shots"] == 0 and o["prompt_tokens"] > 27 for o in law["outcomes"])


def test_full_prompts_are_not_counted_as_truncated(repo, tiny_model):
    result = repo.runpytest_subprocess(f"--llm-model={tiny_model}", "-k", "law")
    assert "truncated:" not in result.stdout.str()
    assert record(repo)["subjects"][0]["truncated"] == 0


@pytest.fixture
def modules_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where transformers copies remote code: kept inside the test's folder."""
    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "hf-modules"))
    return tmp_path / "hf-modules"


@pytest.mark.parametrize("extra", [[], ["-s"]], ids=["captured", "dash-s"])
def test_tokenizer_with_its_own_code_needs_its_own_consent(repo, tiny_model, modules_cache, extra):
    """Consent for the model is not consent for the tokenizer; never an interactive [y/N] question."""
    model = shutil.copytree(tiny_model, repo.path / "rc-tokenizer")
    with_remote_tokenizer(model)
    result = repo.runpytest_subprocess(
        f"--llm-model={model}", "--llm-model-kwargs", "trust_remote_code=True", *extra, timeout=120
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            (
                f"ERROR: --llm-tokenizer-kwargs: the tokenizer in {model} ships its own code "
                "(auto_map in tokenizer_config.json); allow it with --llm-tokenizer-kwargs trust_remote_code=True"
            )
        ]
    )
    assert "[y/N]" not in result.stdout.str() + result.stderr.str()


def test_remote_code_model_and_tokenizer_run_with_consent(repo, tiny_model, modules_cache):
    model = with_remote_tokenizer(with_remote_model(tiny_model, repo.path / "rc"))
    consent = ["--llm-model-kwargs", "trust_remote_code=True", "--llm-tokenizer-kwargs", "trust_remote_code=True"]
    result = repo.runpytest_subprocess(f"--llm-model={model}", *consent, "-k", "law")
    assert result.ret == 0, result.stdout.str()
    settings = record(repo)["settings"]
    assert settings["model_kwargs"] == {"trust_remote_code": True}, "kwargs keep their JSON types"
    assert (modules_cache / "transformers_modules").is_dir(), "the checkpoint's own code was loaded"
