"""The shared-prefix paths on every cache convention a checkpoint's own code may use, and the probe guarding them.

The checkpoints, and the cache convention of each one's code:

- the tiny Llama (``tiny_model``): transformers' ``Cache`` objects in and out;
- ``../shared/models/tiny-internlm2``: InternLM2's own code (transformers 4.48.x only): converts a legacy tuple to
  a ``DynamicCache`` on the way in, and returns tuples when it was handed tuples or nothing;
- ``tuple_only_model`` (``remote_code.py``): code that knows tuples and nothing else
  (``past_key_values[0][0].shape[2]``), refusing a ``Cache``; transformers 4.x only, since 5.x refuses tuples;
- two that cannot continue exactly: ``cache_style="none"`` returns no cache at all (4.x only), and the
  ``positions_from_cache`` fault numbers positions from the cache's length, wrong after padding (both lines).

The first three must pass the load-time probe and give the same predictions with the shared prefix on and off, on
every question of every config, and the same under ``-n 2``; the last two must be refused by the probe, say so, and
run the reference path. The end-to-end runs use the real C-Eval and MMLU files from ``../shared/data``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from fnmatch import fnmatch
from importlib.metadata import version
from pathlib import Path

import pytest
from remote_code import tuple_only_model, with_remote_model

from pytest_llmeval.settings import Settings

pytestmark = pytest.mark.second_line  # CI runs this file again on the transformers 4.48 line

SHARED = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"
INTERNLM2 = SHARED / "models" / "tiny-internlm2"
EXAMS = Path(__file__).resolve().parents[1] / "examples" / "custom" / "exams" / "law.csv"
TRANSFORMERS_5 = int(version("transformers").split(".")[0]) >= 5
CONSENT = ("--llm-model-kwargs", "trust_remote_code=True", "--llm-tokenizer-kwargs", "trust_remote_code=True")

needs_tuples = pytest.mark.skipif(
    TRANSFORMERS_5, reason="transformers 5 hands every model a Cache object and refuses legacy tuple caches"
)


def load(path: Path):
    from pytest_llmeval.backends.hf import HFBackend

    kwargs = {"trust_remote_code": True}
    return HFBackend.load(
        Settings(model=path, tokenizer=path, model_abbr="x", model_kwargs=kwargs, tokenizer_kwargs=kwargs)
    )


@pytest.fixture(scope="module")
def modules_cache(tmp_path_factory: pytest.TempPathFactory):
    """Where transformers copies remote code, for this module's processes: kept in a temporary folder."""
    folder = tmp_path_factory.mktemp("hf-modules")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_MODULES_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="module")
def internlm2(modules_cache: Path) -> Path:
    """The shared checkpoint, read in place (its folder may be read-only); skipped where its code cannot run."""
    if not (INTERNLM2 / "config.json").is_file():
        pytest.skip(f"no tiny InternLM2 checkpoint at {INTERNLM2}")
    if TRANSFORMERS_5:
        pytest.skip(
            f"transformers {version('transformers')} cannot import InternLM2's code (the internlm2 extra pins 4.48.3)"
        )
    pytest.importorskip("sentencepiece", reason="InternLM2's tokenizer needs the internlm2 extra")
    pytest.importorskip("einops", reason="InternLM2's model code needs the internlm2 extra")
    return INTERNLM2


@pytest.fixture(scope="module")
def tuple_only(untrained_model: Path, tmp_path_factory: pytest.TempPathFactory, modules_cache: Path) -> Path:
    if TRANSFORMERS_5:
        pytest.skip("transformers 5 hands every model a Cache object and refuses legacy tuple caches")
    return tuple_only_model(untrained_model, tmp_path_factory.mktemp("tuple-only") / "model")


@pytest.fixture(scope="module")
def no_cache(untrained_model: Path, tmp_path_factory: pytest.TempPathFactory, modules_cache: Path) -> Path:
    if TRANSFORMERS_5:
        pytest.skip("transformers 5 hands every model a Cache object and refuses legacy tuple caches")
    return tuple_only_model(untrained_model, tmp_path_factory.mktemp("no-cache") / "model", cache_style="none")


@pytest.fixture(scope="module")
def positions_from_cache(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return with_remote_model(tiny_model, tmp_path_factory.mktemp("positions") / "model", "positions_from_cache")


# ---- the probe, in process ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("checkpoint", "returns_tuples"),
    [("tiny_model", False), ("internlm2", True), ("tuple_only", True)],
)
def test_exact_conventions_pass_the_probe(request, checkpoint, returns_tuples):
    import torch

    backend = load(request.getfixturevalue(checkpoint))
    assert backend.prefix_cache_off is None
    ids = backend.tokenizer("以下是中国关于计算机网络考试的单项选择题")["input_ids"]
    _, cache = backend._prefix(ids[:6])
    assert isinstance(cache, tuple) == returns_tuples, type(cache)
    if checkpoint == "tuple_only":
        from transformers import DynamicCache

        with pytest.raises(TypeError, match="must be a tuple"):
            backend.model(input_ids=torch.tensor([ids[6:8]]), past_key_values=DynamicCache())


@pytest.mark.parametrize(
    ("checkpoint", "reason"),
    [
        ("no_cache", "the model returned no cache with use_cache=True"),
        (
            "positions_from_cache",
            (
                "generate from a prefix cache gives logits up to * away from the whole prompt's (largest logit *, "
                "tolerance 0.001 of it)"
            ),
        ),
    ],
)
def test_the_probe_refuses_what_cannot_continue_exactly(request, checkpoint, reason):
    backend = load(request.getfixturevalue(checkpoint))
    assert backend.prefix_cache_off is not None and fnmatch(backend.prefix_cache_off, reason), backend.prefix_cache_off


def test_the_switch_skips_the_probe(tiny_model):
    from pytest_llmeval.backends.hf import HFBackend

    settings = Settings(model=tiny_model, tokenizer=tiny_model, model_abbr="x", prefix_cache=False)
    assert HFBackend.load(settings).prefix_cache_off is None


# ---- the seed command, end to end ---------------------------------------------------------------------------------

# Each run: its datasets and the subjects selected, two questions each. high_school_chinese's long prompts drop
# shots at 2048 tokens, so its questions do not all share one prefix; exams is the custom dataset (exams.csv).
RUNS = {
    "gen": (
        "--llm-datasets", "ceval_gen", "mmlu_ppl", "--llm-custom-dataset=exams.csv",
        "-k", "computer_network or high_school_chinese or abstract_algebra or exams",
    ),
    "ppl": (
        "--llm-datasets", "ceval_ppl", "mmlu_gen", "--llm-custom-dataset=exams.csv", "--llm-custom-infer-method=ppl",
        "-k", "computer_network or abstract_algebra or exams",
    ),
    "zero-shot": ("--llm-datasets", "ceval_zero_shot_gen", "-k", "computer_network or high_school_chinese"),
    "chat": ("--llm-hf-type=chat", "--llm-datasets", "ceval_gen", "mmlu_gen", "-k", "computer_network or abstract_algebra"),
    "preset": (
        "--llm-preset=hf_internlm2_chat_1_8b", "--llm-max-out-len=16", "--llm-datasets", "ceval_gen",
        "-k", "computer_network or high_school_chinese",
    ),
}  # fmt: skip
# A gen and a ppl config: both shared-prefix paths turned off.
REFUSED = ("--llm-datasets", "ceval_gen", "mmlu_ppl", "-k", "computer_network or abstract_algebra")
QUESTIONS = {"gen": 8, "ppl": 6, "zero-shot": 4, "chat": 4, "preset": 4}


@pytest.fixture
def real_repo(pytester: pytest.Pytester) -> pytest.Pytester:
    if not (DATA / "ceval" / "formal_ceval").is_dir() or not (DATA / "mmlu").is_dir():
        pytest.skip(f"no C-Eval and MMLU data under {DATA}")
    pytester.makeini("[pytest]\n")
    shutil.copyfile(EXAMS, pytester.path / "exams.csv")
    return pytester


def seed_run(repo: pytest.Pytester, model: Path, *args: str) -> dict:
    """The seed command with ``args``; the run's llmeval.json."""
    before = set((repo.path / "outputs" / "llmeval").glob("*"))
    cache = () if "--llm-no-cache" in args else ("--llm-cache-dir=results-cache",)
    result = repo.runpytest_subprocess(
        f"--llm-model={model}",
        *CONSENT,
        f"--llm-data-dir={DATA}",
        "--llm-limit=2",
        "-p",
        "no:cacheprovider",
        *cache,
        *args,
        timeout=600,
    )
    assert result.ret in (0, 1), result.stdout.str()
    assert "Traceback" not in result.stdout.str()
    (run,) = set((repo.path / "outputs" / "llmeval").glob("*")) - before
    record = json.loads((run / "llmeval.json").read_text(encoding="utf-8"))
    record["stdout"] = result.stdout.str()
    time.sleep(1.05)  # run folders are named by the second
    return record


def answers(record: dict) -> dict[tuple[str, int], tuple[str, tuple[float, ...]]]:
    """Every question's prediction (and ppl scores), by subject and index."""
    return {
        (subject["abbr"], outcome["index"]): (outcome["prediction"], tuple(outcome.get("scores") or ()))
        for subject in record["subjects"]
        for outcome in subject["outcomes"]
    }


def assert_same(fast: dict, slow: dict) -> None:
    assert fast.keys() == slow.keys()
    for key, (prediction, scores) in fast.items():
        assert prediction == slow[key][0], key
        assert scores == pytest.approx(slow[key][1], rel=1e-4, abs=1e-5), key


def check_on_equals_off(repo: pytest.Pytester, model: Path, run: str) -> dict:
    fast = seed_run(repo, model, *RUNS[run])
    slow = seed_run(repo, model, *RUNS[run], "--llm-no-prefix-cache", "--llm-no-cache")
    assert fast["shared_prefix"] == "on", fast["stdout"]
    assert slow["shared_prefix"] == "off: --llm-no-prefix-cache"
    assert "shared-prefix cache off" not in fast["stdout"]
    assert_same(answers(fast), answers(slow))
    assert len(answers(fast)) == QUESTIONS[run]
    return fast


@pytest.mark.parametrize("run", list(RUNS))
def test_internlm2_prefix_path_equals_the_reference(real_repo, internlm2, run):
    fast = check_on_equals_off(real_repo, internlm2, run)
    if run == "gen":
        parallel = seed_run(real_repo, internlm2, *RUNS[run], "-n", "2", "--llm-no-cache")
        assert_same(answers(parallel), answers(fast))
        assert {w["shared_prefix"] for w in parallel["workers"]} == {"on"}


@needs_tuples
@pytest.mark.parametrize("run", ["gen", "ppl", "zero-shot", "chat"])
def test_tuple_only_prefix_path_equals_the_reference(real_repo, tuple_only, run):
    fast = check_on_equals_off(real_repo, tuple_only, run)
    if run == "gen":
        parallel = seed_run(real_repo, tuple_only, *RUNS[run], "-n", "2", "--llm-no-cache")
        assert_same(answers(parallel), answers(fast))


@pytest.mark.parametrize("checkpoint", ["positions_from_cache", "no_cache"])
def test_a_refused_model_runs_the_reference_path_and_says_so(request, real_repo, checkpoint):
    model = request.getfixturevalue(checkpoint)
    refused = seed_run(real_repo, model, *REFUSED)
    reason = refused["shared_prefix"].removeprefix("off: ")
    assert refused["shared_prefix"].startswith("off: ") and reason != "--llm-no-prefix-cache"
    lines = refused["stdout"].splitlines()
    title = next(i for i, line in enumerate(lines) if "llmeval summary:" in line)
    assert lines[title + 1] == f"llmeval: shared-prefix cache off for this model: {reason}"
    assert any(line.startswith("main: ") and "reference path (shared-prefix cache off)" in line for line in lines)
    reference = seed_run(real_repo, model, *REFUSED, "--llm-no-prefix-cache", "--llm-no-cache")
    assert_same(answers(refused), answers(reference))
    warm = seed_run(real_repo, model, *REFUSED)
    assert warm["model_loads"] == 0, "the probe's verdict comes from the result cache too"
    assert warm["shared_prefix"] == refused["shared_prefix"]
