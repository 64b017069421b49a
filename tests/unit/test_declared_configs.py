"""OpenCompass 0.2.4's named configs as declarations: every version hash, and one rendered prompt per config and
style, each written out here from the layouts in the reference (opencompass-datasets.md §1-§3), not from the code."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from pytest_llmeval.datasets.ceval import SUBJECTS as CEVAL_SUBJECTS
from pytest_llmeval.datasets.cmmlu import CMMLU_GROUPS, CMMLU_SUBJECTS
from pytest_llmeval.datasets.declared import (
    BY_NAME,
    ceval_gen,
    ceval_ppl,
    ceval_zero_shot_gen,
    cmmlu_gen,
    cmmlu_ppl,
    mmlu_gen,
    mmlu_ppl,
)
from pytest_llmeval.datasets.mmlu import MMLU_GROUPS, MMLU_SUBJECTS
from pytest_llmeval.datasets.templates import flatten_chatml, flatten_plain, render_pieces
from pytest_llmeval.prompts import render_plain
from pytest_llmeval.records import Question


@pytest.mark.parametrize(
    ("config", "name", "version"),
    [
        (ceval_gen, "计算机网络", "db9ce2"),
        (ceval_ppl, "计算机网络", "9b9417"),
        (ceval_zero_shot_gen, "计算机网络", "98dacd"),
        (mmlu_gen, "anatomy", "72183b"),
        (mmlu_ppl, "anatomy", "a367fc"),
        (cmmlu_gen, "农学", "4c7f2c"),
        (cmmlu_ppl, "农学", "18e759"),
    ],
)
def test_version_pinned(config, name, version):
    assert config(name).version() == version


def test_names_and_aliases():
    assert BY_NAME["ceval_gen"] is BY_NAME["ceval_gen_5f30c7"]
    assert BY_NAME["mmlu_ppl"].name == "mmlu_ppl_ac766d"
    assert BY_NAME["cmmlu_gen"].name == "cmmlu_gen_c13365"
    assert BY_NAME["ceval_zero_shot_gen"].name == "ceval_zero_shot_gen_bd40ef"
    # BBH and GAOKAO-Bench score each subject by its own rule (Subject.scoring); every other gen config names one.
    own_rules = ("bbh", "gaokao")
    assert {d.mode for d in BY_NAME.values() if d.postprocess is None and d.family not in own_rules} == {"ppl", "ll"}


def shared_table(*parts: str) -> list[dict[str, str]]:
    root = Path(os.environ.get("LLMEVAL_SHARED") or Path(__file__).resolve().parents[3] / "shared")
    path = root.joinpath("data", *parts)
    if not path.is_file():
        pytest.skip(f"{path} not found (set LLMEVAL_SHARED to the shared folder)")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_every_ceval_version_matches_the_shared_table():
    rows = shared_table("ceval", "subjects.tsv")
    chinese = {s.key: s.chinese for s in CEVAL_SUBJECTS}
    for column, config in (
        ("version_gen_5f30c7", ceval_gen),
        ("version_ppl_578f8d", ceval_ppl),
        ("version_zero_shot_gen_bd40ef", ceval_zero_shot_gen),
    ):
        got = {row["subject"]: config(chinese[row["subject"]]).version() for row in rows}
        assert got == {row["subject"]: row[column] for row in rows}, column


def test_every_mmlu_subject_matches_the_shared_table():
    rows = shared_table("mmlu", "subjects.tsv")
    assert [r["subject"] for r in rows] == [s.key for s in MMLU_SUBJECTS], "config order"
    for row, subject in zip(rows, MMLU_SUBJECTS):
        assert (subject.abbr, subject.category, str(subject.weight)) == (row["abbr"], row["category"], row["weight"])
        assert mmlu_gen(subject.prompt_name).version() == row["version_gen"], subject.key
        assert mmlu_ppl(subject.prompt_name).version() == row["version_ppl"], subject.key
    assert {s.category for s in MMLU_SUBJECTS} == set(MMLU_GROUPS)


def test_every_cmmlu_subject_matches_the_shared_table():
    rows = shared_table("cmmlu", "subjects.tsv")
    assert [r["subject"] for r in rows] == [s.key for s in CMMLU_SUBJECTS]
    for row, subject in zip(rows, CMMLU_SUBJECTS):
        assert (subject.abbr, subject.chinese, ",".join(subject.groups)) == (row["abbr"], row["chinese"], row["groups"])
        assert cmmlu_gen(subject.chinese).version() == row["version_gen"], subject.key
        assert cmmlu_ppl(subject.chinese).version() == row["version_ppl"], subject.key


def test_cmmlu_group_sizes():
    sizes = {group: sum(group in s.groups for s in CMMLU_SUBJECTS) for group in CMMLU_GROUPS}
    assert sizes == {
        "cmmlu-humanities": 13,
        "cmmlu-stem": 17,
        "cmmlu-social-science": 22,
        "cmmlu-other": 15,
        "cmmlu-china-specific": 15,
    }


# --- rendering: five shots S0..S4 (gold letters cycle A..D) and one test row T ---

GOLD = ("A", "B", "C", "D", "A")


def row(tag: str, question: str = "question", answer: str = "answer", gold: str = "") -> tuple:
    """A row's fields in column order, as (name, value) pairs."""
    return (
        (question, f"q{tag}"),
        ("A", f"a{tag}"),
        ("B", f"b{tag}"),
        ("C", f"c{tag}"),
        ("D", f"d{tag}"),
        (answer, gold),
    )


def shots(question: str = "question", answer: str = "answer") -> list[tuple]:
    return [(row(str(i), question, answer, GOLD[i]), GOLD[i]) for i in range(5)]


def ceval_h(tag: str, ending: str = "答案: ") -> str:
    return f"以下是中国关于法学考试的单项选择题，请选出其中的正确答案。\nq{tag}\nA. a{tag}\nB. b{tag}\nC. c{tag}\nD. d{tag}\n{ending}"


def test_ceval_gen_plain_equals_the_existing_renderer():
    text = flatten_plain(render_pieces(ceval_gen("法学"), shots(), row("T")))
    questions = [Question(i, f"q{i}", (f"a{i}", f"b{i}", f"c{i}", f"d{i}"), GOLD[i]) for i in range(5)]
    test = Question(9, "qT", ("aT", "bT", "cT", "dT"), "")
    template = (
        "以下是中国关于法学考试的单项选择题，请选出其中的正确答案。\n{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\n答案: "
    )
    assert text == render_plain(template, questions, test)
    assert text == "\n".join(f"{ceval_h(str(i))}\n{GOLD[i]}" for i in range(5)) + "\n" + ceval_h("T")


@pytest.mark.parametrize("label", "ABCD")
def test_ceval_ppl_plain_label(label):
    text = flatten_plain(render_pieces(ceval_ppl("法学"), shots(), row("T", gold="B"), label))
    body = "\n\n\n".join(f"{ceval_h(str(i))}\n{GOLD[i]}" for i in range(5))
    assert text == body + "\n\n\n\n\n" + ceval_h("T") + f"\n{label}"


def test_ceval_zero_shot_starts_with_a_newline_only_without_meta_template():
    pieces = render_pieces(ceval_zero_shot_gen("法学"), [], row("T"))
    human = ceval_h("T", "让我们一步一步思考。答案: ")
    assert flatten_plain(pieces) == "\n" + human
    assert flatten_chatml(pieces, "gen") == f"<|im_start|>user\n{human}<|im_end|>\n<|im_start|>assistant\n"


def mmlu_h(tag: str) -> str:
    return (
        "There is a single choice question about high school us history. Answer the question by replying A, B, C or D."
        f"\nQuestion: q{tag}\nA. a{tag}\nB. b{tag}\nC. c{tag}\nD. d{tag}\nAnswer: "
    )


def test_mmlu_gen_plain_and_chat():
    pieces = render_pieces(mmlu_gen("high school us history"), shots("input", "target"), row("T", "input", "target"))
    assert flatten_plain(pieces) == "".join(f"{mmlu_h(str(i))}\n{GOLD[i]}\n\n" for i in range(5)) + mmlu_h("T")
    chat = "".join(
        f"<|im_start|>user\n{mmlu_h(str(i))}<|im_end|>\n<|im_start|>assistant\n{GOLD[i]}\n<|im_end|>\n"
        for i in range(5)
    )
    assert flatten_chatml(pieces, "gen") == chat + f"<|im_start|>user\n{mmlu_h('T')}<|im_end|>\n<|im_start|>assistant\n"


@pytest.mark.parametrize("label", "ABCD")
def test_mmlu_ppl_is_plain_text_in_both_styles(label):
    pieces = render_pieces(mmlu_ppl("anatomy"), shots("input", "target"), row("T", "input", "target", "B"), label)

    def q(tag: str) -> str:
        return f"q{tag}\nA. a{tag}\nB. b{tag}\nC. c{tag}\nD. d{tag}"

    hint = "The following are multiple choice questions (with answers) about  anatomy.\n\n"
    expected = hint + "".join(f"{q(str(i))}\nAnswer: {GOLD[i]}\n\n" for i in range(5)) + f"{q('T')}\nAnswer: {label}"
    assert flatten_plain(pieces) == expected
    assert flatten_chatml(pieces, "ppl") == expected


def cmmlu_h(tag: str) -> str:
    return f"以下是关于农学的单项选择题，请直接给出正确答案的选项。\n题目：q{tag}\nA. a{tag}\nB. b{tag}\nC. c{tag}\nD. d{tag}"


def test_cmmlu_gen_plain_and_chat():
    pieces = render_pieces(cmmlu_gen("农学"), shots(), row("T"))
    plain = "\n".join(f"{cmmlu_h(str(i))}\n答案是: {GOLD[i]}" for i in range(5)) + f"\n{cmmlu_h('T')}\n答案是: "
    assert flatten_plain(pieces) == plain
    assert flatten_chatml(pieces, "gen").endswith(
        f"<|im_start|>user\n{cmmlu_h('T')}<|im_end|>\n<|im_start|>assistant\n"
    )
    assert "<|im_start|>assistant\n答案是: A<|im_end|>\n<|im_start|>user" in flatten_chatml(pieces, "gen")


@pytest.mark.parametrize("label", "ABCD")
def test_cmmlu_ppl_plain_and_chat(label):
    pieces = render_pieces(cmmlu_ppl("农学"), shots(), row("T", gold="A"), label)
    shot_text = [f"{cmmlu_h(str(i))}\n答案是: {GOLD[i]}" for i in range(5)]
    assert flatten_plain(pieces) == "\n\n\n".join(shot_text) + f"\n\n\n\n\n{cmmlu_h('T')}\n答案是: {label}"
    chat = flatten_chatml(pieces, "ppl")
    assert "答案是: A<|im_end|>\n\n<|im_start|>user\n" in chat
    assert chat.endswith(
        f"答案是: A<|im_end|>\n\n\n<|im_start|>user\n{cmmlu_h('T')}<|im_end|>\n<|im_start|>assistant\n答案是: {label}<|im_end|>\n"
    )
