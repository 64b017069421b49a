"""The plugin driven as a user drives it: a pytest subprocess, a real tiny model, the sample data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import run_pytest

SUBJECTS = ["computer_network", "high_school_physics", "marxism", "law", "accountant"]
GROUPS = ["ceval-stem", "ceval-social-science", "ceval-humanities", "ceval-other", "ceval-hard", "ceval"]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.second_line
def test_trained_model_passes_and_writes_opencompass_files(run_llm, tiny_model, last_run):
    result = run_llm(tiny_model)
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=5)
    out = result.stdout.str()
    assert "llmeval summary" in out
    for name in [f"ceval-{s}" for s in SUBJECTS] + GROUPS:
        assert re.search(rf"^{re.escape(name)}\s", out, re.MULTILINE), name

    run = last_run()
    # The default --llm-model-abbr: the folder name as typed (run_llm passes a symlink), not its target's.
    model = f"model-{tiny_model.name}"
    assert model != tiny_model.resolve().name
    prediction = read_json(run / "predictions" / model / "ceval-law.json")
    assert list(prediction) == [str(i) for i in range(10)]
    assert set(prediction["0"]) == {"origin_prompt", "prediction", "gold", "stopped_early"}
    # The model writes its letter and then its end token: generation stopped at the letter, one step early.
    assert prediction["0"]["stopped_early"] is True
    assert prediction["0"]["origin_prompt"].startswith("以下是中国关于法学考试的单项选择题，请选出其中的正确答案。\n")
    assert prediction["0"]["origin_prompt"].endswith("\n答案: ")
    assert read_json(run / "results" / model / "ceval-law.json") == {"accuracy": 100.0}

    (csv_file,) = (run / "summary").glob("summary_*.csv")
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"dataset,version,metric,mode,{model}"
    assert lines[1] == "ceval-computer_network,db9ce2,accuracy,gen,100.00"
    assert lines[-1] == "ceval,-,naive_average,gen,100.00"
    assert len(lines) == 1 + 5 + 6
    assert (run / "summary" / csv_file.name.replace(".csv", ".txt")).exists()

    record = read_json(run / "llmeval.json")
    assert record["passed"] is True
    assert record["model_loads"] == 1
    law = next(s for s in record["subjects"] if s["abbr"] == "ceval-law")
    assert law["correct"] == law["total"] == 10
    assert all(o["correct"] and o["shots"] == 5 for o in law["outcomes"])
    assert not list(run.rglob("*.tmp")), "atomic writes leave no temporary files"


@pytest.mark.second_line
def test_untrained_model_fails_each_subject_in_one_line(run_llm, untrained_model):
    result = run_llm(untrained_model)
    assert result.ret == 1
    result.assert_outcomes(failed=5)
    out = result.stdout.str()
    for subject in SUBJECTS:
        # An untrained model may write nothing that reads as an answer: the line then says so after a "; ".
        line = rf"^ceval-{subject}: accuracy \d+\.\d\d < 60\.00 \(\d+/10 correct\)(; no answer found in .+)?$"
        assert re.search(line, out, re.MULTILINE), subject
    assert "llmeval gate FAILED" in out
    assert re.search(r"^  ceval: average \d+\.\d\d < 80\.00 \(naive average of 5 subjects\)$", out, re.MULTILINE)
    assert "Traceback" not in out and "AssertionError" not in out


def test_group_threshold_alone_fails_the_run(project, run_llm, untrained_model):
    """No subject thresholds: every item passes, yet the group and overall averages gate the exit status."""
    project.path.joinpath("llmeval_sample.toml").write_text(
        '[[dataset]]\nconfig = "ceval_gen"\nsubjects = ["law", "marxism"]\n'
        '[dataset.thresholds]\n"ceval-humanities" = 90.0\nceval = 90.0\n',
        encoding="utf-8",
    )
    result = run_llm(untrained_model)
    assert result.ret == 1
    result.assert_outcomes(passed=2)
    result.stdout.re_match_lines(
        [
            r"llmeval gate FAILED: 2 group threshold\(s\) not met \(exit status 1\):",
            r"  ceval-humanities: average \d+\.\d\d < 90\.00 \(naive average of 1 subject\)",
            r"  ceval: average \d+\.\d\d < 90\.00 \(naive average of 2 subjects\)",
        ]
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("ceval-law", ["law"]),
        ("stem", ["computer_network", "high_school_physics"]),
        ("hard", ["high_school_physics"]),
        ("ceval", SUBJECTS),
    ],
)
def test_keyword_selection(project, expression, expected):
    result = run_pytest(project, "--collect-only", "-q", "-k", expression)
    collected = sorted(line.rsplit("::", 1)[1] for line in result.stdout.lines if "::" in line)
    assert collected == sorted(f"ceval-{s}" for s in expected)


def test_without_a_model_items_are_skipped(project):
    result = run_pytest(project, "-rs")
    assert result.ret == 0
    result.assert_outcomes(skipped=5)
    result.stdout.fnmatch_lines(["*no --llm-model given*"])
    assert not (project.path / "outputs").exists()


@pytest.mark.second_line
def test_chat_template_prompts(run_llm, tiny_model, last_run):
    result = run_llm(tiny_model, "--llm-hf-type", "chat", "-k", "law")
    assert result.ret == 0, result.stdout.str()
    (prediction_file,) = (last_run() / "predictions").rglob("ceval-law.json")
    prompt = read_json(prediction_file)["0"]["origin_prompt"]
    assert prompt.startswith("<|im_start|>user\n以下是中国关于法学考试")
    assert "<|im_end|>\n<|im_start|>assistant\nB<|im_end|>\n" in prompt
    assert prompt.endswith("答案: <|im_end|>\n<|im_start|>assistant\n")
    assert not prompt.startswith("<s>")


def test_short_max_seq_len_drops_trailing_shots(project, run_llm, tiny_model, last_run):
    """Shots are dropped from the end until the prompt fits --llm-max-seq-len."""
    # Shots are dropped only until a prompt fits 200 tokens, then it is cut to 200 - 16 = 184: 5 of law's 10
    # prompts lose their ending, text the tiny model was never trained on, so its answers to them are luck
    # (4 of 5 right on one machine). 5/10 would be under the sample's 60% threshold: gated on it, the exit
    # status would be luck too. So the suite here has no thresholds and the run must exit 0.
    project.path.joinpath("llmeval_sample.toml").write_text(
        '[[dataset]]\nconfig = "ceval_gen"\nsubjects = ["law"]\n', encoding="utf-8"
    )
    result = run_llm(tiny_model, "--llm-max-seq-len", "200")
    assert result.ret == 0, result.stdout.str()
    record = read_json(last_run() / "llmeval.json")
    outcomes = record["subjects"][0]["outcomes"]
    assert all(o["shots"] < 5 for o in outcomes)
    assert all(o["prompt_tokens"] <= 200 or o["shots"] == 0 for o in outcomes)
    (prediction_file,) = (last_run() / "predictions").rglob("ceval-law.json")
    prompt = read_json(prediction_file)["0"]["origin_prompt"]
    assert prompt.count("以下是中国关于法学考试") == outcomes[0]["shots"] + 1


def test_limit_evaluates_the_first_questions(run_llm, tiny_model, last_run):
    result = run_llm(tiny_model, "--llm-limit", "3")
    assert result.ret == 0
    record = read_json(last_run() / "llmeval.json")
    assert {s["total"] for s in record["subjects"]} == {3}
    assert [o["index"] for o in record["subjects"][0]["outcomes"]] == [0, 1, 2]


def test_datasets_option_runs_without_a_suite_file(all_subjects_project, run_llm, tiny_model, last_run):
    """--llm-datasets ceval_gen needs all 52 subjects; here every one is a small generated file."""
    result = run_llm(tiny_model, "--llm-datasets", "ceval_gen", "--llm-limit", "1", "--llm-max-out-len", "2")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=52)
    (csv_file,) = (last_run() / "summary").glob("summary_*.csv")
    rows = csv_file.read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == 52 + 6
    assert [r.split(",")[0] for r in rows[52:]] == GROUPS
    assert rows[0].startswith("ceval-computer_network,db9ce2,accuracy,gen,")


def test_model_fixture_serves_users_own_tests(project, run_llm, tiny_model):
    example = Path(__file__).resolve().parents[1] / "examples" / "test_model_fixture.py"
    project.path.joinpath(example.name).write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_llm(tiny_model, "-p", "no:randomly", example.name)
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=2)


def test_a_model_with_nothing_to_run_says_so(project, run_llm, untrained_model):
    project.path.joinpath("llmeval_sample.toml").unlink()
    result = run_llm(untrained_model)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["llmeval: --llm-model was given but no subject ran: put a llmeval*.toml suite*"])


def test_deselected_subjects_are_not_part_of_the_run(run_llm, tiny_model, last_run, project):
    """-k leaves subjects out of the run: no rows for them, in the terminal or the reports; one line counts them."""
    result = run_llm(tiny_model, "-k", "law", "--llm-report-md=report.md", "--llm-report-html=report.html")
    assert result.ret == 0, result.stdout.str()
    out = result.stdout.str()
    assert re.search(r"^ceval-law\s+a110a1\s+accuracy\s+gen\s+100\.00", out, re.MULTILINE)
    for subject in ("computer_network", "high_school_physics", "marxism", "accountant"):
        assert f"ceval-{subject}" not in out
    result.stdout.fnmatch_lines(
        [
            "ceval-stem * 0/2 subjects ran",
            "ceval * 1/5 subjects ran",
            "4 subjects deselected (-k/-m) and left out of the table",
        ]
    )
    assert "not run" not in out
    markdown = (project.path / "report.md").read_text(encoding="utf-8")
    assert "ceval-marxism" not in markdown and "4 subjects deselected (-k/-m) and left out of the table." in markdown
    html = (project.path / "report.html").read_text(encoding="utf-8")
    assert "ceval-marxism" not in html and "4 subjects deselected" in html
    record = read_json(last_run() / "llmeval.json")
    assert [row["dataset"] for row in record["table"]][:1] == ["ceval-law"] and len(record["table"]) == 1 + len(GROUPS)
    assert record["complete"] is True and record["shared_prefix"] == "on"


@pytest.mark.parametrize(
    ("kwargs", "shown"), [((), True), (("--llm-model-kwargs", "torch_dtype=torch.float16"), False)]
)
def test_header_says_when_the_dtype_differs_from_opencompass(run_llm, tiny_model, kwargs, shown):
    result = run_llm(tiny_model, "--collect-only", *kwargs)
    line = (
        "llmeval: float32 on CPU, where OpenCompass loads float16: predictions can differ from OpenCompass's; "
        "--llm-model-kwargs torch_dtype=torch.float16 runs its dtype"
    )
    from pytest_llmeval.backends.devices import gpu_visible

    # On a GPU the default is OpenCompass's float16 already.
    assert (line in result.stdout.str().splitlines()) == (shown and not gpu_visible()), result.stdout.str()
