"""base_core's plain-string configs of GSM8K, BBH, HumanEval and sanitized MBPP, and sanitized MBPP's round twin:
OpenCompass 0.2.4's versions, and prompts byte for byte with and without InternLM2's chat template.

Expected texts are the ones ``opencompass-core.md`` §6, §7, §9 and §10 record from running OpenCompass; the
BBH versions hash the real prompt files, read where the shared data is present.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.datasets.templates import flatten_chatml, flatten_plain, render_pieces
from pytest_llmeval.records import Outcome, Question, SubjectResult
from pytest_llmeval.reports.files import results_payload

SHARED = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[3] / "shared"))
DATA = SHARED / "data"

# config -> (family, abbr, version, pred_role="BOT")
CONFIGS_SEEN = {
    "gsm8k_gen_ee684f": ("gsm8k", "gsm8k", "ee684f", False),
    "humaneval_gen_d2537e": ("humaneval", "openai_humaneval", "d2537e", True),
    "sanitized_mbpp_gen_cb43ef": ("sanitized_mbpp", "sanitized_mbpp", "cb43ef", True),
    "sanitized_mbpp_gen_1e1056": ("sanitized_mbpp", "sanitized_mbpp", "1e1056", True),
}
# opencompass-core.md §6, in config order (the summary's).
BBH_0A5495 = {
    "temporal_sequences": "221787",
    "disambiguation_qa": "fa3807",
    "date_understanding": "16b52b",
    "tracking_shuffled_objects_three_objects": "3f6ed7",
    "penguins_in_a_table": "d80b22",
    "geometric_shapes": "3370d3",
    "snarks": "5e7271",
    "ruin_names": "53f552",
    "tracking_shuffled_objects_seven_objects": "3f6ed7",
    "tracking_shuffled_objects_five_objects": "3f6ed7",
    "logical_deduction_three_objects": "931ca2",
    "hyperbaton": "ce9639",
    "logical_deduction_five_objects": "931ca2",
    "logical_deduction_seven_objects": "931ca2",
    "movie_recommendation": "417110",
    "salient_translation_error_detection": "43fc01",
    "reasoning_about_colored_objects": "5427fb",
    "multistep_arithmetic_two": "2f5ab8",
    "navigate": "169e02",
    "dyck_languages": "73af1d",
    "word_sorting": "83efe6",
    "sports_understanding": "39f68f",
    "boolean_expressions": "909efe",
    "object_counting": "acb3b9",
    "formal_fallacies": "205858",
    "causal_judgement": "16300c",
    "web_of_lies": "531dd2",
}


@pytest.mark.parametrize("name", sorted(CONFIGS_SEEN))
def test_full_names_abbrs_versions_and_pred_role(name: str) -> None:
    family, abbr, version, bot_turn = CONFIGS_SEEN[name]
    config = CONFIGS[name]
    (subject,) = config.benchmark.subjects
    # No short alias in 0.2.4: the full name is the one a run shows.
    assert (config.name, config.family, config.abbr(subject), config.version(subject)) == (name, family, abbr, version)
    assert (config.bot_turn, config.mode, config.max_out_len, config.shots) == (bot_turn, "gen", 512, 0)


def test_sanitized_mbpp_is_scored_as_mbpp() -> None:
    sanitized, mbpp = CONFIGS["sanitized_mbpp_gen_cb43ef"], CONFIGS["mbpp_gen"]
    assert sanitized.postprocess == mbpp.postprocess == "mbpp"
    assert (sanitized.benchmark.metric, sanitized.benchmark.percent_of_count) == ("score", True)
    assert sanitized.benchmark.data_path == "mbpp"
    (subject,) = sanitized.benchmark.subjects
    assert "code" in subject.keywords  # -k code selects it with the other code suites


@pytest.mark.parametrize("name", ["sanitized_mbpp_gen_cb43ef", "sanitized_mbpp_gen_1e1056"])
def test_sanitized_mbpp_results_file_holds_mbpp_s_four_counts(name: str) -> None:
    ran = ("passed", "passed", "timed out", "failed: AssertionError", "failed: NameError: name 'f' is not defined")
    outcomes = tuple(Outcome(i, "", "", "", 0, 0, judged=r == "passed", ran=r) for i, r in enumerate(ran))
    result = SubjectResult(name, "sanitized_mbpp", "sanitized_mbpp", "cb43ef", outcomes, 1.0, "main", "score", True)
    payload = results_payload(result)
    assert list(payload.items()) == [("pass", 2), ("timeout", 1), ("failed", 1), ("wrong_answer", 1), ("score", 40.0)]


def test_every_bbh_task_version_and_the_combined_hash() -> None:
    if not (DATA / "BBH" / "lib_prompt").is_dir():
        pytest.skip(f"no BBH prompt files at {DATA}")
    plans = plan_subjects(make_spec("test", "bbh_gen_0a5495"), DATA, 1)
    assert {p.subject.key: p.version for p in plans} == BBH_0A5495
    assert [p.subject.key for p in plans] == list(BBH_0A5495)
    # The file name's suffix: sha256 over the 27 tasks' full hashes joined by commas.
    infers = [p.spec.config.infer_config(p.subject).to_json() for p in plans]
    full = [hashlib.sha256(json.dumps(infer, sort_keys=True).encode()).hexdigest() for infer in infers]
    assert hashlib.sha256(",".join(full).encode()).hexdigest()[:6] == "0a5495"


def prompts(name: str, question: Question, prompt_name: str = "") -> tuple[str, str]:
    """The prompt without and with InternLM2's chat template."""
    config = CONFIGS[name]
    pieces = render_pieces(config.infer(prompt_name), [], config.benchmark.fields(question, ""))
    return flatten_plain(pieces), flatten_chatml(pieces, "gen")


def test_gsm8k_ee684f_prompt_is_one_string_ending_with_a_newline() -> None:
    question = Question(0, "How many?", (), "x\n#### 3", (("question", "How many?"), ("answer", "x\n#### 3")), "answer")
    plain, chat = prompts("gsm8k_gen_ee684f", question)
    assert plain == chat  # a plain string ignores the meta template
    assert plain.startswith("Question: Angelo and Melanie want to plan how many hours over the next week")
    assert plain.endswith(
        "The four baskets together have 32+114 = 146 fruits.\nThe answer is 146\n\n"
        "Question: How many?\nLet's think step by step\nAnswer:\n"
    )
    # 1d7fe4's shots, spaced otherwise; two spaces after "free throws." as there.
    assert "Let's think step by step\nAnswer:\nMark's team scores 25 2 pointers, meaning they scored 25*2 = 50" in plain
    assert "free throws.  Their opponents" in plain
    assert "is 9+15 = 24\n" in plain and plain.count("\n\nQuestion: ") == 4


def test_bbh_0a5495_prompt_is_5b92b0_s_base_text_in_both_styles() -> None:
    question = Question(0, "Is it?", (), "Yes", (("input", "Is it?"), ("target", "Yes")), "target")
    examples = "Answer questions.\n\nQ: Was it?\nA: Let's think step by step.\nSo the answer is No."
    plain, chat = prompts("bbh_gen_0a5495", question, examples)
    expected = (
        f"Follow the given examples and answer the question.\n{examples}\n\nQ: Is it?\nA: Let's think step by step."
    )
    assert plain == chat == expected
    assert flatten_plain(render_pieces(CONFIGS["bbh_gen"].infer(examples), [], (("input", "Is it?"),))) == expected


def test_humaneval_d2537e_prompt_in_both_styles() -> None:
    code = 'def f(x):\n    """Return x."""\n'
    question = Question(0, code, (), "HumanEval/0", (("task_id", "HumanEval/0"), ("prompt", code)), "task_id")
    assert prompts("humaneval_gen_d2537e", question) == (f"Complete the following python code:\n{code}",) * 2


SANITIZED_ROW = Question(
    0,
    "Write a function to add.",
    (),
    "assert add(1, 2) == 3\nassert add(0, 0) == 0",
    (
        ("task_id", "11"),
        ("text", "Write a function to add."),
        ("test_list", "assert add(1, 2) == 3\nassert add(0, 0) == 0"),
        ("test_list_2", "assert add(1, 2) == 3\nassert add(0, 0) == 0"),
    ),
    "test_list_2",
)


def test_sanitized_mbpp_cb43ef_prompt_is_plain_in_both_styles() -> None:
    plain, chat = prompts("sanitized_mbpp_gen_cb43ef", SANITIZED_ROW)
    assert plain == chat
    assert plain.startswith(
        "You are an expert Python programmer, and here is your task: Write a function to find the similar elements "
        "from the given two tuple lists. Your code should pass these tests:\n\n"
        "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)\n"
    )
    assert "\n[BEGIN]\n 'def similar_elements(test_tup1, test_tup2):\n  res = tuple(" in plain
    assert "  return (res)'\n[DONE]\n\n\n\nYou are an expert Python programmer" in plain
    assert "\r" not in plain and plain.count("[DONE]\n\n\n\n") == 3
    assert plain.endswith(
        "  return largest_nums'\n[DONE]\n\n\n\nYou are an expert Python programmer, and here is your task: "
        "Write a function to add. Your code should pass these tests:\n\n"
        "assert add(1, 2) == 3\nassert add(0, 0) == 0\n\n[BEGIN]\n"
    )


def test_sanitized_mbpp_1e1056_is_mbpp_gen_s_round() -> None:
    plain, chat = prompts("sanitized_mbpp_gen_1e1056", SANITIZED_ROW)
    tests = "assert add(1, 2) == 3\nassert add(0, 0) == 0"
    # One space before the first assert only; the last round's "[BEGIN]\n" dropped under the chat template.
    assert plain.endswith(f"Write a function to add. Your code should pass these tests:\n\n {tests}  \n\n[BEGIN]\n")
    assert chat.endswith(f"Your code should pass these tests:\n\n {tests}  \n<|im_end|>\n<|im_start|>assistant\n")
    assert chat.count("<|im_start|>user\n") == 4 and "\r\n" in plain
