"""The fault catalog: every way a run can go wrong that a user meets, one row each, provoked for real.

A row names the fault, how it is provoked, the line the user sees (``…`` stands for the parts that vary),
the exit status, and what must be on disk afterwards. ``test_fault`` runs every row against a user's
repo (the sample data and suite, real tiny checkpoints) and checks all four, plus what holds for every
row: no Python traceback unless the row asks for one with ``--tb=long``.

The table in docs/troubleshooting.md is these rows; ``test_the_docs_list_the_catalog`` keeps the two
equal. ``python tests/test_fault_catalog.py`` prints the table.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # run as a script: the helpers beside this file

from checkpoints import Store
from hostile_code import build_hostile_model, problem
from odd_models import always_emits, byte_token, without_pad_and_eos
from remote_code import with_remote_model

from conftest import run_in_process

OK, FAILED, STOPPED, USAGE = 0, 1, 2, 4  # pytest's exit statuses; 2 is a collection error or an interrupt
TROUBLESHOOTING = Path(__file__).resolve().parents[1] / "docs" / "troubleshooting.md"
# Read at import, before pytester points HOME at each test's own folder: a hostile program must not write here.
REAL_HOME = Path.home()


# --- the lab: a user's repo and the ways to hurt it --------------------------------------------------------


@dataclass
class Lab:
    """A user's repo with the sample data and suite, and the session's tiny models on demand."""

    project: pytest.Pytester
    request: pytest.FixtureRequest
    tries: dict[str, tuple[int, str]] = field(default_factory=dict)  # runs of a row that makes several

    @property
    def path(self) -> Path:
        return self.project.path

    def model(self, fixture: str) -> str:
        """A link in the repo to a session-built model; relative, so pytest's rootdir stays in the repo."""
        link = self.path / fixture.removesuffix("_model")
        if not link.exists():
            link.symlink_to(self.request.getfixturevalue(fixture), target_is_directory=True)
        return link.name

    def copy_model(self, fixture: str, name: str) -> Path:
        return shutil.copytree(self.request.getfixturevalue(fixture), self.path / name)

    def run(self, *args: str, own_process: bool = False) -> pytest.RunResult:
        """pytest in the user's repo, in this process unless the row needs a process of its own.

        In process, a row costs what the plugin does, not a fresh interpreter importing torch and transformers;
        the user sees the same lines and exit status either way. A row takes its own process when what it
        provokes would reach this one: a signal, a conftest that patches the standard library, the sandbox.
        """
        options = ("-p", "no:cacheprovider", "-p", "no:randomly", *args)
        if own_process:
            return self.project.runpytest_subprocess(*options, timeout=600)
        return run_in_process(self.project, *options)

    def write(self, name: str, text: str) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def edit(self, name: str, old: str, new: str) -> None:
        target = self.path / name
        text = target.read_text(encoding="utf-8")
        assert old in text, (name, old)
        target.write_text(text.replace(old, new, 1), encoding="utf-8")

    def runs(self) -> list[Path]:
        folder = self.path / "outputs" / "llmeval"
        return sorted(folder.iterdir()) if folder.is_dir() else []

    def last_run(self) -> Path:
        return self.runs()[-1]

    def record(self) -> dict:
        return json.loads((self.last_run() / "llmeval.json").read_text(encoding="utf-8"))

    def predictions(self) -> dict[str, dict]:
        """This run's predictions files, by subject."""
        root = self.last_run() / "predictions"
        folders = list(root.iterdir()) if root.is_dir() else []
        files = folders[0].glob("*.json") if folders else []
        return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in files}


Provoke = Callable[[Lab], pytest.RunResult]
Check = Callable[[Lab, pytest.RunResult], None]


@dataclass(frozen=True)
class Fault:
    """One row of the catalog."""

    id: str
    fault: str  # what went wrong, in the user's words
    says: str  # the line the user sees; "…" where it varies
    status: int
    kept: str  # what is on disk afterwards, in words; ``check`` verifies it
    provoke: Provoke
    check: Check
    traceback: bool = False  # the user asked for one (--tb=long)

    def pattern(self) -> re.Pattern[str]:
        return re.compile(".*".join(re.escape(part) for part in self.says.split("…")))


# --- provocations --------------------------------------------------------------------------------------------


def with_args(*args: str, model: str | None = "tiny_model") -> Provoke:
    def provoke(lab: Lab) -> pytest.RunResult:
        return lab.run(*(["--llm-model", lab.model(model)] if model else []), *args)

    return provoke


def with_suite(text: str) -> Provoke:
    def provoke(lab: Lab) -> pytest.RunResult:
        lab.write("llmeval_sample.toml", text)
        return lab.run("--llm-model", lab.model("untrained_model"))

    return provoke


def with_edit(name: str, old: str, new: str, *args: str) -> Provoke:
    def provoke(lab: Lab) -> pytest.RunResult:
        lab.edit(name, old, new)
        return lab.run("--llm-model", lab.model("untrained_model"), *args)

    return provoke


def with_conftest(code: str, *args: str, model: str = "tiny_model") -> Provoke:
    """A hook in the user's conftest.py provokes the fault at a fixed moment of the run."""

    def provoke(lab: Lab) -> pytest.RunResult:
        lab.project.makeconftest(code)
        # The hook signals its process or patches os.replace: in this process it would hit the test run itself.
        return lab.run("--llm-model", lab.model(model), *args, own_process=True)

    return provoke


def without_suite(*args: str) -> Provoke:
    def provoke(lab: Lab) -> pytest.RunResult:
        (lab.path / "llmeval_sample.toml").unlink()
        return lab.run("--llm-model", lab.model("untrained_model"), *args)

    return provoke


def changed_model(change: Callable[[Path], object], *args: str, source: str = "untrained_model") -> Provoke:
    """A copy of a tiny checkpoint, changed on disk the way a user's checkpoint can be broken."""

    def provoke(lab: Lab) -> pytest.RunResult:
        folder = lab.copy_model(source, "broken")
        change(folder)
        return lab.run("--llm-model", "broken", *args)

    return provoke


def remote_code(fault: str, *args: str) -> Provoke:
    """A tiny checkpoint with its own model code that fails the way real remote code does."""

    def provoke(lab: Lab) -> pytest.RunResult:
        if fault == "import_error":
            from transformers.models.llama import modeling_llama

            if hasattr(modeling_llama, "LlamaFlashAttention2"):
                pytest.skip("this transformers still has LlamaFlashAttention2, which the failing import names")
        with_remote_model(lab.request.getfixturevalue("tiny_model"), lab.path / "rc", fault)
        return lab.run("--llm-model", "rc", "--llm-model-kwargs", "trust_remote_code=True", *args)

    return provoke


def custom_dataset(abbr: str, *args: str, model: str = "silent_model") -> Provoke:
    """The user's own four-question exam, declared in a suite under ``abbr`` with a threshold it misses."""

    def provoke(lab: Lab) -> pytest.RunResult:
        lab.write("exam.csv", EXAM)
        name = json.dumps(abbr)  # TOML basic strings take JSON's escapes
        lab.write(
            "llmeval_sample.toml", f'[[dataset]]\npath = "exam.csv"\nabbr = {name}\nthresholds = {{ {name} = 50.0 }}\n'
        )
        return lab.run("--llm-model", lab.model(model), *args)

    return provoke


def interrupted_under_xdist(lab: Lab) -> pytest.RunResult:
    """A terminal's Ctrl-C reaches the whole process group: the controller and its workers alike."""
    lab.project.makeconftest(SIGNAL_AT.format(subject="ceval-law", action="os.killpg(os.getpgid(0), signal.SIGINT)"))
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--llm-model", lab.model("tiny_model")]
    started = time.perf_counter()
    # A session of its own, so that the signal stays inside the run under test.
    done = subprocess.run(
        [*command, "-n", "2"],
        cwd=lab.path,
        capture_output=True,
        text=True,
        timeout=300,
        start_new_session=True,
        check=False,
    )
    return pytest.RunResult(
        done.returncode, done.stdout.splitlines(), done.stderr.splitlines(), time.perf_counter() - started
    )


# Moments of a run at which the sweep below sends SIGINT, each a conftest of the try's own repo. The first one
# interrupts inside a __del__: Python drops a KeyboardInterrupt raised there ("Exception ignored in"), and the
# run went on to exit 0 before the plugin remembered the signal itself.
INTERRUPT_AT = {
    "swallowed-in-__del__": """
class _Bomb:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(100000):
            pass  # the KeyboardInterrupt is raised here, inside __del__, and dropped

def pytest_runtest_call(item):
    if item.name == "ceval-law":
        _Bomb()
""",
    "in-a-subject": """
def pytest_runtest_call(item):
    if item.name == "ceval-law":
        os.kill(os.getpid(), signal.SIGINT)
""",
    "after-collection": """
def pytest_collection_finish(session):
    os.kill(os.getpid(), signal.SIGINT)
""",
    "at-the-summary": """
@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    os.kill(os.getpid(), signal.SIGINT)
""",
    "writing-llmeval-json": """
_replace = os.replace

def _interrupting(src, dst, *args, **kwargs):
    if str(dst).endswith("llmeval.json"):
        os.kill(os.getpid(), signal.SIGINT)
    return _replace(src, dst, *args, **kwargs)

os.replace = _interrupting
""",
    "printing-the-table": """
@pytest.hookimpl(tryfirst=True)
def pytest_terminal_summary(terminalreporter):
    os.kill(os.getpid(), signal.SIGINT)
""",
    "at-unconfigure": """
def pytest_unconfigure(config):
    os.kill(os.getpid(), signal.SIGINT)
""",
}


def code_without_consent(threshold: float | None) -> Provoke:
    """A one-problem HumanEval suite, run without --llm-allow-code-exec; with a threshold on it or not."""

    def provoke(lab: Lab) -> pytest.RunResult:
        (lab.path / "llmeval_sample.toml").unlink()
        lab.write("data/humaneval/human-eval-v2-20210705.jsonl", _jsonl([problem("loop")]))
        gate = f"\n[dataset.thresholds]\nopenai_humaneval = {threshold}\n" if threshold is not None else ""
        lab.write("llmeval_code.toml", f'[[dataset]]\nconfig = "humaneval_gen"\n{gate}')
        return lab.run("--llm-model", lab.model("tiny_model"))

    return provoke


def not_run_recorded(gated: bool) -> Check:
    """Listed under the table and in llmeval.json; nothing generated, no program run; gated: the run failed."""

    def check(lab: Lab, result: pytest.RunResult) -> None:
        data = lab.record()
        assert data["not_run"] == [
            "openai_humaneval: not run — model-written code needs --llm-allow-code-exec (ini llm_allow_code_exec = true)"
        ]
        assert data["passed"] is (not gated) and bool(data["not_checked"]) is gated
        assert lab.predictions() == {}
        assert "model load" not in output(result)

    return check


def _second_dataset_without_data(lab: Lab) -> pytest.RunResult:
    lab.write("llmeval_math.toml", '[[dataset]]\nconfig = "gsm8k_gen"\n')
    return lab.run("--llm-model", lab.model("untrained_model"))


def interrupted_everywhere(lab: Lab) -> pytest.RunResult:
    """The sample run interrupted at each moment of ``INTERRUPT_AT``, each try in a repo and a session of its own."""
    from pytest_llmeval.demo import SAMPLE_SUITE

    model = lab.request.getfixturevalue("tiny_model")
    tries = {}
    for moment, hook in INTERRUPT_AT.items():
        repo = lab.path / moment
        shutil.copytree(lab.path / "data", repo / "data")
        shutil.copyfile(SAMPLE_SUITE, repo / SAMPLE_SUITE.name)
        (repo / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        (repo / "conftest.py").write_text("import os, signal\n\nimport pytest\n" + hook, encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--llm-model={model}"]
        tries[moment] = subprocess.Popen(
            command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
    lab.tries = {moment: (process.wait(timeout=300), process.stdout.read()) for moment, process in tries.items()}
    status, text = lab.tries["swallowed-in-__del__"]
    return pytest.RunResult(status, text.splitlines(), [], 0.0)


def interrupted_at_every_moment(lab: Lab, result: pytest.RunResult) -> None:
    """Every try exits 2 (the sample model passes every threshold, so no 1 stands in its way), never 0."""
    statuses = {moment: status for moment, (status, _) in lab.tries.items()}
    assert statuses == dict.fromkeys(INTERRUPT_AT, STOPPED), "\n\n".join(
        f"{moment}: exit {status}\n{text[-1500:]}" for moment, (status, text) in lab.tries.items()
    )
    for moment, (_, text) in lab.tries.items():
        # Only the dropped exception has one: pytest's warning about it quotes Python's report, frames and all.
        if moment != "swallowed-in-__del__":
            assert "Traceback" not in text and "INTERNALERROR" not in text, (moment, text)
        assert "llmeval: interrupted (SIGINT, Ctrl-C)" in text or "KeyboardInterrupt" in text, (moment, text)


EXAM = "question,A,B,C,D,answer\n" + "".join(f"Question {n}?,one,two,three,four,{'ABCD'[n]}\n" for n in range(4))

SIGNAL_AT = """
import os, signal

def pytest_runtest_call(item):
    if item.name == "{subject}" and not os.environ.get("LLMEVAL_NO_FAULT"):
        {action}
"""

# A disk that refuses the results files named by ``part``: os.replace is how every result file lands.
REFUSE_WRITES = """
import errno, os

_replace = os.replace

def refused(src, dst, *args, **kwargs):
    if "{part}" in str(dst):
        raise OSError(errno.{code}, os.strerror(errno.{code}), str(dst))
    return _replace(src, dst, *args, **kwargs)

os.replace = refused
"""


def refuse_writes(part: str, code: str = "ENOSPC") -> Provoke:
    return with_conftest(REFUSE_WRITES.format(part=part, code=code))


def _drop_template(folder: Path) -> None:
    """The tokenizer without its chat template (transformers 5 keeps it in its own file, 4.x in the config)."""
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    config_file = folder / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config.pop("chat_template", None)
    config_file.write_text(json.dumps(config), encoding="utf-8")


def _claim_remote_code(folder: Path) -> None:
    config_file = folder / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config.update(model_type="internlm2", auto_map={"AutoModelForCausalLM": "modeling_internlm2.InternLM2ForCausalLM"})
    config_file.write_text(json.dumps(config), encoding="utf-8")


def _bad_ini_value(lab: Lab) -> pytest.RunResult:
    lab.project.makeini("[pytest]\nllm_batch_size = -2\n")
    return lab.run("--llm-model", lab.model("tiny_model"))


def _blocked_output_dir(lab: Lab) -> pytest.RunResult:
    lab.write("blocker", "a file where the output folder should go")
    return lab.run("--llm-model", lab.model("tiny_model"), "--llm-output-dir", "blocker/out")


def _declared_twice(lab: Lab) -> pytest.RunResult:
    lab.write("llmeval_more.toml", '[[dataset]]\nconfig = "ceval_gen"\n')
    return lab.run()


def _ppl_and_gen_together(lab: Lab) -> pytest.RunResult:
    return lab.run("--llm-model", lab.model("untrained_model"), "--llm-datasets", "ceval_ppl", "ceval_gen")


def _bad_answer(lab: Lab) -> pytest.RunResult:
    lab.edit("data/ceval/formal_ceval/dev/marxism_dev.csv", "个人与社会的关系问题,A,", "个人与社会的关系问题,E,")
    return lab.run("--llm-model", lab.model("untrained_model"))


def _gsm8k_row_without_final_number(lab: Lab) -> pytest.RunResult:
    rows = [{"question": "1+1?", "answer": "1+1=2\n#### 2"}, {"question": "2+2?", "answer": "It is 4."}]
    lab.write("data/gsm8k/test.jsonl", "".join(json.dumps(row) + "\n" for row in rows))
    return lab.run("--llm-model", lab.model("untrained_model"), "--llm-datasets", "gsm8k_gen")


def _bbh_without_prompt_file(lab: Lab) -> pytest.RunResult:
    from pytest_llmeval.datasets.bbh import TASKS

    for task in TASKS:
        lab.write(f"data/BBH/data/{task.key}.json", json.dumps({"examples": [{"input": "x", "target": "(A)"}]}))
        if task.key != "snarks":
            lab.write(f"data/BBH/lib_prompt/{task.key}.txt", "Examples.\n\nQ: y\nA: So the answer is (A).")
    return lab.run("--llm-model", lab.model("untrained_model"), "--llm-datasets", "bbh_gen")


def _math_json_a_list(lab: Lab) -> pytest.RunResult:
    lab.write("data/math/math.json", json.dumps([{"problem": "1+1", "solution": "$\\boxed{2}$"}]))
    return lab.run("--llm-model", lab.model("untrained_model"), "--llm-datasets", "math_gen")


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def _hellaswag_row_with_three_choices(lab: Lab) -> pytest.RunResult:
    rows = [
        {"query": "Cooking: He cracks an egg", "choices": ["into a bowl.", "at it.", "on it.", "off it."], "gold": 0},
        {"query": "Cooking: She stirs the soup", "choices": ["with a spoon.", "at it.", "on it."], "gold": 0},
    ]
    lab.write("data/hellaswag/hellaswag.jsonl", _jsonl(rows))
    return lab.run("--llm-model", lab.model("untrained_model"), "--llm-datasets", "hellaswag_ppl")


def _arc_answer_key_not_a_label(lab: Lab) -> pytest.RunResult:
    choices = [{"label": label, "text": text} for label, text in zip("ABCD", ["rock", "sand", "clay", "silt"])]
    rows = [
        {"question": {"stem": "Which is largest?", "choices": choices}, "answerKey": "A"},
        {"question": {"stem": "Which is finest?", "choices": choices}, "answerKey": "E"},
    ]
    lab.write("data/ARC/ARC-c/ARC-Challenge-Dev.jsonl", _jsonl(rows))
    return lab.run("--llm-model", lab.model("untrained_model"), "--llm-datasets", "ARC_c_ppl")


def _winogrande_answer_not_1_or_2(lab: Lab) -> pytest.RunResult:
    rows = [
        {"sentence": "The cup fit in the box as the _ was small.", "option1": "cup", "option2": "box", "answer": "1"},
        {"sentence": "The ball broke the vase as the _ was hard.", "option1": "ball", "option2": "vase", "answer": "3"},
    ]
    lab.write("data/winogrande/dev.jsonl", _jsonl(rows))
    return lab.run("--llm-model", lab.model("untrained_model"), "--llm-datasets", "winogrande_ll")


def _piqa_without_labels(lab: Lab) -> pytest.RunResult:
    lab.write("data/piqa/dev.jsonl", _jsonl([{"goal": "Open a jar", "sol1": "Twist the lid.", "sol2": "Pull it."}]))
    return lab.run("--llm-model", lab.model("untrained_model"), "--llm-datasets", "piqa_ppl")


def _tokenizer_without_pad_or_eos(lab: Lab) -> pytest.RunResult:
    without_pad_and_eos(lab.request.getfixturevalue("tiny_model"), lab.path / "broken")
    return lab.run("--llm-model", "broken")


def _drop_weights(folder: Path) -> None:
    (folder / "model.safetensors").unlink()


def _damage_weights(folder: Path) -> None:
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")


SECRET = "sk-fault-catalog-0451"
WRITTEN = "written-by-a-program.txt"


def hostile_code(kind: str) -> Provoke:
    """The model writes the ``kind`` completion for the one HumanEval problem in the data, with consent given."""

    def provoke(lab: Lab) -> pytest.RunResult:
        (lab.path / "llmeval_sample.toml").unlink()  # the code item alone
        outside = lab.request.getfixturevalue("hostile_outside")
        port = lab.request.getfixturevalue("hostile_listener").getsockname()[1]
        lab.write("data/humaneval/human-eval-v2-20210705.jsonl", _jsonl([problem(kind, outside, REAL_HOME, port)]))
        monkeypatch = lab.request.getfixturevalue("monkeypatch")
        monkeypatch.setenv("OPENAI_API_KEY", SECRET)
        # Work directories go to the lab's own temporary folder: other xdist workers run programs too.
        (lab.path / "tmp").mkdir()
        monkeypatch.setenv("TMPDIR", str(lab.path / "tmp"))
        model = lab.model("hostile_model")
        # The sandbox's own process tree is what these rows test, and a program that escaped would reach the run.
        return lab.run(
            "--llm-model", model, "--llm-datasets", "humaneval_gen", "--llm-allow-code-exec", own_process=True
        )

    return provoke


# --- checks of what is on disk -------------------------------------------------------------------------------


def nothing_written(lab: Lab, result: pytest.RunResult) -> None:
    """Stopped at start-up: no model loaded and no run folder made."""
    assert "model load" not in output(result), "no model may load before input is validated"
    assert lab.runs() == [], "nothing may be written, not even an empty run folder"


def run_files(passed: bool | None = False, subjects: int | None = None) -> Check:
    """The run's record is complete and written in full; its verdict says whether the run passed."""

    def check(lab: Lab, result: pytest.RunResult) -> None:
        data = lab.record()
        assert data["passed"] is passed and data["complete"] is True
        assert list(lab.last_run().rglob("*.tmp")) == [], "no half-written file"
        if subjects is not None:
            assert len(lab.predictions()) == subjects

    return check


def stopped_run(lab: Lab, result: pytest.RunResult) -> None:
    """A run stopped by a failure every subject would repeat: one attempt, a record that did not pass."""
    result.stdout.fnmatch_lines(["*llmeval stopped the run: *"])
    result.assert_outcomes(failed=1)  # one attempt: the later subjects are not tried
    data = lab.record()
    assert data["passed"] is False and data["subjects"] == [] and len(data["errors"]) == 1
    assert data["complete"] is (not data["missing"])
    assert lab.predictions() == {}


def predictions_like(expected: str) -> Check:
    """Every prediction was kept as the model gave it (decoded), and every subject was scored."""

    def check(lab: Lab, result: pytest.RunResult) -> None:
        run_files(passed=False, subjects=5)(lab, result)
        for subject in lab.predictions().values():
            assert {row["prediction"] for row in subject.values()} == {expected}
        assert "\x1b" not in output(result), "a model's output must never reach the terminal raw"

    return check


def interrupted_and_resumed(lab: Lab, result: pytest.RunResult) -> None:
    """Finished subjects are on disk, the run says what is missing, and the next run takes them from the cache."""
    data = lab.record()
    done = set(lab.predictions())
    assert done and "ceval-law" not in done
    assert data["passed"] is False and data["complete"] is False
    assert "ceval-law" in data["missing"] and not set(data["missing"]) & done
    assert {s["abbr"] for s in data["subjects"]} == done
    result.stdout.fnmatch_lines(["*llmeval summary: tiny (INCOMPLETE)*"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LLMEVAL_NO_FAULT", "1")
        again = lab.run("--llm-model", "tiny", "--llm-cache-dir", "cache")
    assert again.ret == OK
    again.stdout.fnmatch_lines([f"main: devices *, 50 questions in *, {10 * len(done)} from the result cache"])
    assert lab.record()["complete"] is True


def interrupted_workers(lab: Lab, result: pytest.RunResult) -> None:
    data = lab.record()
    assert data["passed"] is False and data["complete"] is False and "ceval-law" in data["missing"]
    assert "(INCOMPLETE)" in output(result)
    for name, subject in lab.predictions().items():  # what finished is there, whole
        assert len(subject) == 10, name


def worker_lost(lab: Lab, result: pytest.RunResult) -> None:
    """The other subjects are summarised; the lost one has no value; the overall gate is not checked."""
    data = lab.record()
    assert data["passed"] is False
    [error] = data["errors"]
    assert error.startswith("ceval-law: ") and "crashed" in error
    survivors = {"ceval-computer_network", "ceval-high_school_physics", "ceval-marxism", "ceval-accountant"}
    assert {s["abbr"] for s in data["subjects"]} == survivors == set(lab.predictions())
    result.stdout.re_match_lines([r"^ceval-law\s+-\s+-\s+-\s+-\s+60\.00\s+error\s*$"])
    rows = {row["dataset"]: row for row in data["table"]}
    assert rows["ceval-law"]["value"] is None and rows["ceval"]["value"] is None
    assert "ceval: threshold 80.00 not checked (4/5 subjects ran)" in data["unchecked"]


def summary_files_refused(lab: Lab, result: pytest.RunResult) -> None:
    """The table is printed anyway; no partial summary file; every subject's predictions are kept."""
    result.stdout.fnmatch_lines(["ceval * 100.00 * 80.00 * ok"])
    run = lab.last_run()
    assert not any(p.suffix == ".tmp" for p in run.rglob("*"))
    assert not (run / "summary").exists() or not any((run / "summary").iterdir())
    assert len(lab.predictions()) == 5


def subject_file_refused(lab: Lab, result: pytest.RunResult) -> None:
    """The run stops at the subject whose file could not be written; what finished before it is kept."""
    data = lab.record()
    assert data["passed"] is False and any(e.startswith("ceval-law: ") for e in data["errors"])
    assert not any(p.suffix == ".tmp" for p in lab.last_run().rglob("*"))
    assert "ceval-law" not in lab.predictions()
    for subject in data["subjects"]:
        assert subject["abbr"] in lab.predictions()


def batch_shrunk(lab: Lab, result: pytest.RunResult) -> None:
    run_files(passed=True, subjects=5)(lab, result)
    assert lab.record()["workers"][0]["batch_size"] == 2


def printed_literally(name: str) -> Check:
    """The name is in the table and the failure line as written (colour on), and its results file is named by it."""

    def check(lab: Lab, result: pytest.RunResult) -> None:
        text = output(result)
        assert re.search(rf"^(\x1b\[[0-9;]*m)*{re.escape(name)}\b", text, re.MULTILINE), "the table row"
        assert sum(name in line for line in text.splitlines()) >= 3, "table, failure line, short summary"
        run_files(passed=False)(lab, result)
        assert set(lab.predictions()) == {name}

    return check


def chained_traceback(lab: Lab, result: pytest.RunResult) -> None:
    text = output(result)
    assert "The above exception was the direct cause of the following exception" in text
    assert "SafetensorError" in text or "HeaderTooSmall" in text or "Error" in text
    stopped_run(lab, result)


def nothing_written_nor_shown(secret: str) -> Check:
    def check(lab: Lab, result: pytest.RunResult) -> None:
        nothing_written(lab, result)
        assert secret not in output(result)

    return check


def _blocker_untouched(lab: Lab, result: pytest.RunResult) -> None:
    nothing_written(lab, result)
    assert (lab.path / "blocker").read_text(encoding="utf-8") == "a file where the output folder should go"


def contained(outcome: str) -> Check:
    """The program's outcome is in the predictions file; the run went on and finished; nothing escaped: no file
    outside its directory, the key in no output or file, no process or work directory left behind."""

    def check(lab: Lab, result: pytest.RunResult) -> None:
        run_files(passed=True, subjects=1)(lab, result)
        (row,) = lab.predictions()["openai_humaneval"].values()
        assert row["program_outcome"].startswith(outcome), row["program_outcome"]
        outside = lab.request.getfixturevalue("hostile_outside")
        for folder in (outside, REAL_HOME, Path.home(), lab.path, Path.cwd()):
            assert not (folder / WRITTEN).exists(), folder
        files = [p for p in lab.path.rglob("*") if p.is_file() and "hf-modules" not in p.parts]
        assert SECRET not in output(result)
        assert not any(SECRET.encode() in p.read_bytes() for p in files)
        assert not list((lab.path / "tmp").glob("llmeval-code-*")), "a work directory was left behind"
        assert not _sandbox_processes(lab), "a sandboxed process outlived the run"

    return check


def _sandbox_processes(lab: Lab) -> list[str]:
    """Sandboxed processes of this lab's run: their environment names its temporary folder (other xdist workers
    run programs of their own meanwhile, and an orphan leaves the test's process tree)."""
    mine = str(lab.path / "tmp").encode()
    found = []
    for folder in Path("/proc").glob("[0-9]*"):
        try:
            text = (folder / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if "sandbox_child" in text and mine in (folder / "environ").read_bytes():
                found.append(text)
        except OSError:
            continue
    return found


def output(result: pytest.RunResult) -> str:
    return result.stdout.str() + "\n" + result.stderr.str()


# --- the catalog ---------------------------------------------------------------------------------------------

START = "nothing: no run folder, no model loaded"
CONTAINED = (
    "the program's outcome in the predictions file; nothing outside its deleted work directory, no key in any "
    "output or file, no process left"
)

CATALOG = [
    # Options, before anything loads.
    Fault(
        "model-missing",
        "`--llm-model` names no folder",
        "--llm-model: missing does not exist; give the directory that holds the model",
        USAGE,
        START,
        with_args("--llm-model", "missing", model=None),
        nothing_written,
    ),
    Fault(
        "model-not-a-checkpoint",
        "`--llm-model` names a folder without a model",
        "--llm-model: data holds no model (config.json and weights) (expected config.json in it)",
        USAGE,
        START,
        with_args("--llm-model", "data", model=None),
        nothing_written,
    ),
    Fault(
        "model-without-weights",
        "the checkpoint's weights were not copied",
        "--llm-model: broken has config.json but no weights …",
        USAGE,
        START,
        changed_model(_drop_weights),
        nothing_written,
    ),
    Fault(
        "remote-code-without-consent",
        "the checkpoint ships its own code",
        "ships its own model code (auto_map in config.json); allow it with --llm-model-kwargs …",
        USAGE,
        START,
        changed_model(_claim_remote_code),
        nothing_written,
    ),
    Fault(
        "chat-without-template",
        "`--llm-hf-type chat` with a tokenizer that has no chat template",
        "--llm-hf-type chat: the tokenizer in broken has no chat template; use --llm-hf-type base",
        USAGE,
        START,
        changed_model(_drop_template, "--llm-hf-type", "chat"),
        nothing_written,
    ),
    Fault(
        "batch-size-not-a-number",
        "a numeric option that is not a positive integer",
        "--llm-batch-size: 'four' is not a positive integer",
        USAGE,
        START,
        with_args("--llm-batch-size", "four"),
        nothing_written,
    ),
    Fault(
        "max-seq-len-zero",
        "a zero length",
        "--llm-max-seq-len: '0' is not a positive integer",
        USAGE,
        START,
        with_args("--llm-max-seq-len", "0"),
        nothing_written,
    ),
    Fault(
        "max-out-len-too-long",
        "the answer budget leaves no room for a prompt",
        "--llm-max-out-len: 4096 leaves no room for a prompt within --llm-max-seq-len 2048",
        USAGE,
        START,
        with_args("--llm-max-out-len", "4096"),
        nothing_written,
    ),
    Fault(
        "ini-value",
        "a bad value in the ini file (checked like the option)",
        "--llm-batch-size: '-2' is not a positive integer",
        USAGE,
        START,
        _bad_ini_value,
        nothing_written,
    ),
    Fault(
        "model-kwargs-not-a-pair",
        "a kwargs option without `=`",
        "--llm-model-kwargs: 'device_map' is not a key=value pair …",
        USAGE,
        START,
        with_args("--llm-model-kwargs", "device_map"),
        nothing_written,
    ),
    Fault(
        "unknown-dtype",
        "a dtype transformers does not take",
        "--llm-model-kwargs: torch_dtype='torch.float64' is not one of torch.float16, …",
        USAGE,
        START,
        with_args("--llm-model-kwargs", "torch_dtype=torch.float64"),
        nothing_written,
    ),
    Fault(
        "hf-type-unknown",
        "an unknown `--llm-hf-type`",
        "--llm-hf-type: 'instruct' is not one of base, chat",
        USAGE,
        START,
        with_args("--llm-hf-type", "instruct"),
        nothing_written,
    ),
    Fault(
        "model-abbr-leaves-the-run-folder",
        "a model abbr that would name a folder outside the run folder",
        "--llm-model-abbr: '../up' cannot name a results folder: it holds a path separator; use letters, digits, - and _",
        USAGE,
        START,
        with_args("--llm-model-abbr", "../up"),
        nothing_written,
    ),
    Fault(
        "output-dir-unwritable",
        "the output folder cannot be created",
        "--llm-output-dir: cannot create a run folder in blocker/out (…); choose a writable folder with --llm-output-dir",
        USAGE,
        "nothing: the blocking file is untouched",
        _blocked_output_dir,
        _blocker_untouched,
    ),
    Fault(
        "dataset-unknown",
        "an unknown dataset config",
        "--llm-datasets: unknown dataset config 'ceval_foo'; did you mean ceval_ppl or ceval_gen? known: …",
        USAGE,
        START,
        with_args("--llm-datasets", "ceval_foo"),
        nothing_written,
    ),
    Fault(
        "data-dir-missing",
        "the data folder is not where the suite looks",
        "--llm-data-dir: nowhere/ceval/formal_ceval not found, needed by ceval_gen; unzip OpenCompass's …",
        USAGE,
        START,
        with_args("--llm-data-dir", "nowhere", model="untrained_model"),
        nothing_written,
    ),
    Fault(
        "data-dir-missing-datasets-option",
        "the same, with `--llm-datasets` instead of a suite",
        "--llm-data-dir: nowhere/ceval/formal_ceval not found, needed by ceval_gen; …",
        USAGE,
        START,
        without_suite("--llm-datasets", "ceval_gen", "--llm-data-dir", "nowhere"),
        nothing_written,
    ),
    Fault(
        "data-missing-for-one-dataset",
        "one of several configured datasets has no data folder (a second suite file declares `gsm8k_gen`)",
        "--llm-data-dir: data/gsm8k not found, needed by gsm8k_gen; …",
        USAGE,
        START,
        _second_dataset_without_data,
        nothing_written,
    ),
    Fault(
        "code-without-consent",
        "a code suite selected without `--llm-allow-code-exec`, no threshold on it",
        "openai_humaneval: not run — model-written code needs --llm-allow-code-exec (ini llm_allow_code_exec = true)",
        OK,
        "llmeval.json lists the item under not_run; no prediction, no program run",
        code_without_consent(None),
        not_run_recorded(gated=False),
    ),
    Fault(
        "code-without-consent-gated",
        "the same, with a threshold on the code suite: a gate that did not run",
        "openai_humaneval: threshold 10.0… not checked: openai_humaneval not run — model-written code needs …",
        FAILED,
        "llmeval.json: passed false, the threshold under not_checked; no prediction, no program run",
        code_without_consent(10.0),
        not_run_recorded(gated=True),
    ),
    Fault(
        "data-file-missing",
        "`--llm-datasets` selects subjects whose files are absent",
        "operating_system_dev.csv not found (94 file(s) missing)",
        USAGE,
        START,
        without_suite("--llm-datasets", "ceval_gen"),
        nothing_written,
    ),
    Fault(
        "custom-option-without-dataset",
        "a custom-dataset option without the dataset",
        "--llm-custom-infer-method applies to --llm-custom-dataset PATH, which is not given",
        USAGE,
        START,
        with_args("--llm-custom-infer-method=ppl"),
        nothing_written,
    ),
    Fault(
        "custom-data-type-unknown",
        "an unknown custom data type",
        "--llm-custom-data-type: 'mc' is not one of mcq, qa",
        USAGE,
        START,
        with_args("--llm-custom-dataset=exam.csv", "--llm-custom-data-type=mc"),
        nothing_written,
    ),
    Fault(
        "custom-dataset-missing",
        "`--llm-custom-dataset` names no file",
        "--llm-custom-dataset: …/exam.csv not found",
        USAGE,
        START,
        with_args("--llm-custom-dataset=exam.csv"),
        nothing_written,
    ),
    Fault(
        "max-drop-negative",
        "a negative allowed drop",
        "--llm-max-drop: '-1' is negative; give 0 or more points",
        USAGE,
        START,
        with_args("--llm-max-drop", "-1"),
        nothing_written,
    ),
    Fault(
        "max-drop-not-a-number",
        "an allowed drop that is not a number",
        "--llm-max-drop: 'two' is not a number of points, 0 or more, e.g. 1.0",
        USAGE,
        START,
        with_args("--llm-max-drop", "two"),
        nothing_written,
    ),
    Fault(
        "alpha-out-of-range",
        "a significance level outside (0, 1)",
        "--llm-alpha: '5' is not between 0 and 1 (exclusive); e.g. 0.05",
        USAGE,
        START,
        with_args("--llm-alpha", "5"),
        nothing_written,
    ),
    Fault(
        "notify-format-unknown",
        "an unknown webhook format",
        "--llm-notify-format: 'slack' is not one of lark, json",
        USAGE,
        START,
        with_args("--llm-notify-format", "slack"),
        nothing_written,
    ),
    Fault(
        "notify-not-a-url",
        "a webhook that is not a URL (the value is never echoed: it holds a token)",
        "--llm-notify: the value given is not an http(s) URL; give the webhook's full address",
        USAGE,
        START,
        with_args("--llm-notify", "hooks.example.com/abc-TOKEN"),
        nothing_written_nor_shown("TOKEN"),
    ),
    Fault(
        "report-path-is-a-folder",
        "a report path that is a folder",
        "--llm-report-html: data is a folder; give a file path",
        USAGE,
        START,
        with_args("--llm-report-html", "data"),
        nothing_written,
    ),
    # Suite and data files: collection errors, before anything loads.
    Fault(
        "threshold-out-of-range",
        "a threshold that is not a percentage",
        "threshold ceval = 120 is outside 0-100",
        STOPPED,
        START,
        with_suite('[[dataset]]\nconfig = "ceval_gen"\n[dataset.thresholds]\nceval = 120\n'),
        nothing_written,
    ),
    Fault(
        "threshold-names-nothing",
        "a threshold for a subject or group the dataset does not have",
        "threshold 'ceval-lawyer' names no subject or group …",
        STOPPED,
        START,
        with_suite('[[dataset]]\nconfig = "ceval_gen"\n[dataset.thresholds]\n"ceval-lawyer" = 50\n'),
        nothing_written,
    ),
    Fault(
        "subject-unknown",
        "a suite lists a subject the dataset does not have",
        "unknown subject 'lawyer'",
        STOPPED,
        START,
        with_suite('[[dataset]]\nconfig = "ceval_gen"\nsubjects = ["lawyer"]\n'),
        nothing_written,
    ),
    Fault(
        "suite-config-unknown",
        "a suite names an unknown dataset config",
        "unknown dataset config 'ceval_pl'; did you mean ceval_ppl …",
        STOPPED,
        START,
        with_suite('[[dataset]]\nconfig = "ceval_pl"\n'),
        nothing_written,
    ),
    Fault(
        "suite-not-toml",
        "a suite file that is not TOML",
        "llmeval_sample.toml: not valid TOML …",
        STOPPED,
        START,
        with_suite("[[dataset]\n"),
        nothing_written,
    ),
    Fault(
        "dataset-declared-twice",
        "two suite files declare the same dataset",
        "ceval_gen is already declared in …; declare each dataset once per run",
        STOPPED,
        START,
        _declared_twice,
        nothing_written,
    ),
    Fault(
        "ppl-and-gen-of-one-dataset",
        "a ppl and a gen config of one dataset in one run (their items and files share names)",
        "--llm-datasets: ceval_ppl and ceval_gen both evaluate C-Eval under the same item and file names; run them "
        "in separate sessions",
        USAGE,
        START,
        _ppl_and_gen_together,
        nothing_written,
    ),
    Fault(
        "csv-column-missing",
        "a data file lacks a column",
        "law_val.csv: missing column 'D' …",
        STOPPED,
        START,
        with_edit("data/ceval/formal_ceval/val/law_val.csv", "id,question,A,B,C,D,answer", "id,question,A,B,C,answer"),
        nothing_written,
    ),
    Fault(
        "csv-answer-not-an-option",
        "a data row's answer is not an option letter",
        "marxism_dev.csv:2: row 0 has answer 'E'; expected one of A, B, C, D",
        STOPPED,
        START,
        _bad_answer,
        nothing_written,
    ),
    Fault(
        "gsm8k-answer-without-final-number",
        "a GSM8K answer without `#### ` before its number",
        'data/gsm8k/test.jsonl:2: row 1: the answer has no "#### " before its final number (GSM8K answers end …',
        USAGE,
        START,
        _gsm8k_row_without_final_number,
        nothing_written,
    ),
    Fault(
        "bbh-prompt-file-missing",
        "a BBH task's prompt file is missing",
        "--llm-data-dir: data/BBH/lib_prompt/snarks.txt not found (1 file(s) missing); restore the data …",
        USAGE,
        START,
        _bbh_without_prompt_file,
        nothing_written,
    ),
    Fault(
        "math-json-not-an-object",
        "`math.json` is not an object of problems",
        'data/math/math.json: expected a JSON object of problems ({"0": {"problem", "level", "type", "solution"}, …',
        USAGE,
        START,
        _math_json_a_list,
        nothing_written,
    ),
    Fault(
        "hellaswag-row-with-three-choices",
        "a HellaSwag row without four endings",
        "data/hellaswag/hellaswag.jsonl:2: row 1 has 3 choices; hellaswag rows have 4",
        USAGE,
        START,
        _hellaswag_row_with_three_choices,
        nothing_written,
    ),
    Fault(
        "arc-answer-key-not-a-label",
        "an ARC answerKey that is none of its choices' labels",
        'data/ARC/ARC-c/ARC-Challenge-Dev.jsonl:2: row 1 has answerKey "E", not one of its choices\' labels '
        '("A", "B", "C", "D"); set it to the right choice\'s label',
        USAGE,
        START,
        _arc_answer_key_not_a_label,
        nothing_written,
    ),
    Fault(
        "piqa-labels-file-missing",
        "PIQA's `dev-labels.lst` is missing",
        "data/piqa/dev-labels.lst: file not found; PIQA keeps the labels of dev.jsonl beside it in dev-labels.lst, "
        "one per line",
        USAGE,
        START,
        _piqa_without_labels,
        nothing_written,
    ),
    Fault(
        "winogrande-answer-not-1-or-2",
        'a Winogrande answer that is not "1" or "2" (`winogrande_ll`)',
        'data/winogrande/dev.jsonl:2: row 1 has answer "3"; winogrande answers are "1" or "2"',
        USAGE,
        START,
        _winogrande_answer_not_1_or_2,
        nothing_written,
    ),
    Fault(
        "abbr-leaves-the-run-folder",
        "a dataset abbr that would write outside the run folder",
        "abbr '../../outside' cannot name a results file: it holds a path separator; use letters, digits, - and _",
        STOPPED,
        START,
        custom_dataset("../../outside"),
        nothing_written,
    ),
    Fault(
        "abbr-with-terminal-escape",
        "a dataset abbr holding a terminal escape sequence",
        "abbr 'exam\\x1b[2J' cannot name a results file: it holds a control character; use letters, digits, - and _",
        STOPPED,
        START,
        custom_dataset("exam\x1b[2J"),
        nothing_written_nor_shown("\x1b"),
    ),
    Fault(
        "abbr-with-direction-override",
        "a dataset abbr holding a right-to-left override",
        "abbr 'exam\\u202e' cannot name a results file: it holds a control character; use letters, digits, - and _",
        STOPPED,
        START,
        custom_dataset("exam\u202e"),
        nothing_written_nor_shown("\u202e"),
    ),
    # Loading the model: the first subject fails with one line, and the run stops.
    Fault(
        "weights-unreadable",
        "the weights file is damaged",
        "--llm-model broken: could not load: …",
        FAILED,
        "the table and llmeval.json (passed: false, the error, the subjects not run); no predictions",
        changed_model(_damage_weights, "-k", "law or marxism"),
        stopped_run,
    ),
    Fault(
        "weights-unreadable-long-traceback",
        "the same, with `--tb=long`: the original exception is shown, then the line",
        "--llm-model broken: could not load: …",
        FAILED,
        "the table and llmeval.json (passed: false, the error, the subjects not run); no predictions",
        changed_model(_damage_weights, "-k", "law", "--tb=long"),
        chained_traceback,
        traceback=True,
    ),
    Fault(
        "tokenizer-without-pad-or-eos",
        "a tokenizer with neither a pad nor an eos token",
        "--llm-tokenizer broken: the tokenizer has neither a pad nor an eos token; name one with --llm-tokenizer-kwargs pad_token=<token> …",
        FAILED,
        "the table and llmeval.json (passed: false, the error, the subjects not run); no predictions",
        _tokenizer_without_pad_or_eos,
        stopped_run,
    ),
    Fault(
        "remote-code-import-error",
        "the model's own code does not import on this transformers",
        "--llm-model rc: could not load: the model's own code (trust_remote_code) does not run on transformers …",
        FAILED,
        "the table and llmeval.json (passed: false, the error, the subjects not run); no predictions",
        remote_code("import_error"),
        stopped_run,
    ),
    Fault(
        "remote-code-missing-package",
        "the model's own code imports a package that is not installed",
        "--llm-model rc: could not load: missing Python package llmeval_absent_package: pip install llmeval_absent_package (InternLM2: pip install 'pytest-llm-regression[internlm2]')",
        FAILED,
        "the table and llmeval.json (passed: false, the error, the subjects not run); no predictions",
        remote_code("missing_package"),
        stopped_run,
    ),
    # Mid-run.
    Fault(
        "remote-code-get-max-length",
        "InternLM2's code on transformers 4.49-4.57 (`get_max_length`)",
        "ceval-…: the model's own code (trust_remote_code) calls get_max_length, which transformers … no longer has: pip install transformers==4.48.3 …",
        FAILED,
        "the table and llmeval.json (passed: false, the error, the subjects not run); no predictions",
        remote_code("get_max_length"),
        stopped_run,
    ),
    Fault(
        "out-of-memory",
        "out of memory mid-generation at a fixed batch size (simulated)",
        "ceval-…: out of memory at --llm-batch-size 4: lower --llm-batch-size (e.g. 2), or --llm-max-seq-len, …",
        FAILED,
        "the table and llmeval.json (passed: false, the error, the subjects not run); no predictions",
        remote_code("out_of_memory_above_2"),
        stopped_run,
    ),
    Fault(
        "out-of-memory-auto",
        "the same with `--llm-batch-size auto`: the batch halves until it fits",
        "main: devices cpu, 1 model load(s) in …, batch size 2 (auto)",
        OK,
        "every subject's predictions; llmeval.json (passed: true)",
        remote_code("out_of_memory_above_2", "--llm-batch-size", "auto"),
        batch_shrunk,
    ),
    Fault(
        "model-says-nothing",
        "the model ends its answer at once",
        "ceval-…: accuracy 0.00 < … (0/10 correct); every prediction is empty: the model ended at once or emitted only special tokens (check --llm-hf-type and the chat template)",
        FAILED,
        "every subject's predictions (empty strings), llmeval.json (passed: false)",
        with_args(model="silent_model"),
        predictions_like(""),
    ),
    Fault(
        "model-emits-special-tokens",
        "the model emits only special tokens",
        "ceval-…: accuracy 0.00 < … (0/10 correct); every prediction is empty: …",
        FAILED,
        "every subject's predictions (empty strings), llmeval.json (passed: false)",
        with_args(model="special_model"),
        predictions_like(""),
    ),
    Fault(
        "model-emits-invalid-utf8",
        "the model emits bytes that are not UTF-8",
        "ceval-…: accuracy 0.00 < … (0/10 correct); no answer found in any prediction, e.g. '\ufffd\ufffd…' (\ufffd stands for bytes that are not UTF-8)",
        FAILED,
        "every subject's predictions (U+FFFD for each bad byte), llmeval.json (passed: false)",
        with_args(model="bad_utf8_model"),
        predictions_like("\ufffd" * 16),
    ),
    Fault(
        "model-emits-terminal-escapes",
        "the model emits terminal escape sequences",
        "ceval-…: accuracy 0.00 < … (0/10 correct); no answer found in any prediction, e.g. '\\x1b\\x1b…'",
        FAILED,
        "every subject's predictions (the raw text), llmeval.json (passed: false)",
        with_args(model="escape_model"),
        predictions_like("\x1b" * 16),
    ),
    Fault(
        "markup-in-a-name",
        "rich markup in a dataset's name",
        "[bold red]exam: accuracy … < 50.00 (…/4 correct); every prediction is empty: …",
        FAILED,
        "the dataset's predictions under its own name; llmeval.json (passed: false)",
        custom_dataset("[bold red]exam", "--color=yes"),
        printed_literally("[bold red]exam"),
    ),
    Fault(
        "right-to-left-name",
        "a right-to-left dataset name",
        "מבחן: accuracy … < 50.00 (…/4 correct); every prediction is empty: …",
        FAILED,
        "the dataset's predictions under its own name; llmeval.json (passed: false)",
        custom_dataset("מבחן", "--color=yes"),
        printed_literally("מבחן"),
    ),
    Fault(
        "ctrl-c-at-any-moment",
        "Ctrl-C at any moment of a run: after collection, in a subject, inside a `__del__` that drops the exception, "
        "at the summary, writing llmeval.json, printing the table, at unconfigure",
        "llmeval: interrupted (SIGINT, Ctrl-C): the run does not count as passed, whatever finished",
        STOPPED,
        "every file written whole; the run never exits 0",
        interrupted_everywhere,
        interrupted_at_every_moment,
        traceback=True,  # Python reports the dropped exception ("Exception ignored in"), with its frames
    ),
    Fault(
        "ctrl-c",
        "Ctrl-C in the middle of a subject",
        "llmeval: run INCOMPLETE: … selected subject(s) have no result …ceval-law…",
        STOPPED,
        "finished subjects' predictions; llmeval.json (complete: false, passed: false, missing: …); the next run takes them from the cache",
        with_conftest(
            SIGNAL_AT.format(subject="ceval-law", action="os.kill(os.getpid(), signal.SIGINT)"),
            "--llm-cache-dir",
            "cache",
        ),
        interrupted_and_resumed,
    ),
    Fault(
        "ctrl-c-under-xdist",
        "Ctrl-C under `-n 2`",
        "llmeval: run INCOMPLETE: … selected subject(s) have no result …",
        STOPPED,
        "finished subjects' predictions, whole; llmeval.json (complete: false, passed: false)",
        interrupted_under_xdist,
        interrupted_workers,
    ),
    Fault(
        "worker-killed",
        "a worker killed (SIGKILL, the OOM killer) under `-n 2`",
        "worker 'gw…' crashed while running 'llmeval_sample.toml::ceval_gen::ceval-law'",
        FAILED,
        "the other subjects' predictions; llmeval.json (passed: false, the error; overall gate not checked)",
        with_conftest(SIGNAL_AT.format(subject="ceval-law", action="os.kill(os.getpid(), signal.SIGKILL)"), "-n", "2"),
        worker_lost,
    ),
    Fault(
        "disk-full-at-predictions",
        "the disk fills while a subject's predictions are written (simulated)",
        "ceval-law: cannot write …/ceval-law.json (No space left on device): free space, or choose a writable --llm-output-dir",
        FAILED,
        "earlier subjects' predictions; no partial file; llmeval.json (passed: false, the error)",
        refuse_writes("ceval-law.json"),
        subject_file_refused,
    ),
    Fault(
        "read-only-at-predictions",
        "the output folder turns read-only mid-run (simulated)",
        "ceval-law: cannot write …/ceval-law.json (Read-only file system): free space, or choose a writable --llm-output-dir",
        FAILED,
        "earlier subjects' predictions; no partial file; llmeval.json (passed: false, the error)",
        refuse_writes("ceval-law.json", "EROFS"),
        subject_file_refused,
    ),
    Fault(
        "disk-full-at-summary",
        "the disk fills while the run's summary files are written (simulated)",
        "llmeval: cannot write the run's result files in … (…No space left on device…); free space or choose a writable --llm-output-dir: the table above is this run's only record",
        FAILED,
        "every subject's predictions; no partial summary file; the table in the log",
        refuse_writes("/summary/"),
        summary_files_refused,
    ),  # Model-written code, run with --llm-allow-code-exec: scored as OpenCompass scores it, and contained.
    Fault(
        "code-endless-loop",
        "a model-written program loops forever (`--llm-allow-code-exec`)",
        "openai_humaneval programs: 0 passed, 0 failed, 1 timed out, 0 killed",
        OK,
        CONTAINED,
        hostile_code("loop"),
        contained("timed out"),
    ),
    Fault(
        "code-fork-bomb",
        "a model-written program forks without end",
        "openai_humaneval programs: 0 passed, 1 failed (PermissionError 1), 0 timed out, 0 killed",
        OK,
        CONTAINED,
        hostile_code("fork"),
        contained("failed: PermissionError: os.fork is not allowed"),
    ),
    Fault(
        "code-unbounded-memory",
        "a model-written program allocates without bound",
        "openai_humaneval programs: 0 passed, 1 failed (MemoryError 1), 0 timed out, 0 killed",
        OK,
        CONTAINED,
        hostile_code("hoard"),
        contained("failed: MemoryError"),
    ),
    Fault(
        "code-endless-output",
        "a model-written program prints without end",
        "openai_humaneval programs: 0 passed, 0 failed, 1 timed out, 0 killed",
        OK,
        CONTAINED,
        hostile_code("chatter"),
        contained("timed out"),
    ),
    Fault(
        "code-endless-recursion",
        "a model-written program recurses without end",
        "openai_humaneval programs: 0 passed, 1 failed (RecursionError 1), 0 timed out, 0 killed",
        OK,
        CONTAINED,
        hostile_code("recurse"),
        contained("failed: RecursionError"),
    ),
    Fault(
        "code-exits-early",
        "a model-written program calls `sys.exit(0)` before its tests run",
        "openai_humaneval programs: 0 passed, 1 failed (SystemExit 1), 0 timed out, 0 killed",
        OK,
        CONTAINED,
        hostile_code("exit"),
        contained("failed: SystemExit"),
    ),
    Fault(
        "code-kills-its-parent",
        "a model-written program signals its parent and its process group",
        "openai_humaneval programs: 0 passed, 1 failed (PermissionError 1), 0 timed out, 0 killed",
        OK,
        CONTAINED,
        hostile_code("parricide"),
        contained("failed: PermissionError: os.kill is not allowed"),
    ),
    Fault(
        "code-writes-beside-the-repo",
        "a model-written program writes a file beside the repository",
        "openai_humaneval programs: 0 passed, 1 failed (PermissionError 1), 0 timed out, 0 killed",
        OK,
        CONTAINED,
        hostile_code("litter"),
        contained("failed: PermissionError: writing '"),
    ),
    Fault(
        "code-writes-home",
        "a model-written program writes into the home directory",
        "openai_humaneval programs: 0 passed, 1 failed (PermissionError 1), 0 timed out, 0 killed",
        OK,
        CONTAINED,
        hostile_code("home"),
        contained("failed: PermissionError: writing '"),
    ),
    Fault(
        "code-reads-the-api-key",
        "a model-written program prints the API key's variable",
        "openai_humaneval programs: 0 passed, 1 failed (ValueError 1), 0 timed out, 0 killed",
        OK,
        CONTAINED,
        hostile_code("snoop"),
        contained("failed: ValueError: no key"),
    ),
    Fault(
        "code-opens-a-socket",
        "a model-written program connects to 127.0.0.1",
        "openai_humaneval programs: 0 passed, 1 failed (PermissionError 1), 0 timed out, 0 killed",
        OK,
        CONTAINED,
        hostile_code("dial"),
        contained("failed: PermissionError: socket.connect is not allowed"),
    ),
    Fault(
        "code-syntax-error",
        "a model-written program does not parse",
        "openai_humaneval programs: 0 passed, 1 failed (SyntaxError 1), 0 timed out, 0 killed",
        OK,
        CONTAINED,
        hostile_code("garbled"),
        contained("failed: SyntaxError"),
    ),
]


# --- the tests -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def silent_model(tiny_model: Path, checkpoints: Store) -> Path:
    """Ends every answer at once: its first token is always the end-of-text token."""
    return checkpoints.get("silent", always_emits, tiny_model, "</s>")


@pytest.fixture(scope="session")
def special_model(tiny_model: Path, checkpoints: Store) -> Path:
    """Emits only a special token (never the end of text), which decoding drops."""
    return checkpoints.get("special", always_emits, tiny_model, "<|im_start|>")


@pytest.fixture(scope="session")
def bad_utf8_model(tiny_model: Path, checkpoints: Store) -> Path:
    """Emits the lead byte of a three-byte UTF-8 character, over and over: never a whole character."""
    return checkpoints.get("badutf8", always_emits, tiny_model, byte_token(tiny_model, 0xE4))


@pytest.fixture(scope="session")
def escape_model(tiny_model: Path, checkpoints: Store) -> Path:
    """Emits ESC, the byte that starts every terminal escape sequence."""
    return checkpoints.get("escape", always_emits, tiny_model, byte_token(tiny_model, 0x1B))


@pytest.fixture(scope="session")
def hostile_model(checkpoints: Store) -> Path:
    """Answers each hostile HumanEval problem with its completion (``hostile_code.HOSTILE``)."""
    return checkpoints.get("hostile", build_hostile_model)


@pytest.fixture(scope="module")
def hostile_outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder beside the labs' repos, which a hostile program tries to write into."""
    return tmp_path_factory.mktemp("beside-the-repo")


@pytest.fixture(scope="module")
def hostile_listener() -> Iterator[socket.socket]:
    """A port on 127.0.0.1 that a hostile program dials; it must never see a connection."""
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    try:
        connection, _ = server.accept()
    except BlockingIOError:
        connection = None
    server.close()
    assert connection is None, "a sandboxed program reached a socket on 127.0.0.1"


MODELS = ("tiny_model", "untrained_model", "silent_model", "special_model", "bad_utf8_model", "escape_model")


@pytest.fixture
def models_first(request: pytest.FixtureRequest, heavy_imports: None) -> None:
    """The row's models, looked up before its pytester starts (pytest sets up fixtures in argument order):
    pytester unloads the modules a test imports, and torch cannot be imported twice in one process."""
    for name in MODELS:
        request.getfixturevalue(name)
    if request.node.get_closest_marker("sandbox"):
        request.getfixturevalue("hostile_model")


@pytest.fixture
def lab(
    models_first: None, project: pytest.Pytester, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Lab:
    monkeypatch.setenv("HF_MODULES_CACHE", str(project.path / "hf-modules"))  # remote code stays in the test
    return Lab(project, request)


def test_the_catalog_is_large_and_distinct():
    assert len(CATALOG) >= 25
    assert len({row.id for row in CATALOG}) == len(CATALOG)
    assert SECOND_LINE <= {row.id for row in CATALOG}


# Rows whose outcome rests on how transformers loads, runs or decodes a checkpoint: CI's second transformers
# line runs them again. The others check options, data files, signals, disks or the sandbox, which no
# transformers version touches.
SECOND_LINE = frozenset(
    {
        "remote-code-without-consent",
        "chat-without-template",
        "weights-unreadable",
        "weights-unreadable-long-traceback",
        "tokenizer-without-pad-or-eos",
        "remote-code-import-error",
        "remote-code-missing-package",
        "remote-code-get-max-length",
        "out-of-memory",
        "out-of-memory-auto",
        "model-says-nothing",
        "model-emits-special-tokens",
        "model-emits-invalid-utf8",
        "model-emits-terminal-escapes",
    }
)


def _param(row: Fault) -> object:
    marks = {START: [pytest.mark.startup], CONTAINED: [pytest.mark.sandbox]}.get(row.kept, [])
    if row.id in SECOND_LINE:
        marks = [*marks, pytest.mark.second_line]
    return pytest.param(row, id=row.id, marks=marks)


@pytest.mark.parametrize("row", [_param(row) for row in CATALOG])
def test_fault(lab: Lab, row: Fault) -> None:
    result = row.provoke(lab)
    text = output(result)
    assert result.ret == row.status, f"exit status {result.ret}, expected {row.status}:\n{text[-4000:]}"
    lines = text.splitlines()
    assert any(row.pattern().search(line) for line in lines), f"no line matches {row.says!r}:\n{text[-4000:]}"
    if not row.traceback:
        assert "Traceback" not in text and "INTERNALERROR" not in text and "\nE   " not in text, text[-4000:]
    row.check(lab, result)


# --- the table in docs/troubleshooting.md --------------------------------------------------------------------

HEADER = "| fault | you see | exit | on disk afterwards |\n| --- | --- | --- | --- |\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table() -> str:
    return HEADER + "".join(
        f"| {_cell(row.fault)} | `{_cell(row.says)}` | {row.status} | {_cell(row.kept)} |\n" for row in CATALOG
    )


def docs_table() -> str:
    text = TROUBLESHOOTING.read_text(encoding="utf-8")
    section = text.split("# Troubleshooting\n", 1)[1].split("\n## ", 1)[0]
    start = section.index(HEADER)
    end = section.find("\n\n", start)
    return section[start : end + 1 if end != -1 else None]


def test_the_docs_list_the_catalog():
    """docs/troubleshooting.md's table is the catalog, row for row (regenerate: python tests/test_fault_catalog.py)."""
    assert docs_table() == markdown_table()


if __name__ == "__main__":
    sys.stdout.write(markdown_table())
