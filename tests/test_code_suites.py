"""HumanEval and MBPP end to end on the real data: OpenCompass's prompts and versions, consent, and pass@1 from
programs run in the sandbox.

The data is never part of the project: these tests skip without the shared data folder (``LLMEVAL_SHARED``
points elsewhere). The model is ``tiny_base``'s, taught on the first problems of both configs to answer with the
data's own reference solutions in each config's format, a wrong one every fourth problem: so exactly 3 of every 4
programs pass, and a score of 75 proves that prompts, post-processing, program assembly and execution all line up.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from checkpoints import Store

from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.datasets.templates import flatten_chatml, flatten_plain, render_pieces
from pytest_llmeval.reports.markdown import cell

SHARED = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"
NEEDED = (DATA / "humaneval" / "human-eval-v2-20210705.jsonl", DATA / "mbpp" / "mbpp.jsonl")
pytestmark = pytest.mark.skipif(not all(p.exists() for p in NEEDED), reason=f"no HumanEval/MBPP data at {DATA}")

LIMIT = "4"


def only_plan(config: str):
    (plan,) = plan_subjects(make_spec("test", config), DATA, None)
    return plan


def render(plan, row: int, chat: bool = False) -> str:
    config = plan.spec.config
    pieces = render_pieces(config.infer_config(plan.subject), [], config.benchmark.fields(plan.questions[row], ""))
    return flatten_chatml(pieces, "gen") if chat else flatten_plain(pieces)


def test_rows_versions_and_prompts_are_opencompass_s():
    humaneval, mbpp = only_plan("humaneval_gen"), only_plan("mbpp_gen")
    assert (humaneval.abbr, humaneval.version, len(humaneval.questions)) == ("openai_humaneval", "8e312c", 164)
    assert (mbpp.abbr, mbpp.version, len(mbpp.questions)) == ("mbpp", "1e1056", 500)
    first = humaneval.questions[0]
    assert first.answer == "HumanEval/0"  # the gold is the task id
    assert render(humaneval, 0) == "Complete the following python code:\n" + first.question
    assert render(humaneval, 0, chat=True) == (
        f"<|im_start|>user\nComplete the following python code:\n{first.question}<|im_end|>\n<|im_start|>assistant\n"
    )
    # MBPP's test split starts at the file's 11th row; its asserts are joined by a bare newline.
    task = dict(mbpp.questions[0].columns)
    assert task["task_id"] == "11"
    prompt = render(mbpp, 0)
    assert prompt.startswith("You are an expert Python programmer, and here is your task: Write a function to find")
    assert "  return (res)' \n[DONE] \n\n \nYou are an expert" in prompt  # the shot's BOT text, then "\n"
    assert prompt.endswith(f"{task['text']} Your code should pass these tests:\n\n {task['test_list']}  \n\n[BEGIN]\n")
    assert "\r\n" in prompt  # the shots' code keeps its real CR LF line ends
    # Chat: the last round's BOT text ("[BEGIN]\n") is dropped.
    assert render(mbpp, 0, chat=True).endswith(f"{task['test_list']}  \n<|im_end|>\n<|im_start|>assistant\n")


@pytest.fixture(scope="session")
def code_model(checkpoints: Store) -> Path:
    """Taught the first problems' reference solutions (every fourth wrong) in both configs' formats."""
    from pytest_llmeval.tiny_base import build_base_model

    configs = ("humaneval_gen", "mbpp_gen")
    return checkpoints.get(
        "code", build_base_model, DATA, per_item=int(LIMIT), wrong_every=4, context=600, configs=configs
    )


@pytest.fixture
def code_run(pytester: pytest.Pytester, code_model: Path, monkeypatch: pytest.MonkeyPatch):
    pytester.makeini("[pytest]\n")
    (pytester.path / "model").symlink_to(code_model, target_is_directory=True)
    # A secret in the run's environment: no program may see it.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-code-suite-secret-0451")

    def run(*args: str) -> pytest.RunResult:
        time.sleep(1.05)  # run folders are named by the second
        served = any(arg.startswith("--llm-backend") for arg in args)
        return pytester.runpytest_subprocess(
            "-p",
            "no:cacheprovider",
            *([] if served else ["--llm-model=model"]),
            f"--llm-data-dir={DATA}",
            "--llm-datasets",
            "humaneval_gen",
            "mbpp_gen",
            f"--llm-limit={LIMIT}",
            "--llm-cache-dir=cache",
            # The model learnt each prompt's last 600 characters: MBPP's long few-shot prompts are cut to them.
            "--llm-max-seq-len=700",
            "--llm-tokenizer-kwargs=truncation_side=left",
            *args,
        )

    return run


def test_without_consent_nothing_runs(code_run, pytester: pytest.Pytester):
    # -k code selects both code items; without -rs, as CI shows it, the reason must still be there.
    result = code_run("-k", "code", "--llm-report-md=report.md", "--llm-report-html=report.html")
    text = result.stdout.str()
    assert result.ret == 0, text  # no threshold on them: listed, not failed
    result.assert_outcomes(skipped=2)
    line = "openai_humaneval, mbpp: not run — model-written code needs --llm-allow-code-exec (ini llm_allow_code_exec = true)"
    assert line in text.splitlines()
    assert cell(line) in (pytester.path / "report.md").read_text(encoding="utf-8")  # Markdown-escaped
    assert 'id="not-run"' in (pytester.path / "report.html").read_text(encoding="utf-8")
    assert "sandbox" not in text.split("collected")[0]  # no probe, no header line without consent
    assert not list((pytester.path / "outputs").rglob("predictions/*/*.json"))  # nothing generated either


def test_pass_at_1_from_programs_run_in_the_sandbox(code_run, pytester: pytest.Pytester):
    result = code_run("--llm-allow-code-exec", "-p", "xdist", "-n", "2", "--llm-save-baseline=base.json")
    text = result.stdout.str()
    assert result.ret == 0, text + result.stderr.str()
    assert "--llm-allow-code-exec: code suites run model-written programs" in text
    folder = max((pytester.path / "outputs" / "llmeval").iterdir())
    results = folder / "results" / "model"
    assert json.loads((results / "openai_humaneval.json").read_text()) == {"humaneval_pass@1": 75.0}
    assert json.loads((results / "mbpp.json").read_text()) == {
        "pass": 3,
        "timeout": 0,
        "failed": 0,
        "wrong_answer": 1,
        "score": 75.0,
    }
    csv = (folder / "summary" / f"summary_{folder.name}.csv").read_text()
    assert "openai_humaneval,8e312c,humaneval_pass@1,gen,75.00" in csv
    assert "mbpp,1e1056,score,gen,75.00" in csv

    predictions = json.loads((folder / "predictions" / "model" / "openai_humaneval.json").read_text())
    assert [row["program_outcome"] for row in predictions.values()] == [
        "passed",
        "passed",
        "passed",
        "failed: AssertionError",
    ]
    assert [row["gold"] for row in predictions.values()] == [f"HumanEval/{n}" for n in range(4)]
    mbpp = json.loads((folder / "predictions" / "model" / "mbpp.json").read_text())
    assert [row["program_outcome"] for row in mbpp.values()] == ["passed"] * 3 + ["failed: AssertionError"]
    record = json.loads((folder / "llmeval.json").read_text())
    wrong = next(o for s in record["subjects"] if s["abbr"] == "mbpp" for o in s["outcomes"] if not o["correct"])
    assert wrong["answer"] == "def find_Volume(*args):\n    return None"  # the code that ran, post-processed
    # The secret never reached a program, a file or the log; no work directory was left behind.
    everything = text + result.stderr.str() + "".join(p.read_text() for p in folder.rglob("*.json"))
    assert "sk-code-suite-secret-0451" not in everything
    # A baseline pairs problems by pass/fail, as it pairs questions by right/wrong.
    baseline = json.loads((pytester.path / "base.json").read_text())
    verdicts = {abbr: [v[0] for v in subject["questions"].values()] for abbr, subject in baseline["subjects"].items()}
    assert {abbr: sorted(v) for abbr, v in verdicts.items()} == {"openai_humaneval": [0, 1, 1, 1], "mbpp": [0, 1, 1, 1]}


@pytest.fixture(scope="module")
def served_code_model(code_model: Path, tmp_path_factory: pytest.TempPathFactory):
    from conftest import serve

    yield from serve(code_model, tmp_path_factory)


def test_a_server_s_completions_are_judged_the_same_way(code_run, served_code_model, pytester: pytest.Pytester):
    base, name = served_code_model
    server = ["--llm-backend=openai", f"--llm-api-base={base}", f"--llm-api-model={name}", "--llm-tokenizer=model"]
    result = code_run("--llm-allow-code-exec", *server)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    folder = max((pytester.path / "outputs" / "llmeval").iterdir())
    results = folder / "results" / name.split("/")[-1]
    assert json.loads((results / "openai_humaneval.json").read_text()) == {"humaneval_pass@1": 75.0}
    # A server is sent whole prompts (it truncates nothing), so MBPP's long ones reach past what the model learnt;
    # its problems are still all run and counted.
    mbpp = json.loads((results / "mbpp.json").read_text())
    assert sum(mbpp[key] for key in ("pass", "timeout", "failed", "wrong_answer")) == 4
