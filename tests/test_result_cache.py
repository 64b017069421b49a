"""The result cache end to end: an unchanged re-run loads no model; a changed model, prompt or setting misses."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from conftest import run_pytest


@pytest.fixture
def cached(project, untrained_model):
    """The sample project with its own copy of the model (so a test may edit it) and a cache folder."""
    shutil.copytree(untrained_model, project.path / "model")

    def run(*args: str) -> pytest.RunResult:
        time.sleep(1.05)  # run folders are named by the second
        result = run_pytest(project, "-p", "no:cacheprovider", "--llm-model=model", "--llm-cache-dir=cache", *args)
        assert result.ret in (0, 1), result.stdout.str() + result.stderr.str()
        return result

    return run


def newest(project) -> dict:
    folder = max((project.path / "outputs" / "llmeval").iterdir())
    return json.loads((folder / "llmeval.json").read_text(encoding="utf-8"))


def predictions(record: dict) -> dict:
    return {s["abbr"]: [o["prediction"] for o in s["outcomes"]] for s in record["subjects"]}


def test_an_unchanged_rerun_loads_no_model_and_gives_the_same_results(project, cached):
    cached().stdout.fnmatch_lines(["main: devices cpu, 1 model load(s)*questions*"])
    first = newest(project)
    result = cached()
    result.stdout.fnmatch_lines(["main: devices none (no model loaded), 0 model load(s)*, 50 from the result cache"])
    second = newest(project)
    assert predictions(first) == predictions(second)
    assert [r["value"] for r in first["table"]] == [r["value"] for r in second["table"]]
    assert second["model_loads"] == 0


def test_what_changes_a_result_misses(project, cached):
    cached()
    # Touching the weights changes their mtime, not their content: still a hit (the digest is recomputed).
    weights = project.path / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes())
    cached().stdout.fnmatch_lines(["*50 from the result cache"])
    # One question's text changes: that question alone misses.
    val = project.path / "data" / "ceval" / "formal_ceval" / "val" / "law_val.csv"
    lines = val.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace('0,"', '0,"改', 1)  # the first question's text, inside its quotes
    val.write_text("".join(lines), encoding="utf-8")
    cached().stdout.fnmatch_lines(["main: devices cpu, 1 model load(s)*, 49 from the result cache"])
    # A generation setting: everything misses.
    result = cached("--llm-max-out-len=8")
    assert "from the result cache" not in result.stdout.str()
    # The model's content: everything misses.
    config = project.path / "model" / "config.json"
    data = json.loads(config.read_text(encoding="utf-8"))
    config.write_text(json.dumps({**data, "note": "retrained"}), encoding="utf-8")
    result = cached()
    assert "from the result cache" not in result.stdout.str()


def test_no_cache_neither_reads_nor_writes(project, cached):
    cached("--llm-no-cache")
    assert not (project.path / "cache").exists()


def test_two_workers_share_the_cache(project, cached):
    cached("-n", "2")
    result = cached("-n", "2")
    result.stdout.fnmatch_lines_random(
        ["gw0: *0 model load(s)*from the result cache", "gw1: *0 model load(s)*from the result cache"]
    )
