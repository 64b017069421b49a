"""Shared-prefix scoring (``label_scores``, ``label_loglikelihoods``) against the reference ``perplexity`` and
``loglikelihood``, on the tiny model.

The fast path runs each subject's shots once and every question's labels in one pass; it must give
the reference scores within float tolerance and the same predictions, whether shots were dropped to fit
``max_seq_len``, prompts were cut, or labels are longer than one token (scored by the reference itself).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from pytest_llmeval.datasets.ceval import SUBJECTS
from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.demo import SAMPLE_DATA
from pytest_llmeval.runner import build_label_prompts, build_prompts
from pytest_llmeval.settings import Settings

pytestmark = pytest.mark.second_line  # CI runs this file again on the transformers 4.48 line

SHARED_DATA = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "data"
SAMPLE_SUBJECTS = [s.key for s in SUBJECTS if (SAMPLE_DATA / "ceval/formal_ceval/val" / f"{s.key}_val.csv").exists()]


def load(model):
    from pytest_llmeval.backends.hf import HFBackend

    return HFBackend.load(Settings(model=model, tokenizer=model, model_abbr="tiny"))


@pytest.fixture(scope="module")
def trained(tiny_model):
    return load(tiny_model)


def sample_questions(backend, max_seq_len: int) -> tuple[list[tuple[str, ...]], list[int]]:
    """Every sample question's ceval_ppl label prompts, shots dropped as the runner drops them."""
    settings = Settings(model=None, tokenizer=None, model_abbr="tiny", max_seq_len=max_seq_len)
    spec = make_spec("test", "ceval_ppl", SAMPLE_SUBJECTS)
    questions, shots = [], []
    for plan in plan_subjects(spec, SAMPLE_DATA, None):
        for prompts in build_label_prompts(plan, backend, settings):
            questions.append(tuple(p.text for p in prompts))
            shots.append(prompts[-1].shots)
    return questions, shots


def reference(backend, questions, max_seq_len):
    return [backend.perplexity(list(texts), max_seq_len) for texts in questions]


@pytest.mark.parametrize("max_seq_len", [2048, 120, 40])
def test_one_pass_equals_the_reference_on_every_sample_question(trained, max_seq_len):
    questions, shots = sample_questions(trained, max_seq_len)
    if max_seq_len == 120:
        assert set(shots) == {1, 2}, "shots dropped, and not alike for every question"
    fast = trained.label_scores(questions, max_seq_len, batch_size=4)
    slow = reference(trained, questions, max_seq_len)
    assert len(fast) == len(questions) == 50
    for got, want in zip(fast, slow, strict=True):
        assert got == pytest.approx(want, rel=1e-4, abs=1e-5)
        assert got.index(min(got)) == want.index(min(want))


def test_batch_size_does_not_change_the_scores(trained):
    questions, _ = sample_questions(trained, 2048)
    one = trained.label_scores(questions[:9], 2048, batch_size=1)
    many = trained.label_scores(questions[:9], 2048, batch_size=8)
    for a, b in zip(one, many, strict=True):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-6)


def test_labels_longer_than_one_token_are_scored_whole(trained):
    questions = [
        ("问题：天空是什么颜色？\n答案: 蓝色的天空", "问题：天空是什么颜色？\n答案: 红"),
        ("问题：一加一等于几？\n答案: A", "问题：一加一等于几？\n答案: B"),
    ]
    progress = []
    fast = trained.label_scores(questions, 2048, batch_size=4, on_batch=progress.append)
    for got, want in zip(fast, reference(trained, questions, 2048), strict=True):
        assert got == pytest.approx(want, rel=1e-4, abs=1e-5)
    assert progress[-1] == 2


def gen_prompts(backend, max_seq_len: int, hf_type: str = "base", config: str = "ceval_gen") -> list[str]:
    settings = Settings(model=None, tokenizer=None, model_abbr="tiny", max_seq_len=max_seq_len, hf_type=hf_type)
    spec = make_spec("test", config, SAMPLE_SUBJECTS)
    return [p.text for plan in plan_subjects(spec, SAMPLE_DATA, None) for p in build_prompts(plan, backend, settings)]


@pytest.mark.parametrize(
    ("max_seq_len", "hf_type", "config"),
    [
        (2048, "base", "ceval_gen"),
        (120, "base", "ceval_gen"),
        (2048, "chat", "ceval_gen"),
        (2048, "base", "ceval_zero_shot_gen"),
    ],
)
def test_generation_from_a_shared_prefix_equals_the_reference_loop(trained, max_seq_len, hf_type, config):
    """Shots dropped unevenly (120), chat template, and zero-shot prompts that share nothing (batched whole)."""
    prompts = gen_prompts(trained, max_seq_len, hf_type, config)
    limit = max_seq_len - 16
    reference_loop = [
        text for k in range(0, len(prompts), 4) for text in trained.generate(prompts[k : k + 4], 16, limit)
    ]
    progress: list[int] = []
    assert trained.generate_all(prompts, 16, limit, 4, progress.append) == reference_loop
    assert progress[-1] == len(prompts) == 50


def test_the_reference_switch_gives_the_same_predictions(project, run_llm, untrained_model, last_run):
    """--llm-no-prefix-cache runs OpenCompass's four passes per question; the default one pass agrees."""

    suite = '[[dataset]]\nconfig = "ceval_ppl"\nsubjects = ["law", "marxism"]\n'
    project.path.joinpath("llmeval_sample.toml").write_text(suite, encoding="utf-8")

    def predictions(*args: str) -> tuple[dict, dict]:
        result = run_llm(untrained_model, *args)
        assert result.ret in (0, 1), result.stdout.str()
        record = json.loads((last_run() / "llmeval.json").read_text(encoding="utf-8"))
        picked = {s["abbr"]: [o["prediction"] for o in s["outcomes"]] for s in record["subjects"]}
        return picked, record["settings"]

    fast, fast_settings = predictions()
    time.sleep(1.1)  # run folders are named by the second
    slow, slow_settings = predictions("--llm-no-prefix-cache")
    assert fast == slow and len(fast) == 2
    assert (fast_settings["prefix_cache"], slow_settings["prefix_cache"]) == (True, False)


@pytest.mark.parametrize("max_seq_len", [2048, 560])
def test_winogrande_shots_run_once_and_score_what_the_reference_scores(trained, monkeypatch, max_seq_len):
    """winogrande_5shot_ll_252f01 on the real rows: every question's labels continue from the five shots run
    once per group, rows whose continuation " ." also ends shot 5 (their context loses both copies) included,
    and with shots dropped unevenly (560): a group per number of shots kept."""
    if not (SHARED_DATA / "winogrande" / "train_xs.jsonl").exists():
        pytest.skip(f"no Winogrande data at {SHARED_DATA}")
    settings = Settings(model=None, tokenizer=None, model_abbr="tiny", max_seq_len=max_seq_len)
    (plan,) = plan_subjects(make_spec("test", "winogrande_5shot_ll_252f01"), SHARED_DATA, None)
    dotted = [q for q in plan.questions if dict(q.columns)["cont"] == " ."][:3]
    chosen = type(plan)(plan.spec, plan.subject, plan.shots, (*plan.questions[:9], *dotted))
    per_question = build_label_prompts(chosen, trained, settings)
    questions = [tuple(p.text for p in prompts) for prompts in per_question]
    conts = [dict(q.columns)["cont"] for q in chosen.questions]
    shots = {prompts[-1].shots for prompts in per_question}
    assert shots == {5} if max_seq_len == 2048 else len(shots) > 1, shots
    prefixes: list[int] = []
    run_prefix = trained._prefix
    monkeypatch.setattr(trained, "_prefix", lambda ids, **kw: prefixes.append(len(ids)) or run_prefix(ids, **kw))
    progress: list[int] = []
    fast = trained.label_loglikelihoods(questions, conts, max_seq_len, batch_size=2, on_batch=progress.append)
    slow = [trained.loglikelihood(list(t), [c] * len(t), max_seq_len) for t, c in zip(questions, conts, strict=True)]
    assert prefixes and min(prefixes) > 100, "the shots run once per group"
    assert progress[-1] == len(questions) == 12
    for got, want in zip(fast, slow, strict=True):
        assert got == pytest.approx(want, rel=1e-4, abs=1e-4)
        assert got.index(max(got)) == want.index(max(want))


def test_a_context_that_loses_copies_of_the_continuation_in_the_shots_reads_the_prefix_logits(trained, monkeypatch):
    """When the continuation also stands in the shared shots, ``replace`` deletes those copies too and the scored
    span starts inside the prefix run once: those positions' logits come from the prefix pass."""
    shots = "".join(f"shot {k} ends on the mark.\n" for k in range(4))
    questions = [(f"{shots}{who} ends on the mark.", f"{shots}{who}s end on the mark.") for who in "ABCDE"]
    conts = [" on the mark."] * len(questions)
    prefixes: list[int] = []
    run_prefix = trained._prefix
    monkeypatch.setattr(trained, "_prefix", lambda ids, **kw: prefixes.append(len(ids)) or run_prefix(ids, **kw))
    fast = trained.label_loglikelihoods(questions, conts, 2048, batch_size=2)
    slow = [trained.loglikelihood(list(t), [c] * len(t), 2048) for t, c in zip(questions, conts, strict=True)]
    context = len(trained.tokenizer(questions[0][0].replace(conts[0], ""))["input_ids"])
    assert prefixes and context < prefixes[0], "the scored span starts inside the shared prefix"
    for got, want in zip(fast, slow, strict=True):
        assert got == pytest.approx(want, rel=1e-4, abs=1e-4)
