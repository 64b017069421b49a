"""TriviaQA and NQ-open end to end on the real data, and OpenCompass's stop strings on a real tiny model.

The data is never part of the project: these tests skip without the shared data folder (``LLMEVAL_SHARED``
points elsewhere).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from real_data import DATA, data_link

from pytest_llmeval.settings import Settings

NEEDED = ("triviaqa/triviaqa-validation.jsonl", "triviaqa/triviaqa-train.jsonl", "nq-open/nq-open-train.jsonl")
needs_data = pytest.mark.skipif(not all((DATA / p).is_file() for p in NEEDED), reason=f"no TriviaQA/NQ at {DATA}")


def run_config(run_llm, model: Path, data: str, last_run, config: str, row: list[str], *args: str) -> tuple[dict, str]:
    """Three questions of ``config`` through pytest: its summary row checked; its predictions and score."""
    result = run_llm(model, data, "--llm-limit", "3", "--llm-datasets", config, *args)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*1 passed*"])
    run = last_run()
    csv = next((run / "summary").glob("summary_*.csv")).read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[:4] for line in csv[1:]] == [row]
    score = csv[1].split(",")[4]
    (predictions,) = (next((run / "predictions").iterdir()) / f"{row[0]}.json",)
    rows = json.loads(predictions.read_text(encoding="utf-8"))
    assert len(rows) == 3
    golds = [json.loads(r["gold"]) for r in rows.values()]  # each row's aliases
    assert all(isinstance(g, list) and g for g in golds)
    assert all(r["origin_prompt"].endswith(("A: ", "A:")) for r in rows.values())
    return rows, score


@needs_data
def test_nq_open_runs_and_writes_its_row(project, run_llm, untrained_model, last_run):
    row = ["nq_open_1shot", "01cf41", "score", "gen"]
    run_config(run_llm, untrained_model, data_link(project), last_run, "nq_open_1shot_gen_01cf41", row)


@needs_data
def test_triviaqa_runs_stops_at_the_newline_and_scores_aliases(project, run_llm, qa_model, last_run):
    row = ["triviaqa_wiki_1shot", "20a989", "score", "gen"]
    # --llm-full-output: OpenCompass's own stop strings still end each row.
    rows, score = run_config(run_llm, qa_model, data_link(project), last_run, "triviaqa_wiki_1shot_gen_20a989", row,
                      "--llm-full-output")  # fmt: skip
    assert rows["0"]["prediction"] == "Sunset Blvd.\n" and "stopped_early" not in rows["0"]
    assert all(r["prediction"].endswith("\n") for r in rows.values())
    assert score == "100.00"  # each taught answer is one of its row's aliases


# --- stop strings ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def backend(untrained_model: Path):
    from pytest_llmeval.backends.hf import HFBackend

    settings = Settings(model=untrained_model, tokenizer=untrained_model, model_abbr="untrained")
    return HFBackend.load(settings)


@pytest.fixture(scope="module")
def qa_model(checkpoints) -> Path:
    """A base-like tiny model taught TriviaQA's first questions in the shot's format, written on into the next
    question ("Sunset Blvd.\\n\\nQ:"), as base models do; about a minute to train."""
    from pytest_llmeval.tiny_base import build_base_model

    config = "triviaqa_wiki_1shot_gen_20a989"
    items = {config: ["triviaqa_wiki_1shot"]}
    return checkpoints.get("openqa", build_base_model, DATA, per_item=4, items=items, configs=(config,))


@needs_data
def test_a_row_stops_at_its_stop_string_and_keeps_it(qa_model):
    """At "\\n": the text ends with the token holding it, exactly the undecided text up to there, on both paths."""
    from pytest_llmeval.backends.hf import HFBackend
    from pytest_llmeval.datasets.plan import plan_subjects
    from pytest_llmeval.datasets.suite import make_spec
    from pytest_llmeval.records import StopRule
    from pytest_llmeval.runner import build_prompts

    settings = Settings(model=qa_model, tokenizer=qa_model, model_abbr="qa", batch_size=2)
    backend = HFBackend.load(settings)
    (plan,) = plan_subjects(make_spec("t", "triviaqa_wiki_1shot_gen_20a989"), DATA, 4)
    prompts = [p.text for p in build_prompts(plan, backend, settings)]
    stop = StopRule("", None, ("Q:", "\n"))
    full = backend.generate(prompts, 50, 2000)
    stopped = backend.generate(prompts, 50, 2000, stop=stop)
    assert backend.generate_all(prompts, 50, 2000, 2, stop=stop) == stopped
    for whole, text in zip(full, stopped, strict=True):
        assert "\n" in text and "\n" not in text.rstrip("\n"), text  # ends at the first "\n", which it keeps
        assert whole.startswith(text) and "Q:" in whole[len(text) :], (whole, text)
    assert stopped[0] == "Sunset Blvd.\n"  # the taught answer; the full text goes on "\nQ: ..."
