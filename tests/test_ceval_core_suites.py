"""The core collections' C-Eval configs end to end on the real C-Eval files: the val row runs and the test row (the
public copy has no test split) is listed as not run, its gate failing the run unless a partial run is accepted; a
test split without answers (built here from val rows) runs and is not scored.

The data is never part of the project: these tests skip without the shared data folder (``LLMEVAL_SHARED``).
"""

from __future__ import annotations

import csv
import shutil

import pytest
from real_data import DATA, data_link, predictions, summary_rows

from pytest_llmeval.datasets.ceval_core import TEST_ABSENT, UNAVAILABLE

CEVAL = DATA / "ceval" / "formal_ceval"
needs_data = pytest.mark.skipif(not (CEVAL / "val").is_dir(), reason=f"no C-Eval data at {CEVAL}")


def gated_suite(project: pytest.Pytester, config: str, subjects: str = "") -> None:
    """A suite gating the test row, which cannot run on the public data."""
    project.path.joinpath("llmeval_core.toml").write_text(
        f'[[dataset]]\nconfig = "{config}"\n{subjects}[dataset.thresholds]\n"ceval-test-computer_network" = 1.0\n',
        encoding="utf-8",
    )


@needs_data
@pytest.mark.parametrize(("config", "mode", "version"), [("ceval_ppl_1cd8bf", "ppl", "dbe481"),
                                                         ("ceval_gen_2daf24", "gen", "db9ce2")])  # fmt: skip
def test_val_runs_and_the_absent_test_split_is_not_run(
    project, run_llm, untrained_model, last_run, config, mode, version
):
    data = data_link(project)
    gated_suite(project, config)
    args = [data, "--llm-limit", "2", "--llm-max-out-len", "2", "-k", "computer_network"]
    strict = run_llm(untrained_model, *args)
    text = strict.stdout.str()
    assert strict.ret == pytest.ExitCode.TESTS_FAILED, text  # a gate that did not run does not pass
    strict.assert_outcomes(passed=1, skipped=1, deselected=102)
    line = f"ceval-test-computer_network: not run — shared-data/ceval/formal_ceval/test not found: {TEST_ABSENT}"
    assert line in text.splitlines()
    assert "ceval-test-computer_network: threshold 1.00 not checked: ceval-test-computer_network not run" in text
    run = last_run()
    assert summary_rows(run)[:2] == [
        ["ceval-computer_network", version, "accuracy", mode],
        ["ceval-test-computer_network", "-", "-", "-"],
    ]
    assert set(predictions(run)) == {"ceval-computer_network"}
    assert len(predictions(run)["ceval-computer_network"]) == 2

    accepted = run_llm(untrained_model, *args, "--llm-allow-skip")
    assert accepted.ret == pytest.ExitCode.OK, accepted.stdout.str()
    assert line in accepted.stdout.str().splitlines()


@needs_data
def test_a_test_split_without_answers_runs_unscored(project, run_llm, untrained_model, last_run):
    """The public test files' layout (no answer column), made from val rows: predicted, kept, never scored 0."""
    root = project.path / "ceval-data" / "ceval" / "formal_ceval"
    for split in ("dev", "val", "test"):
        (root / split).mkdir(parents=True)
    for split in ("dev", "val"):
        shutil.copyfile(CEVAL / split / f"computer_network_{split}.csv", root / split / f"computer_network_{split}.csv")
    with (CEVAL / "val" / "computer_network_val.csv").open(encoding="utf-8", newline="") as source:
        rows = [row[:6] for row in csv.reader(source)][:4]  # id,question,A,B,C,D: the answer column dropped
    with (root / "test" / "computer_network_test.csv").open("w", encoding="utf-8", newline="") as target:
        csv.writer(target).writerows(rows)
    gated_suite(project, "ceval_ppl_1cd8bf", 'subjects = ["computer_network", "test-computer_network"]\n')
    project.path.joinpath("llmeval_sample.toml").unlink()
    result = run_llm(untrained_model, "--llm-data-dir=ceval-data", "--llm-limit", "2")
    text = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, text  # nothing scored: nothing gated
    result.assert_outcomes(passed=2)
    assert "no answers: 2 prediction(s) kept, not scored" in text
    assert (
        "not checked: ceval-test-computer_network: threshold 1.00 not checked "
        "(no answers: 2 prediction(s) kept, not scored)" in text
    )
    run = last_run()
    csv_text = next((run / "summary").glob("summary_*.csv")).read_text(encoding="utf-8")
    assert "ceval-test-computer_network,dbe481,accuracy,ppl,-\n" in csv_text  # ran, not 0.00
    kept = predictions(run)["ceval-test-computer_network"]
    assert [row["gold"] for row in kept.values()] == ["", ""]
    assert {row["prediction"] for row in kept.values()} <= set("ABCD")
    (results,) = (run / "results").iterdir()
    assert {p.name for p in results.iterdir()} == {"ceval-computer_network.json"}  # no evaluator result for test


@pytest.mark.parametrize("name", sorted(UNAVAILABLE))
def test_names_that_cannot_run_offline_stop_the_run_in_one_line(run_llm, untrained_model, name):
    result = run_llm(untrained_model, "--llm-datasets", name)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.lines[0] == f"ERROR: --llm-datasets: {UNAVAILABLE[name]}"
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert "model load" not in result.stdout.str()
