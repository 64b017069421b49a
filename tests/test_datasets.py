"""Several datasets in one run, as a user declares them: C-Eval in ppl mode, MMLU and CMMLU in their layouts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dataset_files import CMMLU, MMLU, write_cmmlu, write_mmlu

from conftest import run_pytest
from pytest_llmeval.datasets.mmlu import MMLU_SUBJECTS

SUITE = """
[[dataset]]
config = "ceval_ppl"
subjects = ["computer_network", "high_school_physics", "marxism", "law", "accountant"]
[dataset.thresholds]
"ceval-*" = 60.0
ceval = 80.0

[[dataset]]
config = "mmlu_gen"
subjects = ["anatomy", "philosophy", "marketing"]

[[dataset]]
config = "cmmlu_ppl"
subjects = ["agronomy", "ancient_chinese", "arts"]
"""


@pytest.fixture
def several(project: pytest.Pytester) -> pytest.Pytester:
    write_mmlu(project.path / "data")
    write_cmmlu(project.path / "data")
    (project.path / "llmeval_sample.toml").write_text(SUITE, encoding="utf-8")
    return project


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_three_datasets_one_table_in_summarizer_order(several, run_llm, tiny_model, last_run):
    """A trained model picks the gold label in ceval_ppl (the gates pass); every dataset has its rows and files."""
    result = run_llm(tiny_model)
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=5 + 3 + 3)
    run = last_run()
    (csv_file,) = (run / "summary").glob("summary_*.csv")
    names = [line.split(",")[0] for line in csv_file.read_text(encoding="utf-8").splitlines()[1:]]
    ceval = ["ceval-computer_network", "ceval-high_school_physics", "ceval-marxism", "ceval-law", "ceval-accountant"]
    ceval_groups = ["ceval-stem", "ceval-social-science", "ceval-humanities", "ceval-other", "ceval-hard", "ceval"]
    mmlu = [f"lukaemon_mmlu_{s.key}" for s in MMLU_SUBJECTS if s.key in MMLU]  # OpenCompass's config order
    mmlu_groups = ["mmlu-humanities", "mmlu-stem", "mmlu-other", "mmlu", "mmlu-weighted"]
    cmmlu = [f"cmmlu-{s}" for s in CMMLU]
    cmmlu_groups = ["cmmlu-humanities", "cmmlu-social-science", "cmmlu-other", "cmmlu-china-specific", "cmmlu"]
    # Families in a fixed order (C-Eval, MMLU, CMMLU): subjects first, then each family's groups.
    assert names == ceval + mmlu + cmmlu + ceval_groups + mmlu_groups + cmmlu_groups
    rows = {line.split(",")[0]: line for line in csv_file.read_text(encoding="utf-8").splitlines()[1:]}
    assert rows["ceval-computer_network"] == "ceval-computer_network,9b9417,accuracy,ppl,100.00"
    assert rows["lukaemon_mmlu_anatomy"].startswith("lukaemon_mmlu_anatomy,72183b,accuracy,gen,")
    assert rows["cmmlu-agronomy"].startswith("cmmlu-agronomy,18e759,accuracy,ppl,")
    assert rows["mmlu-weighted"].startswith("mmlu-weighted,-,weighted_average,gen,")

    model = f"model-{tiny_model.name}"
    law = read_json(run / "predictions" / model / "ceval-law.json")["0"]
    assert set(law) == {"label: A", "label: B", "label: C", "label: D", "prediction", "gold"}
    assert law["label: C"]["prompt"].endswith("\n答案: \nC")
    assert law["prediction"] == law["gold"]
    anatomy = read_json(run / "predictions" / model / "lukaemon_mmlu_anatomy.json")["0"]
    assert anatomy["origin_prompt"].startswith("There is a single choice question about anatomy.")
    assert anatomy["origin_prompt"].endswith("\nAnswer: ")
    record = read_json(run / "llmeval.json")
    scores = next(s for s in record["subjects"] if s["abbr"] == "cmmlu-arts")["outcomes"][0]["scores"]
    assert len(scores) == 4


def test_dash_m_selects_one_family_exactly(several):
    """-k mmlu is a substring match and also takes cmmlu-*; -m mmlu takes MMLU alone."""
    by_marker = run_pytest(several, "--collect-only", "-q", "-m", "mmlu")
    assert sorted(line.rsplit("::", 1)[1] for line in by_marker.stdout.lines if "::" in line) == sorted(
        f"lukaemon_mmlu_{s}" for s in MMLU
    )
    by_keyword = run_pytest(several, "--collect-only", "-q", "-k", "cmmlu_ppl")
    assert sorted(line.rsplit("::", 1)[1] for line in by_keyword.stdout.lines if "::" in line) == sorted(
        f"cmmlu-{s}" for s in CMMLU
    )


def test_missing_data_matters_only_for_selected_datasets(project, run_llm, untrained_model):
    write_mmlu(project.path / "data")
    (project.path / "llmeval_sample.toml").write_text(SUITE, encoding="utf-8")  # no cmmlu/ folder written
    selected = run_llm(untrained_model, "-m", "mmlu", "--llm-limit", "1")
    assert selected.ret == 0, selected.stdout.str()
    refused = run_llm(untrained_model, "-m", "cmmlu")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stdout.re_match_lines([r".*--llm-data-dir: data/cmmlu not found, needed by cmmlu_ppl; unzip OpenCompass.*"])
    assert "Traceback" not in refused.stdout.str()


def test_chat_mode_refuses_ppl_configs_up_front(several, run_llm, tiny_model):
    result = run_llm(tiny_model, "--llm-hf-type", "chat", "-m", "cmmlu")
    assert result.ret != 0
    result.stdout.re_match_lines(
        [r".*cmmlu_ppl: ppl and ll configs score OpenCompass's plain prompts; --llm-hf-type chat .*"]
    )


def test_fewer_dev_rows_than_shots(project, run_llm, untrained_model):
    dev = project.path / "data" / "ceval" / "formal_ceval" / "dev" / "law_dev.csv"
    dev.write_text("\n".join(dev.read_text(encoding="utf-8").splitlines()[:4]) + "\n", encoding="utf-8")
    result = run_llm(untrained_model, "-k", "law")
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error
    result.stdout.re_match_lines([r".*law_dev\.csv: 3 row\(s\), but ceval_gen takes 5 shots from it; add rows"])


def test_several_datasets_under_two_workers_equal_one_process(several, run_llm, untrained_model, last_run):
    from test_xdist import snapshot

    # MMLU and CMMLU carry no thresholds here: both runs pass whatever the untrained model answers.
    one = run_llm(untrained_model, "-p", "no:xdist", "--llm-limit", "2", "-m", "mmlu or cmmlu")
    assert one.ret == 0, one.stdout.str()
    first = last_run()
    two = run_llm(untrained_model, "-n", "2", "--llm-limit", "2", "-m", "mmlu or cmmlu")
    assert two.ret == 0, two.stdout.str()
    assert snapshot(first) == snapshot(last_run())
