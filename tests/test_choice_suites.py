"""HellaSwag, ARC, Winogrande, PIQA, SIQA, RACE and BoolQ end to end on the real data, and the shared pass
(one packed row per question) against the reference (every label's prompt whole).

The data is never part of the project: these tests skip without the shared data folder (``LLMEVAL_SHARED``
points elsewhere). The packed path is checked on two real model codes: a Llama from transformers itself and
InternLM2's own remote code (``../shared/models/tiny-internlm2``, on the transformers 4.48 line only).
"""

from __future__ import annotations

import time
from importlib.metadata import version
from pathlib import Path

import pytest
from real_data import DATA, SHARED, data_link, predictions, summary_rows

from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.runner import build_label_prompts

INTERNLM2 = SHARED / "models" / "tiny-internlm2"
NEEDED = ("hellaswag/hellaswag.jsonl", "ARC/ARC-c", "winogrande/dev.jsonl", "piqa", "siqa", "race", "SuperGLUE")
pytestmark = pytest.mark.skipif(
    not all((DATA / p).exists() for p in NEEDED), reason=f"no commonsense/reading data at {DATA}"
)

PPL_CONFIGS = ("hellaswag_ppl", "ARC_c_ppl", "ARC_e_ppl", "winogrande_ll", "piqa_ppl", "siqa_ppl", "race_ppl",
               "SuperGLUE_BoolQ_ppl")  # fmt: skip
GEN_CONFIGS = ("hellaswag_gen", "ARC_c_gen", "ARC_e_gen", "winogrande_gen")
# The summary rows OpenCompass prints for them (opencompass-suites.md §13): dataset, version, metric, mode.
PPL_ROWS = [
    ["hellaswag", "47bff9", "accuracy", "ppl"],
    ["ARC-c", "a450bd", "accuracy", "ppl"],
    ["ARC-e", "a450bd", "accuracy", "ppl"],
    ["winogrande", "c5cf57", "accuracy", "ll"],
    ["piqa", "1cf9f0", "accuracy", "ppl"],
    ["siqa", "ced5f6", "accuracy", "ppl"],
    ["race-middle", "0c332f", "accuracy", "ppl"],
    ["race-high", "0c332f", "accuracy", "ppl"],
    ["BoolQ", "314b96", "accuracy", "ppl"],
]
LIMIT = "4"


@pytest.mark.second_line  # every inference method (gen, ppl, ll) end to end
def test_every_config_on_the_real_data(project, run_llm, untrained_model, last_run):
    """Each config runs as an item with its OpenCompass row; the shared pass picks what the reference picks,
    under xdist too; a warm run answers every question from the result cache."""
    data = data_link(project)
    args = [data, "--llm-limit", LIMIT, "--llm-cache-dir=cache", "--llm-datasets", *PPL_CONFIGS]
    shared = run_llm(untrained_model, *args)
    assert shared.ret == 0, shared.stdout.str()  # no threshold is set: a random model passes
    shared.stdout.fnmatch_lines(["*9 passed*"])
    first = last_run()
    assert summary_rows(first) == PPL_ROWS
    fast = predictions(first)
    assert set(fast["winogrande"]["0"]) == {"label: 1", "label: 2", "prediction", "gold"}
    assert "Loglikelihood" in fast["winogrande"]["0"]["label: 1"]
    assert "PPL" in fast["hellaswag"]["0"]["label: 0"]

    time.sleep(1.1)  # run folders are named by the second
    # RACE's long articles make the reference slow; its packed rows are compared in the test below.
    reference = run_llm(untrained_model, *args, "--llm-no-prefix-cache", "-n", "2", "-k", "not race")
    assert reference.ret == 0, reference.stdout.str()
    slow = predictions(last_run())
    assert set(slow) == set(fast) - {"race-middle", "race-high"}
    for abbr, rows in slow.items():
        for index, row in rows.items():
            assert row["prediction"] == fast[abbr][index]["prediction"], (abbr, index)
            for label in (key for key in row if key.startswith("label: ")):
                ours, theirs = (r[abbr][index][label] for r in (fast, slow))
                name = "Loglikelihood" if abbr == "winogrande" else "PPL"
                assert ours[name] == pytest.approx(theirs[name], rel=1e-4, abs=1e-4), (abbr, index, label)

    time.sleep(1.1)
    warm = run_llm(untrained_model, *args)
    assert warm.ret == 0, warm.stdout.str()
    count = 9 * int(LIMIT)
    warm.stdout.fnmatch_lines([f"*0 model load(s)*{count} questions in *, {count} from the result cache"])
    assert predictions(last_run()) == fast


def test_gen_configs_on_the_real_data(project, run_llm, untrained_model, last_run):
    result = run_llm(untrained_model, data_link(project), "--llm-limit", "3", "--llm-max-out-len", "4",
                     "--llm-datasets", *GEN_CONFIGS)  # fmt: skip
    assert result.ret == 0, result.stdout.str()
    assert summary_rows(last_run()) == [
        ["hellaswag", "6faab5", "accuracy", "gen"],
        ["ARC-c", "1e0de5", "accuracy", "gen"],
        ["ARC-e", "1e0de5", "accuracy", "gen"],
        ["winogrande", "a9ede5", "accuracy", "gen"],
    ]
    golds = {row["gold"] for rows in predictions(last_run()).values() for row in rows.values()}
    assert golds <= set("ABCD")


def test_a_ppl_and_a_gen_config_of_one_dataset_are_refused_together(project, run_llm, untrained_model):
    result = run_llm(untrained_model, data_link(project), "--llm-datasets", "hellaswag_ppl", "hellaswag_gen")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    result.stderr.fnmatch_lines(
        [
            (
                "ERROR: --llm-datasets: hellaswag_ppl and hellaswag_gen both evaluate HellaSwag under the same item "
                "and file names; run them in separate sessions"
            )
        ]
    )


def internlm2_or_skip() -> Path:
    if not (INTERNLM2 / "config.json").is_file():
        pytest.skip(f"no tiny InternLM2 checkpoint at {INTERNLM2}")
    if int(version("transformers").split(".")[0]) >= 5:
        pytest.skip("InternLM2's code does not import on transformers 5 (the internlm2 extra pins 4.48.3)")
    pytest.importorskip("sentencepiece")
    pytest.importorskip("einops")
    return INTERNLM2


@pytest.fixture(params=["llama", "internlm2"])
def backend(request, tmp_path_factory):
    from pytest_llmeval.backends.hf import HFBackend
    from pytest_llmeval.settings import Settings

    if request.param == "internlm2":
        model = internlm2_or_skip()
        remote = {"trust_remote_code": True}
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("HF_MODULES_CACHE", str(tmp_path_factory.mktemp("hf-modules")))
            settings = Settings(model, model, "m", model_kwargs=remote, tokenizer_kwargs=remote)
            yield HFBackend.load(settings), settings
        return
    model = request.getfixturevalue("untrained_model")  # built only where the Llama runs
    settings = Settings(model, model, "m")
    yield HFBackend.load(settings), settings


@pytest.mark.second_line
@pytest.mark.parametrize("config", ["hellaswag_ppl", "ARC_e_ppl", "race_ppl", "piqa_ppl", "winogrande_ll"])
def test_packed_rows_score_what_the_whole_prompts_score(backend, config):
    """The shared pass against ``perplexity`` / ``loglikelihood`` of every label's whole prompt, on real rows
    and on the real model codes: the same label on every question, the same scores within float rounding."""
    hf, settings = backend
    assert hf.packing_off is None and hf.prefix_cache_off is None
    for plan in plan_subjects(make_spec("test", config), DATA, 4 if config == "race_ppl" else 10)[:1]:
        texts = [tuple(p.text for p in prompts) for prompts in build_label_prompts(plan, hf, settings)]
        if config == "winogrande_ll":
            conts = [dict(q.columns)["cont"] for q in plan.questions]
            shared = hf.label_loglikelihoods(texts, conts, settings.max_seq_len, 4)
            whole = [hf.loglikelihood(list(t), [c] * len(t), settings.max_seq_len) for t, c in zip(texts, conts)]
            pick = max
        else:
            shared = hf.label_scores(texts, settings.max_seq_len, 4)
            whole = [hf.perplexity(list(t), settings.max_seq_len) for t in texts]
            pick = min
        for ours, theirs in zip(shared, whole, strict=True):
            assert ours.index(pick(ours)) == theirs.index(pick(theirs))
            assert ours == pytest.approx(theirs, rel=1e-4, abs=1e-4)
