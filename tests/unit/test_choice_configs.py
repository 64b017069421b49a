"""The commonsense and reading configs render OpenCompass 0.2.4's prompts byte for byte and hash to its versions.

Expected strings are the ones ``opencompass-suites.md`` §4-§10 records from running OpenCompass; the rows are
read from the real data where it is present.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.datasets.templates import flatten_chatml, flatten_plain, render_pieces
from pytest_llmeval.judging.scoring import RULES
from pytest_llmeval.records import Question

SHARED = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[3] / "shared"))
DATA = SHARED / "data"

VERSIONS = {
    "hellaswag_ppl": ("hellaswag_ppl_47bff9", "ppl", {"hellaswag": "47bff9"}),
    "hellaswag_gen": ("hellaswag_gen_6faab5", "gen", {"hellaswag": "6faab5"}),
    "ARC_c_ppl": ("ARC_c_ppl_a450bd", "ppl", {"ARC-c": "a450bd"}),
    "ARC_c_gen": ("ARC_c_gen_1e0de5", "gen", {"ARC-c": "1e0de5"}),
    "ARC_e_ppl": ("ARC_e_ppl_a450bd", "ppl", {"ARC-e": "a450bd"}),
    "ARC_e_gen": ("ARC_e_gen_1e0de5", "gen", {"ARC-e": "1e0de5"}),
    "winogrande_ll": ("winogrande_ll_c5cf57", "ll", {"winogrande": "c5cf57"}),
    "winogrande_gen": ("winogrande_gen_a9ede5", "gen", {"winogrande": "a9ede5"}),
    "piqa_ppl": ("piqa_ppl_1cf9f0", "ppl", {"piqa": "1cf9f0"}),
    "siqa_ppl": ("siqa_ppl_ced5f6", "ppl", {"siqa": "ced5f6"}),
    "race_ppl": ("race_ppl_a138cd", "ppl", {"race-middle": "0c332f", "race-high": "0c332f"}),
    "SuperGLUE_BoolQ_ppl": ("SuperGLUE_BoolQ_ppl_314b96", "ppl", {"BoolQ": "314b96"}),
}


@pytest.mark.parametrize("name", sorted(VERSIONS))
def test_names_abbrs_modes_and_versions(name: str) -> None:
    hashed, mode, versions = VERSIONS[name]
    config = CONFIGS[name]
    assert CONFIGS[hashed] is config and config.hashed_name == hashed
    benchmark = config.benchmark
    assert {config.abbr(s): config.version(s) for s in benchmark.subjects} == versions
    assert {config.mode_of(s) for s in benchmark.subjects} == {mode}


def prompts(config: str, row: int) -> tuple[str, ...]:
    """Every label's prompt (or the gen prompt) of one real row, without a meta template."""
    if not DATA.is_dir():
        pytest.skip(f"no shared data at {DATA}")
    plan = plan_subjects(make_spec("test", config), DATA, row + 1)[0]
    question = plan.questions[row]
    infer = plan.spec.config.infer_config(plan.subject)
    benchmark = plan.spec.config.benchmark
    fields = benchmark.fields(question, "" if infer.mode == "gen" else question.answer)
    labels = infer.labels or (None,)
    return tuple(flatten_plain(render_pieces(infer, [], fields, label)) for label in labels)


def test_hellaswag_ppl_joins_context_and_ending_with_a_newline() -> None:
    assert prompts("hellaswag_ppl", 0)[0] == "A man is sitting on a roof. He\nis using wrap to wrap a pair of skis."
    # ppl keeps what follows a second ": " (a quirk kept); gen keeps the whole context.
    assert prompts("hellaswag_ppl", 2826)[0].startswith("focus on the low point of the implement trajectory.")
    assert prompts("hellaswag_gen", 2826)[0].startswith("A black screen appears again with red and white words")


def test_hellaswag_gen_prompt() -> None:
    (prompt,) = prompts("hellaswag_gen", 0)
    assert prompt == (
        "A man is sitting on a roof. He\nQuestion: Which ending makes the most sense?\n"
        "A. is using wrap to wrap a pair of skis.\nB. is ripping level tiles off.\nC. is holding a rubik's cube.\n"
        "D. starts pulling up roofing on a roof.\nYou may choose from 'A', 'B', 'C', 'D'.\nAnswer:"
    )


def test_arc_ppl_has_a_space_and_newline_before_the_choice() -> None:
    first = prompts("ARC_c_ppl", 0)
    assert first[0].startswith("Question: Juan and LaKeisha roll a few objects down a ramp.")
    assert first[0].endswith("?\nAnswer: \nPut the objects in groups.")
    assert first[3].endswith("\nAnswer: \nRecord the details of the investigation.")


def test_winogrande_ll_prompts_are_the_filled_sentences() -> None:
    assert prompts("winogrande_ll", 0) == (
        "Sarah was a much better surgeon than Maria so Sarah always got the easier cases.",
        "Sarah was a much better surgeon than Maria so Maria always got the easier cases.",
    )
    assert prompts("winogrande_gen", 0)[0] == (
        "Which of the following is a good sentence:\n"
        "A. Sarah was a much better surgeon than Maria so Sarah always got the easier cases.\n"
        "B. Sarah was a much better surgeon than Maria so Maria always got the easier cases.\nAnswer:"
    )


def test_piqa_siqa_race_boolq_templates() -> None:
    piqa = prompts("piqa_ppl", 0)
    assert piqa[0].startswith(
        "The following makes sense: \nQ: How do I ready a guinea pig cage for it's new occupants?\nA: "
    )
    assert piqa[0].endswith("\n") and piqa[1].endswith("\n")
    siqa = prompts("siqa_ppl", 0)
    assert siqa[0] == (
        "Tracy didn't go home that evening and resisted Riley's attacks.\nQuestion: What does Tracy need to do "
        "before this?\nAnswer:\nmake a new plan"
    )
    race = prompts("race_ppl", 0)
    assert race[0].startswith("Read the article, and answer the question by replying A, B, C or D.\n\nArticle:\n")
    # Each label's prompt is the question, "\n", then its BOT text "A: X".
    assert [p.rsplit("\n", 1)[1] for p in race] == ["A: A", "A: B", "A: C", "A: D"]
    assert len({p.rsplit("\n", 1)[0] for p in race}) == 1 and "\n\nA. " in race[0]
    boolq = prompts("SuperGLUE_BoolQ_ppl", 0)
    assert boolq[0].startswith("Ethanol fuel -- All biomass goes through")
    assert boolq[0].endswith("\nQuestion: does ethanol take more energy make that produces?\nNo")
    assert boolq[1].endswith("?\nYes")


def test_chatml_gen_prompt_is_one_round_and_plain_string_labels_ignore_it() -> None:
    config = CONFIGS["ARC_e_gen"]
    subject = config.benchmark.subjects[0]
    infer = config.infer_config(subject)
    question = Question(0, "Why?", ("a", "b", "c", "d"), "A", (("question", "Why?"), ("textA", "a")), "answerKey")
    text = flatten_chatml(render_pieces(infer, [], config.benchmark.fields(question, "")), "gen")
    assert text.startswith("<|im_start|>user\nQuestion: Why?\nA. a\n") and text.endswith("<|im_start|>assistant\n")
    winogrande = CONFIGS["winogrande_ll"]
    ll = winogrande.infer_config(winogrande.benchmark.subjects[0])
    row = Question(0, "s", (), "1", (("opt1", "x y."), ("opt2", "z y."), ("answer", "1"), ("cont", " y.")), "answer")
    assert flatten_chatml(render_pieces(ll, [], row.columns, "2"), "ll") == "z y."


@pytest.mark.parametrize(
    ("text", "answer"),
    [("Both are fine", "B"), ("A", "A"), ("The answer is B.", "B"), ("none", "")],
)
def test_winogrande_gen_picks_a_or_b(text: str, answer: str) -> None:
    question = Question(0, "s", ("x", "y"), "B")
    assert RULES["first_option_ab"](text, question) == (answer, answer == "B")
