"""MATH's pooled row, BBH's score metric, evaluator float order, and which rule stops generation where."""

from __future__ import annotations

import hashlib
import json

import pytest

from pytest_llmeval.datasets.math_problems import TYPES
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.judging.baseline import read_baseline, render_baseline
from pytest_llmeval.judging.compare import compare
from pytest_llmeval.judging.summary import summarize
from pytest_llmeval.records import Outcome, StopRule, SubjectResult
from pytest_llmeval.runner import stop_rule
from pytest_llmeval.settings import Settings


def result(abbr: str, correct: int, total: int, version: str, metric: str = "accuracy") -> SubjectResult:
    outcomes = tuple(
        Outcome(
            i,
            "p",
            "1" if i < correct else "0",
            "1",
            0,
            10,
            judged=i < correct,
            key=hashlib.sha256(f"{abbr}{i}".encode()).hexdigest()[:16],
        )
        for i in range(total)
    )
    return SubjectResult("x", abbr, abbr, version, outcomes, 1.0, "main", metric, percent_of_count=True)


def test_the_math_row_pools_every_problem_with_the_dataset_s_version():
    spec = make_spec("t", "math_gen")
    sizes = [(3, 7), (1, 2), (0, 5), (4, 4), (2, 9), (5, 6), (1, 3)]
    results = {f"math-{t.key}": result(f"math-{t.key}", c, n, "265cce") for t, (c, n) in zip(TYPES, sizes)}
    summary = summarize([spec], results)
    (row,) = summary.group_rows
    correct, total = sum(c for c, _ in sizes), sum(n for _, n in sizes)
    assert (row.name, row.version, row.metric, row.value) == ("math", "265cce", "accuracy", 100 * correct / total)
    assert row.value != sum(r.accuracy for r in results.values()) / 7  # not the mean of the types
    del results["math-geometry"]
    (partial,) = summarize([spec], results).group_rows
    assert (partial.value, partial.version, partial.detail) == (None, "-", "6/7 subjects ran")


def test_bbh_rows_say_score_and_average_the_tasks():
    spec = make_spec("t", "bbh_gen", ["navigate", "snarks"])
    results = {
        "bbh-navigate": result("bbh-navigate", 1, 3, "1576d9", "score"),
        "bbh-snarks": result("bbh-snarks", 2, 3, "42d6ca", "score"),
    }
    summary = summarize([spec], results)
    assert [(r.name, r.metric) for r in summary.subject_rows] == [("bbh-snarks", "score"), ("bbh-navigate", "score")]
    (group,) = summary.group_rows
    assert (group.name, group.version, group.metric, group.value) == ("bbh", "-", "naive_average", 50.0)


def test_evaluator_float_order_is_kept():
    # 100 * 9 / 19 and 9 / 19 * 100 differ in the last bits; results files hold whichever the evaluator computes.
    pooled = result("gsm8k", 9, 19, "1d7fe4")
    assert pooled.accuracy == 100 * 9 / 19 != 9 / 19 * 100
    assert SubjectResult.from_json(json.loads(json.dumps(pooled.to_json()))) == pooled


def test_a_math_baseline_compares_the_pooled_row_question_by_question(tmp_path):
    spec = make_spec("t", "math_gen")
    before = {f"math-{t.key}": result(f"math-{t.key}", 4, 4, "265cce") for t in TYPES}
    after = {**before, "math-algebra": result("math-algebra", 0, 4, "265cce")}
    path = tmp_path / "baseline.json"
    path.write_text(render_baseline(settings(), before.values(), "r1"), encoding="utf-8")
    comparison = compare(read_baseline(path), [spec], after, settings())
    math = next(row for row in comparison.rows if row.name == "math")
    assert (math.before, math.after) == (100.0, 100 * 24 / 28)


def settings(**kwargs: object) -> Settings:
    return Settings(model=None, tokenizer=None, model_abbr="m", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "kwargs", "cut", "expected"),
    [
        ("gsm8k", {}, False, "gsm8k"),
        ("first_capital", {}, False, "first_capital"),
        ("bbh_mcq", {}, False, "bbh_mcq"),
        ("first_option", {}, False, None),  # no guarantee before the end
        ("gsm8k", {"full_output": True}, False, None),
        ("bbh_mcq", {}, True, None),  # a chat turn still to be cut: no prefix is final
    ],
)
def test_which_rule_stops_generation(rule, kwargs, cut, expected):
    stop = stop_rule(rule, settings(**kwargs), cut)
    assert (stop.name if stop else None) == expected


@pytest.mark.parametrize(
    ("text", "end", "reached"),
    [
        ("The answer is 4\n\nQuestion:", None, True),
        ("The answer is 4\n\nQuestion: ", None, True),
        ("The answer is 4\n\nQuestion", None, False),
        ("answer is 4<|im_end|>", "<|im_end|>", True),  # the chat stop seals the prediction
        ("Question:<|im_", "<|im_end|>", True),  # already fixed before the partial stop string
        ("x Question:\ufffd", None, True),
    ],
)
def test_reached_reads_only_what_later_tokens_cannot_rewrite(text, end, reached):
    gsm8k = StopRule("gsm8k", lambda t: "Question:" in t)
    assert gsm8k.reached(text, end) is reached


def test_trailing_space_and_partial_characters_wait_for_more():
    # "answer is " at the very end may lose its space to a tokenizer's clean-up once "." follows.
    seen: list[str] = []
    rule = StopRule("probe", lambda t: seen.append(t) or False)
    rule.reached("So the answer is \ufffd \ufffd", None)
    rule.reached("So the answer is (A<|im", "<|im_end|>")
    assert seen == ["So the answer is", "So the answer is (A"]
