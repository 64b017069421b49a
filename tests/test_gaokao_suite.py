"""GAOKAO-Bench end to end on the real data: all 18 papers run as items and write OpenCompass's rows, the points
behind each score, and the weighted ``GaokaoBench`` row.

The data is never part of the project: this skips without the shared data folder (``LLMEVAL_SHARED`` points
elsewhere). The model ends every answer at once (its first token is the end of text), so 1024-token generations
cost nothing and every paper scores 0 of its points.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from checkpoints import Store
from odd_models import always_emits

SHARED = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"
pytestmark = pytest.mark.skipif(not (DATA / "GAOKAO-BENCH" / "data").is_dir(), reason=f"no GAOKAO-Bench data at {DATA}")

# OpenCompass's summary rows for GaokaoBench_no_subjective_gen_d21e37 (opencompass-core.md §13, §15).
ROWS = [
    ["GaokaoBench_2010-2022_Math_II_MCQs", "241b3b", "score", "gen"],
    ["GaokaoBench_2010-2022_Math_I_MCQs", "241b3b", "score", "gen"],
    ["GaokaoBench_2010-2022_History_MCQs", "981a42", "score", "gen"],
    ["GaokaoBench_2010-2022_Biology_MCQs", "0e6e9e", "score", "gen"],
    ["GaokaoBench_2010-2022_Political_Science_MCQs", "b78000", "score", "gen"],
    ["GaokaoBench_2010-2022_Physics_MCQs", "2e88f1", "score", "gen"],
    ["GaokaoBench_2010-2022_Chemistry_MCQs", "382edb", "score", "gen"],
    ["GaokaoBench_2010-2013_English_MCQs", "2c6a48", "score", "gen"],
    ["GaokaoBench_2010-2022_Chinese_Modern_Lit", "d6ff3d", "score", "gen"],
    ["GaokaoBench_2010-2022_English_Fill_in_Blanks", "c2ece4", "score", "gen"],
    ["GaokaoBench_2012-2022_English_Cloze_Test", "d51290", "score", "gen"],
    ["GaokaoBench_2010-2022_Geography_MCQs", "e80a5b", "score", "gen"],
    ["GaokaoBench_2010-2022_English_Reading_Comp", "97fcf1", "score", "gen"],
    ["GaokaoBench_2010-2022_Chinese_Lang_and_Usage_MCQs", "a344bb", "score", "gen"],
    ["GaokaoBench_2010-2022_Math_I_Fill-in-the-Blank", "524c10", "score", "gen"],
    ["GaokaoBench_2010-2022_Math_II_Fill-in-the-Blank", "524c10", "score", "gen"],
    ["GaokaoBench_2010-2022_Chinese_Language_Famous_Passages_and_Sentences_Dictation", "6de2e0", "score", "gen"],
    ["GaokaoBench_2014-2022_English_Language_Cloze_Passage", "4c7ecb", "score", "gen"],
    ["GaokaoBench", "-", "weighted_average", "gen"],
]


@pytest.fixture(scope="session")
def silent_model(tiny_model: Path, checkpoints: Store) -> Path:
    """Ends every answer at once: its first token is always the end-of-text token."""
    return checkpoints.get("silent", always_emits, tiny_model, "</s>")


def test_all_18_papers_on_the_real_data(project, run_llm, silent_model, last_run):
    (project.path / "llmeval_sample.toml").unlink()
    (project.path / "shared-data").symlink_to(DATA, target_is_directory=True)
    # A short context keeps the prompts small; the papers' long passages are cut as OpenCompass would cut them.
    args = ["--llm-data-dir=shared-data", "--llm-limit", "2", "--llm-max-seq-len", "1152"]
    result = run_llm(silent_model, *args, "--llm-datasets", "GaokaoBench_no_subjective_gen_d21e37")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*18 passed*"])
    result.stdout.fnmatch_lines(
        [
            "GaokaoBench_2010-2022_Physics_MCQs * 2e88f1 * score * gen * 0.00 * 0/4 points*",
            "GaokaoBench_2010-2022_Math_I_Fill-in-the-Blank * 0.00 * always 0: OpenCompass 0.2.4 does not score cloze*",
        ]
    )
    run = last_run()
    csv = next((run / "summary").glob("summary_*.csv")).read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[:4] for line in csv[1:]] == ROWS
    assert all(line.endswith(",0.00") for line in csv[1:])
    results = run / "results" / "model-silent"
    # Physics: two questions of one gold each, 2 points apiece; English_Fill_in_Blanks: 2 x 20 sub-questions.
    physics = json.loads((results / "GaokaoBench_2010-2022_Physics_MCQs.json").read_text(encoding="utf-8"))
    assert physics == {"score": 0.0, "points": 0, "possible": 4}
    blanks = json.loads((results / "GaokaoBench_2010-2022_English_Fill_in_Blanks.json").read_text(encoding="utf-8"))
    assert blanks == {"score": 0.0, "points": 0, "possible": 40}
    cloze = json.loads((results / "GaokaoBench_2010-2022_Math_I_Fill-in-the-Blank.json").read_text(encoding="utf-8"))
    assert cloze == {"score": 0.0}
    record = json.loads((run / "llmeval.json").read_text(encoding="utf-8"))
    table = {row["dataset"]: row for row in record["table"]}
    assert (table["GaokaoBench_2010-2022_Physics_MCQs"]["points"], table["GaokaoBench"]["value"]) == (0, 0.0)
    prediction = json.loads(
        (run / "predictions" / "model-silent" / "GaokaoBench_2010-2022_Physics_MCQs.json").read_text(encoding="utf-8")
    )
    first = prediction["0"]
    assert (first["prediction"], first["gold"]) == ("", '["D"]')  # the row's answer list, as JSON text
    assert (
        first["origin_prompt"].startswith("请你做一道物理选择题。\n请你一步一步思考")
        and "1. （6 分)" in first["origin_prompt"]
    )


def test_the_round_config_is_chat_wrapped_under_a_chat_template(project, run_llm, silent_model, last_run):
    (project.path / "llmeval_sample.toml").unlink()
    (project.path / "shared-data").symlink_to(DATA, target_is_directory=True)
    result = run_llm(
        silent_model,
        *("--llm-data-dir=shared-data", "--llm-limit", "1", "--llm-max-seq-len", "1152"),
        *("--llm-preset", "hf_internlm2_chat_1_8b", "--llm-datasets", "GaokaoBench_no_subjective_gen_4c31db"),
        *("-k", "Physics or Math_I_Fill"),
    )
    assert result.ret == 0, result.stdout.str()
    run = last_run()
    csv = next((run / "summary").glob("summary_*.csv")).read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[:2] for line in csv[1:]] == [
        ["GaokaoBench_2010-2022_Physics_MCQs", "8a0c30"],
        ["GaokaoBench_2010-2022_Math_I_Fill-in-the-Blank", "9dd6c7"],
        ["GaokaoBench", "-"],  # Physics alone: its weighted average
    ]
    folder = next((run / "predictions").iterdir())
    physics = json.loads((folder / "GaokaoBench_2010-2022_Physics_MCQs.json").read_text(encoding="utf-8"))
    prompt = physics["0"]["origin_prompt"]
    assert prompt.startswith("<|im_start|>user\n请你做一道物理选择题。\n") and prompt.endswith(
        "<|im_end|>\n<|im_start|>assistant\n"
    )
