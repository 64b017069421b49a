"""Evaluate one subject: fit prompts, generate in batches, extract answers, score."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pytest_llmeval.backend import Backend
from pytest_llmeval.options import Settings
from pytest_llmeval.plan import SubjectPlan
from pytest_llmeval.prompts import Prompt, chat_messages, fit_prompt, render_plain
from pytest_llmeval.records import Outcome, Question, SubjectResult
from pytest_llmeval.scoring import POSTPROCESSORS


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A subject's result plus the prompts it used (kept out of the result: they go to the predictions file)."""

    result: SubjectResult
    prompts: tuple[Prompt, ...]


def build_prompts(plan: SubjectPlan, backend: Backend, settings: Settings) -> list[Prompt]:
    """Render each question's prompt in the configured style, dropping shots to fit ``max_seq_len``."""
    assert plan.shots is not None and plan.questions is not None
    template = plan.spec.config.round_template(plan.subject)
    shots = plan.shots

    def renderer(question: Question) -> Callable[[int], str]:
        if settings.hf_type == "chat":
            return lambda k: backend.chat_prompt(chat_messages(template, shots[:k], question))
        return lambda k: render_plain(template, shots[:k], question)

    return [fit_prompt(renderer(q), backend.count_tokens, len(shots), settings.max_seq_len) for q in plan.questions]


def evaluate_subject(
    plan: SubjectPlan,
    backend: Backend,
    settings: Settings,
    worker: str,
    on_batch: Callable[[int], None] = lambda done: None,
) -> Evaluation:
    """Run every question of ``plan`` through ``backend`` in file order, in batches of ``batch_size``."""
    assert plan.questions is not None
    started = time.perf_counter()
    prompts = build_prompts(plan, backend, settings)
    predictions: list[str] = []
    max_prompt_tokens = settings.max_seq_len - settings.max_out_len
    for start in range(0, len(prompts), settings.batch_size):
        batch = [p.text for p in prompts[start : start + settings.batch_size]]
        predictions += backend.generate(batch, settings.max_out_len, max_prompt_tokens)
        on_batch(len(predictions))
    extract = POSTPROCESSORS[plan.spec.config.postprocess]
    outcomes = tuple(
        Outcome(
            index=question.index,
            prediction=prediction,
            answer=extract(prediction),
            gold=question.answer,
            shots=prompt.shots,
            prompt_tokens=prompt.tokens,
            truncated=prompt.tokens > max_prompt_tokens,
        )
        for question, prompt, prediction in zip(plan.questions, prompts, predictions, strict=True)
    )
    result = SubjectResult(
        config=plan.spec.config.name,
        abbr=plan.abbr,
        subject=plan.subject.key,
        version=plan.version,
        outcomes=outcomes,
        seconds=time.perf_counter() - started,
        worker=worker,
    )
    return Evaluation(result, tuple(prompts))
