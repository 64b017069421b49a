"""A collection run end to end on the real data: its members' items in its file's order, a member without data
listed as not run in one line, and a gate on such an item failing unless partial runs are accepted. Skipped without
the shared data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from real_data import DATA, data_link, summary_rows

pytestmark = pytest.mark.skipif(not (DATA / "race" / "test").is_dir(), reason=f"no shared data at {DATA}")

# RACE runs (ppl, its data is there), CMMLU has no CSVs in the shared folder, C-Eval has no test split there.
PICK = ("-k", "race-middle or cmmlu-agronomy or ceval-test-law or lukaemon_mmlu_anatomy")


def test_base_core_runs_what_has_data_and_lists_the_rest(project, run_llm, untrained_model, last_run):
    result = run_llm(untrained_model, data_link(project), "--llm-limit", "2", "--llm-datasets", "base_core", *PICK)
    out = result.stdout.str()
    assert result.ret == 0, out
    rows = summary_rows(last_run())
    # base_core's order: MMLU, CMMLU, C-Eval, ..., RACE; only the selected items have rows.
    assert [row[0] for row in rows[:4]] == ["lukaemon_mmlu_anatomy", "cmmlu-agronomy", "ceval-test-law", "race-middle"]
    assert rows[3] == ["race-middle", "6e27c0", "accuracy", "ppl"]
    assert rows[1][1:] == ["-", "-", "-"]
    lines = out.splitlines()
    cmmlu = next(line for line in lines if line.startswith("cmmlu-agronomy: not run — "))
    assert "cmmlu/dev/agronomy.csv not found" in cmmlu
    assert any(line.startswith("ceval-test-law: not run — ") for line in lines)


def test_a_threshold_on_a_member_without_data_fails_the_run(project, run_llm, untrained_model):
    suite = Path(project.path) / "llmeval_core.toml"
    suite.write_text('[[dataset]]\nconfig = "base_core"\nthresholds = { "cmmlu-agronomy" = 10.0 }\n', encoding="utf-8")
    data = data_link(project)
    result = run_llm(untrained_model, data, "--llm-limit", "1", *PICK)
    assert result.ret == 1, result.stdout.str()
    assert "cmmlu-agronomy: threshold 10.00 not checked: cmmlu-agronomy not run — " in result.stdout.str()
    accepted = run_llm(untrained_model, data, "--llm-limit", "1", "--llm-allow-skip", *PICK)
    assert accepted.ret == 0, accepted.stdout.str()
