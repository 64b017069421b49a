"""A tiny checkpoint that behaves like a base model on few-shot prompts: it answers in the shots' format and
then keeps writing (the next ``Question:``, the next problem) instead of ending.

Taught on real prompts of the reasoning configs (``gsm8k_gen``, ``math_gen``, ``bbh_gen``) and of
``ceval_gen``, rendered as the plugin renders them: each lesson is the answer in the config's own format
(``The answer is 18``, ``The final answer is $5$``, ``So the answer is (A).``, a C-Eval letter), followed by
the opening of the next question and no end token. So at evaluation it generates to max-out-len, as base
models do, while its answers are settled early: what the answer-is-fixed stop (``StopRule``) is for. Every
``wrong_every``-th question is taught a wrong answer, so scores sit between 0 and 100.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from pathlib import Path

from pytest_llmeval.datasets.plan import SubjectPlan, plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.datasets.templates import flatten_plain, render_pieces
from pytest_llmeval.judging.reasoning import gsm8k_gold
from pytest_llmeval.records import Question
from pytest_llmeval.tiny import EOS, Lesson, Size, build_model

CONFIGS = ("gsm8k_gen", "math_gen", "bbh_gen", "ceval_gen")


def _prompt(plan: SubjectPlan, question: Question) -> str:
    """The plain prompt the plugin runs for ``question`` (no chat template), every shot kept."""
    config = plan.spec.config
    benchmark = config.benchmark
    shots = [(benchmark.fields(q, q.answer), q.answer) for q in plan.shots or ()]
    return flatten_plain(render_pieces(config.infer_config(plan.subject), shots, benchmark.fields(question, "")))


def _answer(plan: SubjectPlan, question: Question, wrong: bool) -> str:
    """The answer in the config's few-shot format, then the start of the next question (no end token)."""
    rule = plan.spec.config.scoring_of(plan.subject)
    gold = question.answer
    if rule == "gsm8k":
        number = int(gsm8k_gold(gold)) + (1 if wrong else 0)
        return f" We work it out.\nThe answer is {number}\n\nQuestion:"
    if rule == "math":
        value = gold + ("1" if wrong else "")
        return f"We get $\\boxed{{{value}}}$.\nFinal Answer: The final answer is ${value}$. I hope it is correct.\n\nProblem:"
    if rule == "bbh_mcq":
        letter = gold.strip("()")
        if wrong:
            letter = "B" if letter == "A" else "A"
        return f"\nSo the answer is ({letter}).\n\nQ:"
    if rule == "bbh_freeform":
        return f"\nSo the answer is {'nothing' if wrong else gold}.\n\nQ:"
    if rule in ("triviaqa", "nq_open"):
        # The shot's format ("A: Sinclair Lewis.\n\nQ: ..."): the first alias, then the next question's start.
        return f"{'Nothing' if wrong else json.loads(gold)[0]}.\n\nQ:"
    columns = dict(question.columns)
    # Code answers end with the end token: these configs decode up to 512 tokens, and a test need not wait for them.
    if rule == "humaneval":
        # The body that completes the prompt's function, then the start of another function (cut when scored).
        body = "    return None\n" if wrong else columns["canonical_solution"]
        return f"{body}\n\ndef{EOS}"
    if rule == "mbpp":
        # The shots' format: the code quoted, then [DONE] and the opening of the next task.
        # A wrong answer names the tested function, so that its asserts fail (MBPP's wrong_answer).
        named = re.search(r"assert\s+(\w+)\(", columns["test_list"])
        code = f"def {named.group(1) if named else 'solution'}(*args):\n    return None" if wrong else columns["code"]
        return f" '{code}' \n[DONE] \n\n You are{EOS}"
    letter = "ABCD"[("ABCD".index(gold) + 1) % 4] if wrong else gold
    return f"{letter}\n以下是中国关于"


def lessons(plans: Sequence[SubjectPlan], wrong_every: int, context: int | None = None) -> list[Lesson]:
    """One lesson per question of ``plans``; every ``wrong_every``-th one (by position) taught wrong.

    With ``context``, only the prompt's last ``context`` characters are taught: training cost grows with the
    prompt's length, and what decides the answer is at its end (the question); the model still sees the
    whole prompt at evaluation.
    """
    found = []
    for plan in plans:
        for number, question in enumerate(plan.questions or ()):
            wrong = bool(wrong_every) and number % wrong_every == wrong_every - 1
            prompt = _prompt(plan, question)
            taught = prompt if context is None else prompt[-context:]
            found.append(Lesson(taught, (), _answer(plan, question, wrong), ends=False))
    return found


def reasoning_plans(
    data_dir: Path,
    per_item: int,
    items: dict[str, Sequence[str]] | None = None,
    configs: Sequence[str] = CONFIGS,
) -> list[SubjectPlan]:
    """The first ``per_item`` questions of each chosen subject (``items``: config -> subject keys; default all)."""
    plans = []
    for config in configs:
        chosen = (items or {}).get(config)
        if items is not None and not chosen:
            continue
        spec = make_spec(config, config, list(chosen) if chosen else None)
        plans += plan_subjects(spec, data_dir, per_item)
    return plans


def build_base_model(
    out_dir: Path,
    data_dir: Path,
    *,
    per_item: int = 4,
    items: dict[str, Sequence[str]] | None = None,
    wrong_every: int = 4,
    size: Size | None = None,
    max_epochs: int = 40,
    context: int | None = None,
    configs: Sequence[str] = CONFIGS,
) -> Path:
    """Write the base-like checkpoint, taught on the first ``per_item`` questions of each chosen subject.

    ``configs`` may also name ``humaneval_gen`` and ``mbpp_gen``: their problems are answered with the data's own
    reference solutions (a wrong one every ``wrong_every``-th), in each config's format.
    """
    plans = reasoning_plans(data_dir, per_item, items, configs)
    taught = lessons(plans, wrong_every, context)
    # The tokenizer learns from the whole prompts, so it splits them as it will at evaluation.
    corpus = [_prompt(plan, q) for plan in plans for q in plan.questions or ()] + [t.answer for t in taught]
    return build_model(out_dir, corpus, taught, size=size or Size(), max_epochs=max_epochs)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m pytest_llmeval.tiny_base OUT_DIR DATA_DIR [--per-item N]``."""
    parser = argparse.ArgumentParser(prog="python -m pytest_llmeval.tiny_base", description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("data_dir", type=Path, help="data root in OpenCompass layout (gsm8k/, math/, BBH/, ceval/)")
    parser.add_argument("--per-item", type=int, default=4)
    args = parser.parse_args(argv)
    build_base_model(args.out_dir, args.data_dir, per_item=args.per_item)


if __name__ == "__main__":
    main()
