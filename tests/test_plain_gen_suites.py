"""base_core's plain-string GSM8K and BBH configs, and sanitized MBPP, end to end on the real data.

The data is never part of the project: these tests skip without the shared data folder (``LLMEVAL_SHARED`` points
elsewhere). GSM8K and BBH run on ``tiny_base``'s model (the one the round-template configs' tests use): a plain
string renders to the same text under a chat meta template, so a run under the InternLM2 chat preset must send
the very prompts a plain run sends.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from checkpoints import Store
from real_data import DATA, data_link, summary_rows

NEEDED = (DATA / "gsm8k" / "test.jsonl", DATA / "BBH" / "lib_prompt", DATA / "mbpp" / "sanitized-mbpp.jsonl")
pytestmark = pytest.mark.skipif(not all(p.exists() for p in NEEDED), reason=f"no GSM8K/BBH/MBPP data at {DATA}")


@pytest.fixture(scope="session")
def base_model(checkpoints: Store) -> Path:
    """test_reasoning_suites' base-like model (the same checkpoint): GSM8K, navigate and snarks in their formats."""
    from pytest_llmeval.tiny_base import build_base_model

    items = {"gsm8k_gen": ["gsm8k"], "math_gen": ["algebra"], "bbh_gen": ["navigate", "snarks"]}
    return checkpoints.get("base", build_base_model, DATA, per_item=4, items=items, context=400)


def prompts(run: Path) -> dict[str, list[str]]:
    folder = next((run / "predictions").iterdir())
    files = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}
    return {abbr: [row["origin_prompt"] for row in rows.values()] for abbr, rows in files.items()}


def test_gsm8k_ee684f_and_bbh_0a5495_rows_and_prompts_with_and_without_a_chat_template(
    project, run_llm, base_model, last_run
):
    args = [data_link(project), "--llm-datasets", "gsm8k_gen_ee684f", "bbh_gen_0a5495"]
    plain = run_llm(base_model, *args, "--llm-limit", "2", "-k", "gsm8k or bbh-navigate or bbh-snarks")
    assert plain.ret == 0, plain.stdout.str()
    plain.assert_outcomes(passed=3)
    run = last_run()
    rows = summary_rows(run)
    assert [row[:4] for row in rows] == [
        ["gsm8k", "ee684f", "accuracy", "gen"],
        ["bbh-snarks", "5e7271", "score", "gen"],
        ["bbh-navigate", "169e02", "score", "gen"],
        ["bbh", "-", "-", "-"],  # 2 of 27 tasks ran: no average
    ]
    sent = prompts(run)
    assert all(p.endswith("\nLet's think step by step\nAnswer:\n") for p in sent["gsm8k"])
    hint = (DATA / "BBH" / "lib_prompt" / "navigate.txt").read_text(encoding="utf-8")
    assert sent["bbh-navigate"][0].startswith(f"Follow the given examples and answer the question.\n{hint}\n\nQ: ")

    time.sleep(1.05)  # run folders are named by the second
    chat = run_llm(
        base_model, *args, "--llm-limit", "1", "-k", "gsm8k or bbh-navigate", "--llm-preset=hf_internlm2_chat_1_8b"
    )
    assert chat.ret == 0, chat.stdout.str()
    # The InternLM2 chat preset's meta template leaves plain strings alone: no <|im_start|> turns.
    assert prompts(last_run()) == {"gsm8k": sent["gsm8k"][:1], "bbh-navigate": sent["bbh-navigate"][:1]}


@pytest.fixture(scope="session")
def code_model(checkpoints: Store) -> Path:
    """test_code_suites' model (the same checkpoint): taught mbpp_gen's prompts, the round sanitized_mbpp_gen_1e1056
    shares."""
    from pytest_llmeval.tiny_base import build_base_model

    configs = ("humaneval_gen", "mbpp_gen")
    return checkpoints.get("code", build_base_model, DATA, per_item=4, wrong_every=4, context=600, configs=configs)


def test_sanitized_mbpp_runs_only_with_consent_and_counts_as_mbpp(project, run_llm, code_model, last_run):
    args = [data_link(project), "--llm-limit", "2", "--llm-datasets", "sanitized_mbpp_gen_1e1056"]
    # The model learnt each prompt's last 600 characters: the long few-shot prompts are cut to them.
    args += ["--llm-max-seq-len=700", "--llm-tokenizer-kwargs=truncation_side=left"]
    refused = run_llm(code_model, *args)
    assert refused.ret == 0, refused.stdout.str()
    refused.assert_outcomes(skipped=1)
    line = "sanitized_mbpp: not run — model-written code needs --llm-allow-code-exec (ini llm_allow_code_exec = true)"
    assert line in refused.stdout.str().splitlines()

    time.sleep(1.05)  # run folders are named by the second
    allowed = run_llm(code_model, *args, "--llm-allow-code-exec")
    assert allowed.ret == 0, allowed.stdout.str()
    run = last_run()
    counts = json.loads((run / "results" / "model-code" / "sanitized_mbpp.json").read_text(encoding="utf-8"))
    assert list(counts) == ["pass", "timeout", "failed", "wrong_answer", "score"]
    assert sum(counts.values()) - counts["score"] == 2 and counts["score"] == 50.0 * counts["pass"]
    assert summary_rows(run)[0][:4] == ["sanitized_mbpp", "1e1056", "score", "gen"]
    folder = next((run / "predictions").iterdir())
    rows = json.loads((folder / "sanitized_mbpp.json").read_text(encoding="utf-8"))
    golds = [row["gold"] for row in rows.values()]
    # Task 11, the file's row 7, is the first evaluated; its asserts joined by a newline.
    assert len(golds) == 2 and golds[0].startswith('assert remove_Occ("hello","l") == "heo"\nassert remove_Occ(')
    assert all(row["program_outcome"] for row in rows.values())  # every program ran in the sandbox
