"""Evaluate one subject: fit prompts, then generate (``gen``) or score every label (``ppl``, ``ll``), then score answers.

The mode of a config picks the inference step from ``STEPS``; everything around it is shared.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from pytest_llmeval.backends.protocol import Backend
from pytest_llmeval.datasets.plan import SubjectPlan
from pytest_llmeval.datasets.templates import Piece, flatten_chatml, flatten_plain, render_pieces
from pytest_llmeval.faults import out_of_memory
from pytest_llmeval.judging.gaokao import POINT_RULES
from pytest_llmeval.judging.programs import CODE_RULES, judge_programs
from pytest_llmeval.judging.reasoning import bot_turn
from pytest_llmeval.judging.scoring import GOLD_EQUALITY, RULES
from pytest_llmeval.judging.stopping import STOPS
from pytest_llmeval.prompts import Message, Prompt, fit_prompt
from pytest_llmeval.records import Outcome, Question, StopRule, SubjectResult
from pytest_llmeval.settings import Settings

OnBatch = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A subject's result plus the prompts it used (kept out of the result: they go to the predictions file)."""

    result: SubjectResult
    prompts: tuple[Prompt, ...]
    batch_size: int = 0  # the batch size that ran it (``--llm-batch-size auto`` may have lowered it)
    shared_prefix: str = ""  # "on", or "off: <why>" when the reference path ran (see ``shared_prefix``)


def messages_from(pieces: list[Piece] | str) -> list[Message]:
    """HUMAN and BOT turns as chat messages for the tokenizer's template; the open answer slot is left out."""
    if isinstance(pieces, str):
        return [{"role": "user", "content": pieces}]
    turns = [piece for piece in pieces if piece.role is not None]
    while turns and turns[-1].role == "BOT":
        turns.pop()  # generation continues from the last user turn
    return [{"role": "user" if t.role == "HUMAN" else "assistant", "content": t.text} for t in turns]


def renderer(
    plan: SubjectPlan, backend: Backend, settings: Settings, question: Question, label: str | None
) -> Callable[[int], str]:
    """The prompt of ``question`` (for ``label`` in ppl mode) with its first ``k`` shots, in the configured style."""
    assert plan.shots is not None
    config = plan.spec.config
    infer = config.infer_config(plan.subject)
    benchmark = config.benchmark
    shots = [(benchmark.fields(q, q.answer), q.answer) for q in plan.shots]
    # OpenCompass empties the output field of the row it generates for.
    fields = benchmark.fields(question, "" if infer.mode == "gen" else question.answer)

    def render(k: int) -> str:
        pieces = render_pieces(infer, shots[:k], fields, label)
        if settings.meta_template == "chatml":
            return flatten_chatml(pieces, infer.mode)
        if settings.hf_type == "chat":
            return backend.chat_prompt(messages_from(pieces))
        return flatten_plain(pieces)

    return render


def count_all(backend: Backend, texts: Sequence[str]) -> list[int]:
    """Token counts of many prompts in one call where the backend can (a fast tokenizer encodes in parallel)."""
    many = getattr(backend, "count_many", None)
    return list(many(texts)) if many is not None else [backend.count_tokens(text) for text in texts]


def build_prompts(plan: SubjectPlan, backend: Backend, settings: Settings) -> list[Prompt]:
    """gen: one prompt per question, shots dropped to fit ``max_seq_len``."""
    assert plan.shots is not None and plan.questions is not None
    renders = [renderer(plan, backend, settings, q, None) for q in plan.questions]
    full = len(plan.shots)
    # Every prompt with all its shots counted at once; only the ones too long go through the dropping loop.
    texts = [render(full) for render in renders]
    return [
        Prompt(text, full, tokens)
        if tokens <= settings.max_seq_len or full == 0
        else fit_prompt(render, backend.count_tokens, full, settings.max_seq_len)
        for render, text, tokens in zip(renders, texts, count_all(backend, texts), strict=True)
    ]


def build_label_prompts(plan: SubjectPlan, backend: Backend, settings: Settings) -> list[tuple[Prompt, ...]]:
    """ppl: one prompt per label; shots dropped for one label stay dropped for the next (OpenCompass's loop)."""
    assert plan.shots is not None and plan.questions is not None
    labels = plan.spec.config.infer_config(plan.subject).labels
    full = len(plan.shots)
    renders = [[renderer(plan, backend, settings, q, label) for label in labels] for q in plan.questions]
    texts = [render(full) for row in renders for render in row]
    counts = count_all(backend, texts)
    result = []
    for number, row in enumerate(renders):
        first = number * len(labels)
        own = counts[first : first + len(labels)]
        if full == 0 or max(own) <= settings.max_seq_len:
            result.append(tuple(Prompt(texts[first + k], full, own[k]) for k in range(len(labels))))
            continue
        shots, prompts = full, []
        for render in row:
            prompt = fit_prompt(render, backend.count_tokens, shots, settings.max_seq_len)
            shots = prompt.shots
            prompts.append(prompt)
        result.append(tuple(prompts))
    return result


def shared_prefix(backend: Backend, settings: Settings, method: str) -> str:
    """Whether a subject runs the backend's shared-prefix ``method``: "on", or "off: <why not>".

    Off when the user turned it off, when the backend has no such path, and when the model's load-time probe
    found that continuing from a prefix cache does not reproduce the whole prompt (``prefix_cache_off``).
    """
    if not settings.prefix_cache:
        return "off: --llm-no-prefix-cache"
    if getattr(backend, method, None) is None:
        return "off: the backend has no shared-prefix path"
    why = getattr(backend, "prefix_cache_off", None)
    return f"off: {why}" if why else "on"


def _generate(plan: SubjectPlan, backend: Backend, settings: Settings, on_batch: OnBatch) -> tuple[list, list, str]:
    assert plan.questions is not None
    config = plan.spec.config
    max_out_len = config.infer_config(plan.subject).max_out_len or settings.max_out_len
    max_prompt_tokens = settings.max_seq_len - max_out_len
    prompts = build_prompts(plan, backend, settings)
    rule = config.scoring_of(plan.subject)
    cut = config.bot_turn and settings.meta_template == "chatml"
    stop = stop_rule(rule, settings, cut, config.infer_config(plan.subject).stopping_criteria)
    predictions: list[str] = []
    path = shared_prefix(backend, settings, "generate_all")
    if path == "on":
        # The subject's shared shots run once; batches longest first; outputs back in file order.
        texts = [p.text for p in prompts]
        predictions = backend.generate_all(  # type: ignore[attr-defined]
            texts, max_out_len, max_prompt_tokens, settings.batch_size, on_batch, stop=stop
        )
    else:
        for start in range(0, len(prompts), settings.batch_size):
            batch = [p.text for p in prompts[start : start + settings.batch_size]]
            predictions += backend.generate(batch, max_out_len, max_prompt_tokens, stop=stop)  # type: ignore[call-arg]
            on_batch(len(predictions))
    stops = stop is not None and getattr(backend, "stops_early", False)
    answers = [bot_turn(prediction) if cut else prediction for prediction in predictions]
    marks = [(0, 0)] * len(answers)  # (points, possible) where questions earn points (GAOKAO-Bench)
    if rule in POINT_RULES:
        marked = [POINT_RULES[rule](answer, question) for answer, question in zip(answers, plan.questions, strict=True)]
        judged = [(m.answer, m.points == m.possible, "") for m in marked]
        marks = [(m.points, m.possible) for m in marked]
    elif rule in CODE_RULES:
        # Judged by running each completion's program in the sandbox: (code, verdict, outcome) per question.
        judged = [
            (j.answer, j.passed, j.ran) for j in judge_programs(rule, plan.questions, answers, settings.allow_code_exec)
        ]
    else:
        judged = [
            (*RULES[rule](answer, question), "") for answer, question in zip(answers, plan.questions, strict=True)
        ]
    outcomes = []
    for question, prompt, prediction, (answer, correct, ran), (points, possible) in zip(
        plan.questions, prompts, predictions, judged, marks, strict=True
    ):
        outcomes.append(
            Outcome(
                index=question.index,
                prediction=prediction,
                answer=answer,
                gold=question.answer,
                shots=prompt.shots,
                prompt_tokens=prompt.tokens,
                truncated=prompt.tokens > max_prompt_tokens,
                # Recorded only where correct is not answer == gold (a pattern, or one of several answers).
                judged=None if rule in GOLD_EQUALITY else correct,
                key=question.key,
                stopped=stops and stop.reached(prediction),  # type: ignore[union-attr]
                ran=ran,
                points=points,
                possible=possible,
            )
        )
    return outcomes, prompts, path


def _score_labels(plan: SubjectPlan, backend: Backend, settings: Settings, on_batch: OnBatch) -> tuple[list, list, str]:
    """Every label's prompt scored; ppl: ``backend.perplexity``, the lowest wins; ll: ``backend.loglikelihood`` of
    the row's shared continuation (its ``cont`` field), the highest wins. The first label wins ties."""
    assert plan.questions is not None
    infer = plan.spec.config.infer_config(plan.subject)
    labels, ll = infer.labels, infer.mode == "ll"
    per_question = build_label_prompts(plan, backend, settings)
    questions = [tuple(prompt.text for prompt in prompts) for prompts in per_question]
    # LLInferencer scores the tokens of the row's "cont" column: the text after the blank (Winogrande).
    conts = [dict(q.columns).get("cont", "") for q in plan.questions] if ll else []
    path = shared_prefix(backend, settings, "label_loglikelihoods" if ll else "label_scores")
    scores: list[float] = []
    if path == "on":
        # One pass per question over what its labels share (and the subject's shared shots once).
        if ll:
            shared = backend.label_loglikelihoods(  # type: ignore[attr-defined]
                questions, conts, settings.max_seq_len, settings.batch_size, on_batch
            )
        else:
            shared = backend.label_scores(questions, settings.max_seq_len, settings.batch_size, on_batch)  # type: ignore[attr-defined]
        scores = [v for row in shared for v in row]
    else:
        texts = [text for row in questions for text in row]
        continuations = [cont for cont in conts for _ in labels]
        for start in range(0, len(texts), settings.batch_size):
            chunk = slice(start, start + settings.batch_size)
            if ll:
                scores += backend.loglikelihood(texts[chunk], continuations[chunk], settings.max_seq_len)  # type: ignore[attr-defined]
            else:
                scores += backend.perplexity(texts[chunk], settings.max_seq_len)
            on_batch(len(scores) // len(labels))
    outcomes, prompts = [], []
    for number, (question, label_prompts) in enumerate(zip(plan.questions, per_question, strict=True)):
        own = tuple(scores[number * len(labels) : (number + 1) * len(labels)])
        best = labels[own.index(max(own) if ll else min(own))]
        outcomes.append(
            Outcome(
                index=question.index,
                prediction=best,
                answer=best,
                gold=question.answer,
                shots=label_prompts[-1].shots,
                prompt_tokens=max(p.tokens for p in label_prompts),
                truncated=any(p.tokens > settings.max_seq_len for p in label_prompts),
                scores=own,
                key=question.key,
            )
        )
        prompts.append(
            Prompt(
                label_prompts[0].text,
                label_prompts[-1].shots,
                outcomes[-1].prompt_tokens,
                tuple(p.text for p in label_prompts),
                labels,
                "Loglikelihood" if ll else "PPL",
            )
        )
    return outcomes, prompts, path


def stop_rule(rule: str, settings: Settings, cut: bool, strings: tuple[str, ...] = ()) -> StopRule | None:
    """Where generation may stop for a scoring rule: its ``StopRule``, or None (generate to the end).

    The rule's answer-is-fixed stop is left out with ``--llm-full-output``, for rules whose answer stays open
    to the end, and where the prediction is first cut to the chat's assistant turn (``pred_role="BOT"`` under a
    chat meta template): text still to come could move that cut, so no prefix of it is final. The config's
    stop ``strings`` always apply: OpenCompass itself stops there.
    """
    fixed = None if settings.full_output or cut else STOPS.get(rule)
    if not strings:
        return fixed
    return replace(fixed, strings=strings) if fixed else StopRule("", None, strings)


STEPS = {"gen": _generate, "ppl": _score_labels, "ll": _score_labels}


def free_memory() -> None:
    """Give the allocator's cached blocks back after an out-of-memory error, before a smaller retry."""
    import sys

    torch = sys.modules.get("torch")  # never imported just for this
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def evaluate_subject(
    plan: SubjectPlan,
    backend: Backend,
    settings: Settings,
    worker: str,
    on_batch: OnBatch = lambda done: None,
) -> Evaluation:
    """Run every question of ``plan`` through ``backend``, in batches of ``batch_size``; results in file order.

    With ``--llm-batch-size auto`` an out-of-memory error halves the batch size and runs the subject again
    (what finished is kept by the result cache); ``Evaluation.batch_size`` says which size succeeded.
    """
    started = time.perf_counter()
    step = STEPS[plan.spec.config.mode_of(plan.subject)]
    while True:
        try:
            outcomes, prompts, path = step(plan, backend, settings, on_batch)
            break
        except Exception as error:
            if not (settings.batch_auto and out_of_memory(error) and settings.batch_size > 1):
                raise
            settings = replace(settings, batch_size=settings.batch_size // 2)
            free_memory()
    result = SubjectResult(
        config=plan.spec.config.name,
        abbr=plan.abbr,
        subject=plan.subject.key,
        version=plan.version,
        outcomes=tuple(outcomes),
        seconds=time.perf_counter() - started,
        worker=worker,
        metric=plan.spec.config.benchmark.metric,
        percent_of_count=plan.spec.config.benchmark.percent_of_count,
        # A split without answers (every gold empty) is run for its predictions, never scored as all wrong.
        answered=any(outcome.gold for outcome in outcomes) or not outcomes,
    )
    return Evaluation(result, tuple(prompts), settings.batch_size, path)
