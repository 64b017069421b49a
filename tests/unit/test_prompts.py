"""Prompt rendering against the exact strings of OpenCompass 0.2.4 (spec §2, §2.1, §2.3)."""

from __future__ import annotations

import pytest

from pytest_llmeval.datasets.ceval import SUBJECT_BY_KEY
from pytest_llmeval.datasets.configs import CEVAL_GEN
from pytest_llmeval.prompts import chat_messages, fill, fit_prompt, render_plain
from pytest_llmeval.records import Question

TEMPLATE = CEVAL_GEN.round_template(SUBJECT_BY_KEY["computer_network"])
HEAD = "以下是中国关于计算机网络考试的单项选择题，请选出其中的正确答案。"


def q(index: int, question: str, choices: tuple[str, str, str, str], answer: str) -> Question:
    return Question(index=index, question=question, choices=choices, answer=answer)


SHOTS = (
    q(0, "TCP属于哪一层？", ("物理层", "传输层", "应用层", "链路层"), "B"),
    q(1, "HTTP默认端口是____", ("21", "25", "80", "443"), "C"),
)
TEST = q(7, "IPv4地址有多少位？", ("16", "32", "64", "128"), "B")


def test_round_template_fills_chinese_name_only():
    assert TEMPLATE == HEAD + "\n{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\n答案: "


def test_render_plain_two_shots_exact_string():
    expected = (
        "以下是中国关于计算机网络考试的单项选择题，请选出其中的正确答案。\n"
        "TCP属于哪一层？\nA. 物理层\nB. 传输层\nC. 应用层\nD. 链路层\n答案: \nB\n"
        "以下是中国关于计算机网络考试的单项选择题，请选出其中的正确答案。\n"
        "HTTP默认端口是____\nA. 21\nB. 25\nC. 80\nD. 443\n答案: \nC\n"
        "以下是中国关于计算机网络考试的单项选择题，请选出其中的正确答案。\n"
        "IPv4地址有多少位？\nA. 16\nB. 32\nC. 64\nD. 128\n答案: "
    )
    assert render_plain(TEMPLATE, SHOTS, TEST) == expected


def test_render_plain_zero_shot_is_one_round_ending_with_trailing_space():
    text = render_plain(TEMPLATE, (), TEST)
    assert text == HEAD + "\nIPv4地址有多少位？\nA. 16\nB. 32\nC. 64\nD. 128\n答案: "
    assert text.endswith("答案: ") and not text.endswith("\n")


def test_render_plain_never_shows_the_test_answer():
    # The gold letter of the test question must not leak into the prompt.
    leaky = q(9, "问题", ("甲", "乙", "丙", "丁"), "D")
    assert render_plain(TEMPLATE, (), leaky).count("D") == 1  # only the "D. " label


def test_fill_is_sequential_plain_replacement():
    """OpenCompass replaces question, A, B, C, D in turn with str.replace.

    So a key inside an earlier value gets filled by a later one ({A}, {B} in the question, {B} in A), while a value
    never fills itself (C's own {C}) and a key inside a later value stays literal (D's {A}).
    """
    tricky = q(0, "{A}与{B}", ("x{B}", "y", "$\\oint_{C}$", "{A}"), "A")
    expected = HEAD + "\nxy与y\nA. xy\nB. y\nC. $\\oint_{C}$\nD. {A}\n答案: "
    assert fill(TEMPLATE, tricky) == expected


@pytest.mark.parametrize(
    "question_text",
    ["{ch}是什么", "{answer}", "{0}", "{}", "{{A}}"],
)
def test_fill_leaves_other_braces_alone(question_text):
    # str.format would raise or substitute here; plain replacement keeps the text (except {A}-style keys).
    filled = fill("{question}", q(0, question_text, ("a", "b", "c", "d"), "A"))
    assert filled == question_text.replace("{A}", "a")


def test_chat_messages_alternate_user_and_assistant():
    messages = chat_messages(TEMPLATE, SHOTS, TEST)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert messages[0] == {"role": "user", "content": fill(TEMPLATE, SHOTS[0])}
    assert messages[1] == {"role": "assistant", "content": "B"}
    assert messages[3] == {"role": "assistant", "content": "C"}
    assert messages[-1] == {"role": "user", "content": fill(TEMPLATE, TEST)}
    assert chat_messages(TEMPLATE, (), TEST) == [{"role": "user", "content": fill(TEMPLATE, TEST)}]


FIVE_SHOTS = tuple(q(i, f"第{i}题" + "很长" * i, (f"a{i}", f"b{i}", f"c{i}", f"d{i}"), "ABCDA"[i]) for i in range(5))


def renderer(calls: list[int]):
    def render(k: int) -> str:
        calls.append(k)
        return render_plain(TEMPLATE, FIVE_SHOTS[:k], TEST)

    return render


def test_fit_prompt_keeps_all_shots_when_they_fit():
    calls: list[int] = []
    full = render_plain(TEMPLATE, FIVE_SHOTS, TEST)
    prompt = fit_prompt(renderer(calls), len, 5, len(full))  # equal length fits: the rule is "> max"
    assert (prompt.text, prompt.shots, prompt.tokens) == (full, 5, len(full))
    assert calls == [5]


def test_fit_prompt_drops_exactly_the_last_two_shots():
    calls: list[int] = []
    three = render_plain(TEMPLATE, FIVE_SHOTS[:3], TEST)
    prompt = fit_prompt(renderer(calls), len, 5, len(three))
    assert calls == [5, 4, 3]
    assert prompt.shots == 3
    assert prompt.text == three
    assert prompt.tokens == len(three)
    assert "第2题" in prompt.text and "第3题" not in prompt.text and "第4题" not in prompt.text


def test_fit_prompt_one_token_short_drops_one_more_shot():
    calls: list[int] = []
    three = render_plain(TEMPLATE, FIVE_SHOTS[:3], TEST)
    prompt = fit_prompt(renderer(calls), len, 5, len(three) - 1)
    assert prompt.shots == 2 and calls == [5, 4, 3, 2]


def test_fit_prompt_gives_up_at_zero_shots_even_if_too_long():
    calls: list[int] = []
    zero = render_plain(TEMPLATE, (), TEST)
    prompt = fit_prompt(renderer(calls), len, 5, 10)
    assert calls == [5, 4, 3, 2, 1, 0]
    assert prompt.shots == 0
    assert prompt.text == zero
    assert prompt.tokens == len(zero) > 10
