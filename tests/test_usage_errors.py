"""Bad input stops the run with one line naming the value and the fix, before any model loads."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

USAGE = pytest.ExitCode.USAGE_ERROR
COLLECTION = pytest.ExitCode.INTERRUPTED  # a bad suite or data file is reported as a collection error


def output(result: pytest.RunResult) -> str:
    return result.stdout.str() + result.stderr.str()


def assert_clean(result: pytest.RunResult, code: int, line: str) -> None:
    text = output(result)
    assert result.ret == code, text
    assert line in text, text
    assert "Traceback" not in text and "INTERNALERROR" not in text, text
    assert "model load" not in text, "no model may load before input is validated"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--llm-model", "missing"], "--llm-model: missing does not exist; give the directory that holds the model"),
        (
            ["--llm-model", "data"],
            "--llm-model: data holds no model (config.json and weights) (expected config.json in it)",
        ),
        (["--llm-batch-size", "four"], "--llm-batch-size: 'four' is not a positive integer"),
        (["--llm-max-seq-len", "0"], "--llm-max-seq-len: '0' is not a positive integer"),
        (
            ["--llm-max-out-len", "4096"],
            "--llm-max-out-len: 4096 leaves no room for a prompt within --llm-max-seq-len 2048",
        ),
        (["--llm-model-kwargs", "device_map"], "--llm-model-kwargs: 'device_map' is not a key=value pair"),
        (["--llm-hf-type", "instruct"], "--llm-hf-type: 'instruct' is not one of base, chat"),
        (
            ["--llm-datasets", "ceval_foo"],
            "--llm-datasets: unknown dataset config 'ceval_foo'; did you mean ceval_ppl or ceval_gen? known: ceval_gen, ",
        ),
        (
            ["--llm-custom-infer-method=ppl"],
            "--llm-custom-infer-method applies to --llm-custom-dataset PATH, which is not given",
        ),
        (
            ["--llm-custom-dataset=exam.csv", "--llm-custom-data-type=mc"],
            "--llm-custom-data-type: 'mc' is not one of mcq, qa",
        ),
        (["--llm-custom-dataset=exam.csv"], "exam.csv not found"),
        (["--llm-max-drop", "-1"], "--llm-max-drop: '-1' is negative; give 0 or more points"),
        (["--llm-max-drop", "two"], "--llm-max-drop: 'two' is not a number of points, 0 or more, e.g. 1.0"),
        (["--llm-alpha", "5"], "--llm-alpha: '5' is not between 0 and 1 (exclusive); e.g. 0.05"),
        (["--llm-notify-format", "slack"], "--llm-notify-format: 'slack' is not one of lark, json"),
        (
            ["--llm-notify", "hooks.example.com/abc-TOKEN"],
            "--llm-notify: the value given is not an http(s) URL; give the webhook's full address",
        ),
        (["--llm-report-html", "data"], "--llm-report-html: data is a folder; give a file path"),
    ],
)
def test_bad_option_values(project, args, line):
    assert_clean(project.runpytest_subprocess(*args), USAGE, line)


def test_chat_type_needs_a_chat_template(project):
    tokenizer = project.mkdir("plain-model")
    (tokenizer / "config.json").write_text("{}", encoding="utf-8")
    (tokenizer / "tokenizer_config.json").write_text("{}", encoding="utf-8")
    result = project.runpytest_subprocess("--llm-model", "plain-model", "--llm-hf-type", "chat")
    assert_clean(result, USAGE, "--llm-hf-type chat: the tokenizer in plain-model has no chat template")


def test_ini_values_are_checked_like_options(project):
    project.makeini("[pytest]\nllm_batch_size = -2\n")
    assert_clean(project.runpytest_subprocess(), USAGE, "--llm-batch-size: '-2' is not a positive integer")


def test_missing_data_dir_says_where_the_data_goes(run_llm, untrained_model):
    result = run_llm(untrained_model, "--llm-data-dir", "nowhere")
    assert_clean(
        result, USAGE, "--llm-data-dir: nowhere/ceval/formal_ceval not found, needed by ceval_gen; unzip OpenCompass's"
    )
    assert "no subject ran" not in output(result)


def test_missing_data_dir_with_datasets_option_is_a_usage_error(project, run_llm, untrained_model):
    project.path.joinpath("llmeval_sample.toml").unlink()
    result = run_llm(untrained_model, "--llm-datasets", "ceval_gen", "--llm-data-dir", "nowhere")
    assert_clean(result, USAGE, "nowhere/ceval/formal_ceval not found")


def test_datasets_option_names_the_first_missing_subject_file(project, run_llm, untrained_model):
    project.path.joinpath("llmeval_sample.toml").unlink()
    result = run_llm(untrained_model, "--llm-datasets", "ceval_gen")
    # The sample data holds 5 of the 52 subjects; the first absent one in table order is named.
    assert_clean(result, USAGE, "operating_system_dev.csv not found (94 file(s) missing)")


@pytest.mark.parametrize(
    ("suite", "line"),
    [
        (
            '[[dataset]]\nconfig = "ceval_gen"\n[dataset.thresholds]\nceval = 120\n',
            "threshold ceval = 120 is outside 0-100",
        ),
        (
            '[[dataset]]\nconfig = "ceval_gen"\n[dataset.thresholds]\n"ceval-lawyer" = 50\n',
            "threshold 'ceval-lawyer' names no subject or group",
        ),
        ('[[dataset]]\nconfig = "ceval_gen"\nsubjects = ["lawyer"]\n', "unknown subject 'lawyer'"),
        ('[[dataset]]\nconfig = "ceval_pl"\n', "unknown dataset config 'ceval_pl'; did you mean ceval_ppl"),
        ("[[dataset]\n", "not valid TOML"),
    ],
)
def test_bad_suite_files(project, suite, line):
    project.path.joinpath("llmeval_sample.toml").write_text(suite, encoding="utf-8")
    result = project.runpytest_subprocess()
    assert_clean(result, COLLECTION, line)


def test_csv_missing_a_column_names_file_and_column(project, run_llm, untrained_model):
    path = project.path / "data" / "ceval" / "formal_ceval" / "val" / "law_val.csv"
    text = path.read_text(encoding="utf-8").replace("id,question,A,B,C,D,answer", "id,question,A,B,C,answer", 1)
    path.write_text(text, encoding="utf-8")
    result = run_llm(untrained_model)
    assert_clean(result, COLLECTION, "law_val.csv: missing column 'D'")


def test_csv_bad_answer_names_the_row(project, run_llm, untrained_model):
    path = project.path / "data" / "ceval" / "formal_ceval" / "dev" / "marxism_dev.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index("answer")] = "E"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = run_llm(untrained_model)
    assert_clean(result, COLLECTION, "marxism_dev.csv:2: row 0 has answer 'E'; expected one of A, B, C, D")


def copy_model(project: pytest.Pytester, source, name: str) -> str:
    target = project.path / name
    shutil.copytree(source, target)
    return name


def test_model_without_weights(project, untrained_model):
    name = copy_model(project, untrained_model, "no-weights")
    (project.path / name / "model.safetensors").unlink()
    result = project.runpytest_subprocess("--llm-model", name)
    assert_clean(result, USAGE, "--llm-model: no-weights has config.json but no weights")


def test_unknown_dtype(run_llm, untrained_model):
    result = run_llm(untrained_model, "--llm-model-kwargs", "torch_dtype=torch.float64")
    assert_clean(result, USAGE, "--llm-model-kwargs: torch_dtype='torch.float64' is not one of torch.float16")


def test_remote_code_needs_trust_remote_code(project, untrained_model):
    name = copy_model(project, untrained_model, "remote-code")
    config_file = project.path / name / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config.update(model_type="internlm2", auto_map={"AutoModelForCausalLM": "modeling_internlm2.InternLM2ForCausalLM"})
    config_file.write_text(json.dumps(config), encoding="utf-8")
    result = project.runpytest_subprocess("--llm-model", name)
    assert_clean(result, USAGE, "ships its own model code (auto_map in config.json); allow it with --llm-model-kwargs")


def test_dataset_declared_twice(project):
    project.path.joinpath("llmeval_more.toml").write_text('[[dataset]]\nconfig = "ceval_gen"\n', encoding="utf-8")
    result = project.runpytest_subprocess()
    assert_clean(result, COLLECTION, "ceval_gen is already declared in")


def test_broken_weights_stop_the_run_with_one_line(project, untrained_model):
    """A model that cannot load fails the first subject in one line and stops: no second attempt, no traceback."""
    name = copy_model(project, untrained_model, "broken")
    (project.path / name / "model.safetensors").write_bytes(b"not a safetensors file")
    result = project.runpytest_subprocess("--llm-model", name, "-k", "law or marxism")
    text = output(result)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, text
    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines(
        [r"^--llm-model broken: could not load: \w+: .+", r".*llmeval stopped the run: --llm-model broken: .*"]
    )
    assert "Traceback" not in text
