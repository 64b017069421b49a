"""``--llm-batch-size auto``: start large, halve on out-of-memory instead of failing the subject."""

from __future__ import annotations

import torch

from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.demo import SAMPLE_DATA
from pytest_llmeval.runner import evaluate_subject
from pytest_llmeval.settings import Settings


def squeeze(model, most: int) -> None:
    """Make the model run out of memory, as a GPU would, on any forward pass over more than ``most`` rows."""
    forward = model.forward

    def tight(*args, **kwargs):
        ids = kwargs.get("input_ids") if kwargs.get("input_ids") is not None else args[0]
        if ids.shape[0] > most:
            raise torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate 2.00 GiB (batch of {ids.shape[0]})")
        return forward(*args, **kwargs)

    model.forward = tight


def test_out_of_memory_halves_the_batch_and_keeps_the_results(tiny_model):
    from pytest_llmeval.backends.hf import HFBackend

    for config in ("ceval_gen", "ceval_ppl"):
        settings = Settings(model=tiny_model, tokenizer=tiny_model, model_abbr="tiny", batch_size=2)
        (plan,) = plan_subjects(make_spec("test", config, ["law"]), SAMPLE_DATA, None)
        backend = HFBackend.load(settings)
        expected = evaluate_subject(plan, backend, settings, "main").result.outcomes
        squeeze(backend.model, 2)
        auto = Settings(model=tiny_model, tokenizer=tiny_model, model_abbr="tiny", batch_size=16, batch_auto=True)
        evaluation = evaluate_subject(plan, backend, auto, "main")
        assert evaluation.batch_size == 2
        assert [o.answer for o in evaluation.result.outcomes] == [o.answer for o in expected]


def test_a_fixed_batch_size_still_stops_on_out_of_memory(tiny_model):
    from pytest_llmeval.backends.hf import HFBackend

    settings = Settings(model=tiny_model, tokenizer=tiny_model, model_abbr="tiny", batch_size=4)
    (plan,) = plan_subjects(make_spec("test", "ceval_gen", ["law"]), SAMPLE_DATA, None)
    backend = HFBackend.load(settings)
    squeeze(backend.model, 2)
    try:
        evaluate_subject(plan, backend, settings, "main")
    except torch.OutOfMemoryError:
        pass
    else:
        raise AssertionError("a fixed --llm-batch-size must not be changed behind the user's back")


def test_auto_is_reported(project, run_llm, untrained_model):
    result = run_llm(untrained_model, "--llm-batch-size", "auto")
    assert result.ret in (0, 1), result.stdout.str()
    result.stdout.fnmatch_lines(["llmeval: model *batch-size auto", "main: devices cpu*, batch size 64 (auto)"])
