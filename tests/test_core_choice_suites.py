"""HellaSwag 10-shot, Winogrande 5-shot and the core sets' RACE configs end to end on the real data: each runs as its
OpenCompass item and summary row, its shots read from its pool file. Skipped without the shared data folder."""

from __future__ import annotations

import json

import pytest
from real_data import DATA, data_link, predictions, summary_rows

from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.runner import build_label_prompts

NEEDED = ("hellaswag/hellaswag_train_sampled25.jsonl", "winogrande/train_xs.jsonl", "race/test")
pytestmark = pytest.mark.skipif(not all((DATA / p).exists() for p in NEEDED), reason=f"no core-set data at {DATA}")


def test_ppl_and_ll_with_their_pool_shots(project, run_llm, untrained_model, last_run):
    names = ("hellaswag_10shot_ppl_59c85e", "winogrande_5shot_ll_252f01")
    # The test tokenizer spends about a token per character: at 2048 tokens HellaSwag's prompts would drop shots.
    args = ("--llm-limit", "2", "--llm-max-seq-len", "4096", "--llm-datasets", *names)
    result = run_llm(untrained_model, data_link(project), *args)
    assert result.ret == 0, result.stdout.str()
    run = last_run()
    assert summary_rows(run) == [["hellaswag", "59c85e", "accuracy", "ppl"], ["winogrande", "252f01", "accuracy", "ll"]]
    rows = predictions(run)
    hellaswag = rows["hellaswag"]["0"]
    assert set(hellaswag) == {"label: A", "label: B", "label: C", "label: D", "prediction", "gold"}
    prompt = hellaswag["label: B"]["prompt"]
    assert prompt.startswith("Continue the following text without adding any additional information or formatting:\n")
    assert prompt.count("What is the right option?\n") == 11 and prompt.endswith("What is the right option?\nB")
    winogrande = rows["winogrande"]["1"]
    assert winogrande["gold"] in ("A", "B") and "Loglikelihood" in winogrande["label: A"]
    assert winogrande["label: A"]["prompt"].count("\n") == 5  # five shot sentences, then the row's


def test_gen_configs_with_pool_shots_and_zero_shot(project, run_llm, untrained_model, last_run):
    names = ("winogrande_5shot_gen_6447e6", "race_gen")
    args = ("--llm-limit", "2", "--llm-max-out-len", "4", "--llm-datasets", *names)
    result = run_llm(untrained_model, data_link(project), *args)
    assert result.ret == 0, result.stdout.str()
    run = last_run()
    assert summary_rows(run) == [
        ["winogrande", "6447e6", "accuracy", "gen"],
        ["race-middle", "9a54b6", "accuracy", "gen"],
        ["race-high", "9a54b6", "accuracy", "gen"],
    ]
    rows = predictions(run)
    assert rows["winogrande"]["0"]["origin_prompt"].count("Which of the following is a good sentence:") == 6
    first = json.loads((DATA / "race" / "test" / "middle.jsonl").read_text(encoding="utf-8").splitlines()[0])
    race = rows["race-middle"]["0"]["origin_prompt"]
    assert race.startswith("Read the article, and answer the question by replying A, B, C or D.\n\nArticle:\n")
    assert race.endswith(f"\nD. {first['options'][3]}")  # no "Answer:" after the options


def test_winogrande_ll_context_loses_every_copy_of_the_continuation(untrained_model):
    """opencompass-core.md §4: the context is ``prompt.replace(cont, "")``, so for a row whose continuation " ."
    also ends shot 5 the scored span starts earlier than the continuation's own tokens: its log-likelihood is the
    sum over every token from the length of the context with both copies deleted."""
    import torch

    from pytest_llmeval.backends.hf import HFBackend
    from pytest_llmeval.settings import Settings

    settings = Settings(untrained_model, untrained_model, "m")
    backend = HFBackend.load(settings)
    (plan,) = plan_subjects(make_spec("test", "winogrande_5shot_ll_252f01"), DATA, None)
    question = next(q for q in plan.questions if dict(q.columns)["cont"] == " .")
    (prompts,) = build_label_prompts(type(plan)(plan.spec, plan.subject, plan.shots, (question,)), backend, settings)
    text = prompts[0].text
    ids = backend.tokenizer(text)["input_ids"]

    def summed_from(start: int) -> float:
        with torch.inference_mode():
            logits = backend.model(input_ids=torch.tensor([ids])).logits[0]
        chosen = logits[start - 1 : len(ids) - 1].log_softmax(-1)
        return float(chosen.gather(1, torch.tensor(ids[start:]).unsqueeze(1)).sum())

    both = len(backend.tokenizer(text.replace(" .", ""))["input_ids"])
    last_only = len(backend.tokenizer(text[: -len(" .")])["input_ids"])
    assert both < last_only
    (value,) = backend.loglikelihood([text], [" ."], settings.max_seq_len)
    assert value == pytest.approx(summed_from(both), abs=1e-4)
    assert value != pytest.approx(summed_from(last_only), abs=1e-4)
