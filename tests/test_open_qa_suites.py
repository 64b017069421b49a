"""TriviaQA and NQ-open end to end on the real data, and OpenCompass's stop strings on a real tiny model.

The data is never part of the project: these tests skip without the shared data folder (``LLMEVAL_SHARED``
points elsewhere).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_llmeval.settings import Settings

SHARED = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"
NEEDED = ("triviaqa/triviaqa-validation.jsonl", "triviaqa/triviaqa-train.jsonl", "nq-open/nq-open-train.jsonl")
needs_data = pytest.mark.skipif(not all((DATA / p).is_file() for p in NEEDED), reason=f"no TriviaQA/NQ at {DATA}")


def data_link(project: pytest.Pytester) -> str:
    (project.path / "llmeval_sample.toml").unlink(missing_ok=True)  # only the configs named here run
    link = project.path / "shared-data"  # "data" holds the project's sample
    if not link.exists():
        link.symlink_to(DATA, target_is_directory=True)
    return "--llm-data-dir=shared-data"


@needs_data
@pytest.mark.parametrize(
    ("config", "row"),
    [
        ("triviaqa_wiki_1shot_gen_20a989", ["triviaqa_wiki_1shot", "20a989", "score", "gen"]),
        ("nq_open_1shot_gen_01cf41", ["nq_open_1shot", "01cf41", "score", "gen"]),
    ],
)
def test_config_runs_and_writes_its_row(project, run_llm, untrained_model, last_run, config, row):
    result = run_llm(untrained_model, data_link(project), "--llm-limit", "3", "--llm-datasets", config)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*1 passed*"])
    run = last_run()
    csv = next((run / "summary").glob("summary_*.csv")).read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[:4] for line in csv[1:]] == [row]
    (predictions,) = (next((run / "predictions").iterdir()) / f"{row[0]}.json",)
    rows = json.loads(predictions.read_text(encoding="utf-8"))
    assert len(rows) == 3
    golds = [json.loads(r["gold"]) for r in rows.values()]  # each row's aliases
    assert all(isinstance(g, list) and g for g in golds)
    assert all(r["origin_prompt"].endswith(("A: ", "A:")) for r in rows.values())


# --- stop strings ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def backend(untrained_model: Path):
    from pytest_llmeval.backends.hf import HFBackend

    settings = Settings(model=untrained_model, tokenizer=untrained_model, model_abbr="untrained")
    return HFBackend.load(settings)
