"""OpenCompass 0.2.4's named dataset configs, declared as data: templates, shots, mode and answer extraction.

Each config is a function from a subject's prompt name to its ``InferConfig``, so one declaration
gives every subject's prompt and version hash. The strings are OpenCompass's, byte for byte
(``../shared/reference/opencompass-datasets.md`` §1-§3); the subject tables live beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pytest_llmeval.datasets import core_choices as core
from pytest_llmeval.datasets.ceval_core import ceval_ppl_plain, cmmlu_ppl_plain
from pytest_llmeval.datasets.code_problems import MBPP_ROUNDS
from pytest_llmeval.datasets.gaokao import gaokao_plain, gaokao_round
from pytest_llmeval.datasets.gsm8k import GSM8K_ROUNDS
from pytest_llmeval.datasets.math_problems import MATH_ROUNDS
from pytest_llmeval.datasets.math_v2 import math_evaluatorv2_gen_9d2049, math_evaluatorv2_gen_cecb31
from pytest_llmeval.datasets.open_qa import nq_open_01cf41, open_qa_20a989, triviaqa_eaf81e
from pytest_llmeval.datasets.plain_gen import (
    bbh_gen_0a5495,
    gsm8k_gen_ee684f,
    humaneval_gen_d2537e,
    sanitized_mbpp_gen_cb43ef,
)
from pytest_llmeval.datasets.templates import ICE_TOKEN, InferConfig, Mode, Rounds, Template, Turn
from pytest_llmeval.datasets.theoremqa import theoremqa_gen_2c2583, theoremqa_gen_ef26ca

LETTERS = ("A", "B", "C", "D")


@dataclass(frozen=True, slots=True)
class Declared:
    """One named config: its canonical (hashed) name, the short alias users type, and how it infers and scores."""

    name: str
    alias: str | None
    family: str
    mode: Mode
    postprocess: str | None  # a key of scoring.RULES; None in ppl mode (the lowest-perplexity label wins)
    infer: Callable[[str], InferConfig]
    bot_turn: bool = False  # OpenCompass's pred_role="BOT" (see DatasetConfig.bot_turn)


def _rounds(*turns: tuple[str, str], begin: str | None = None) -> Rounds:
    return Rounds(tuple(Turn(role, prompt) for role, prompt in turns), begin)  # type: ignore[arg-type]


# --- C-Eval (§3; ceval_gen in opencompass-ceval.md) ---


def _ceval_human(chinese: str, ending: str = "答案: ") -> str:
    return f"以下是中国关于{chinese}考试的单项选择题，请选出其中的正确答案。\n{{question}}\nA. {{A}}\nB. {{B}}\nC. {{C}}\nD. {{D}}\n{ending}"


def ceval_gen(chinese: str) -> InferConfig:
    human = _ceval_human(chinese)
    ice = Template(_rounds(("HUMAN", human), ("BOT", "{answer}"), begin=ICE_TOKEN), ice_token=ICE_TOKEN)
    return InferConfig("gen", ice)


def ceval_ppl(chinese: str) -> InferConfig:
    human = _ceval_human(chinese)
    by_label = tuple((x, _rounds(("HUMAN", human), ("BOT", x), begin=ICE_TOKEN)) for x in LETTERS)
    return InferConfig("ppl", Template(by_label=by_label, ice_token=ICE_TOKEN))


def ceval_zero_shot_gen(chinese: str) -> InferConfig:
    human = _ceval_human(chinese, "让我们一步一步思考。答案: ")
    ice = Template(_rounds(("HUMAN", human), ("BOT", "{answer}"), begin=ICE_TOKEN), ice_token=ICE_TOKEN)
    return InferConfig("gen", ice, shots=0, max_out_len=256)


# --- MMLU (§1); the prompt name is the key with "_" as spaces ---


def _mmlu_question() -> str:
    return "{input}\nA. {A}\nB. {B}\nC. {C}\nD. {D}"


def mmlu_gen(name: str) -> InferConfig:
    human = (
        f"There is a single choice question about {name}. Answer the question by replying A, B, C or D.\n"
        f"Question: {_mmlu_question()}\nAnswer: "
    )
    ice = Template(_rounds(("HUMAN", human), ("BOT", "{target}\n")))
    prompt = Template(_rounds(("HUMAN", human), begin=ICE_TOKEN), ice_token=ICE_TOKEN)
    return InferConfig("gen", ice, prompt)


def mmlu_ppl(name: str) -> InferConfig:
    question = _mmlu_question()
    hint = f"The following are multiple choice questions (with answers) about  {name}.\n\n"  # two spaces: sic
    ice = Template(by_label=tuple((x, f"{question}\nAnswer: {x}\n") for x in LETTERS))
    prompt = Template(
        by_label=tuple((x, f"{hint}{ICE_TOKEN}{question}\nAnswer: {x}") for x in LETTERS), ice_token=ICE_TOKEN
    )
    return InferConfig("ppl", ice, prompt)


# --- CMMLU (§2) ---


def _cmmlu_human(chinese: str) -> str:
    return f"以下是关于{chinese}的单项选择题，请直接给出正确答案的选项。\n题目：{{question}}\nA. {{A}}\nB. {{B}}\nC. {{C}}\nD. {{D}}"


def cmmlu_gen(chinese: str) -> InferConfig:
    human = _cmmlu_human(chinese)
    ice = Template(_rounds(("HUMAN", human), ("BOT", "答案是: {answer}"), begin=ICE_TOKEN), ice_token=ICE_TOKEN)
    return InferConfig("gen", ice)


def cmmlu_ppl(chinese: str) -> InferConfig:
    human = _cmmlu_human(chinese)
    by_label = tuple((x, _rounds(("HUMAN", human), ("BOT", f"答案是: {x}"), begin=ICE_TOKEN)) for x in LETTERS)
    return InferConfig("ppl", Template(by_label=by_label, ice_token=ICE_TOKEN))


# --- GSM8K, MATH (opencompass-suites.md §1, §2): four shots written into one zero-shot round ---


def gsm8k_gen(name: str) -> InferConfig:
    return InferConfig("gen", None, Template(_rounds(*GSM8K_ROUNDS)), shots=0, max_out_len=512)


def math_gen(name: str) -> InferConfig:
    return InferConfig("gen", None, Template(_rounds(*MATH_ROUNDS)), shots=0, max_out_len=512)


# --- BBH (§3): the prompt name is the task's worked examples, read from its prompt file ---


def bbh_gen(examples: str) -> InferConfig:
    human = (
        f"Follow the given examples and answer the question.\n{examples}\n\nQ: {{input}}\nA: Let's think step by step."
    )
    return InferConfig("gen", None, Template(_rounds(("HUMAN", human))), shots=0, max_out_len=512)


# --- Commonsense and reading (opencompass-suites.md §4-§10): zero-shot, one template per label ---


def _label_rounds(human: str, bots: tuple[tuple[str, str], ...]) -> Template:
    """A label dict of rounds: label -> HUMAN ``human``, BOT its own text (rendered HUMAN + "\\n" + BOT)."""
    return Template(by_label=tuple((label, _rounds(("HUMAN", human), ("BOT", bot))) for label, bot in bots))


def _gen(human: str) -> InferConfig:
    # GenInferencer without max_out_len: the model's setting applies (--llm-max-out-len).
    return InferConfig("gen", None, Template(_rounds(("HUMAN", human))), shots=0)


def hellaswag_ppl(name: str) -> InferConfig:
    template = _label_rounds("{ctx}", tuple((str(k), "{" + x + "}") for k, x in enumerate(LETTERS)))
    return InferConfig("ppl", None, template, shots=0)


def hellaswag_gen(name: str) -> InferConfig:
    return _gen(
        "{ctx}\nQuestion: Which ending makes the most sense?\nA. {A}\nB. {B}\nC. {C}\nD. {D}\n"
        "You may choose from 'A', 'B', 'C', 'D'.\nAnswer:"
    )


def arc_ppl(name: str) -> InferConfig:
    template = _label_rounds("Question: {question}\nAnswer: ", tuple((x, "{text" + x + "}") for x in LETTERS))
    return InferConfig("ppl", None, template, shots=0)


def arc_gen(name: str) -> InferConfig:
    return _gen("Question: {question}\nA. {textA}\nB. {textB}\nC. {textC}\nD. {textD}\nAnswer:")


def winogrande_ll(name: str) -> InferConfig:
    # Plain strings: the two filled-in sentences; the shared continuation ("cont") is what gets scored.
    return InferConfig("ll", None, Template(by_label=(("1", "{opt1}"), ("2", "{opt2}"))), shots=0)


def winogrande_gen(name: str) -> InferConfig:
    return _gen("Which of the following is a good sentence:\nA. {opt1}\nB. {opt2}\nAnswer:")


def piqa_ppl(name: str) -> InferConfig:
    # A space before the first newline and a final newline: sic.
    by_label = tuple(
        (str(k), f"The following makes sense: \nQ: {{goal}}\nA: {{{sol}}}\n") for k, sol in enumerate(("sol1", "sol2"))
    )
    return InferConfig("ppl", None, Template(by_label=by_label), shots=0)


def siqa_ppl(name: str) -> InferConfig:
    human = "{context}\nQuestion: {question}\nAnswer:"
    template = _label_rounds(human, tuple((str(k), "{answer" + x + "}") for k, x in enumerate("ABC", start=1)))
    return InferConfig("ppl", None, template, shots=0)


def race_ppl(name: str) -> InferConfig:
    human = (
        "Read the article, and answer the question by replying A, B, C or D.\n\nArticle:\n{article}\n\n"
        "Q: {question}\n\nA. {A}\nB. {B}\nC. {C}\nD. {D}"
    )
    return InferConfig("ppl", None, _label_rounds(human, tuple((x, f"A: {x}") for x in LETTERS)), shots=0)


def boolq_ppl(name: str) -> InferConfig:
    template = _label_rounds("{passage}\nQuestion: {question}?", (("0", "No"), ("1", "Yes")))
    return InferConfig("ppl", None, template, shots=0)


# --- HumanEval, MBPP (§11, §12): zero-shot code completion; MBPP writes three worked tasks into its round ---


def humaneval_gen(name: str) -> InferConfig:
    human = "Complete the following python code:\n{prompt}"
    return InferConfig("gen", None, Template(_rounds(("HUMAN", human))), shots=0, max_out_len=512)


def mbpp_gen(name: str) -> InferConfig:
    return InferConfig("gen", None, Template(_rounds(*MBPP_ROUNDS)), shots=0, max_out_len=512)


DECLARED: tuple[Declared, ...] = (
    Declared("ceval_gen_5f30c7", "ceval_gen", "ceval", "gen", "first_capital", ceval_gen),
    Declared("ceval_ppl_578f8d", "ceval_ppl", "ceval", "ppl", None, ceval_ppl),
    # 0.2.4 has no short alias for this one; "ceval_zero_shot_gen" is ours.
    Declared("ceval_zero_shot_gen_bd40ef", "ceval_zero_shot_gen", "ceval", "gen", "first_option", ceval_zero_shot_gen),
    Declared("mmlu_gen_4d595a", "mmlu_gen", "mmlu", "gen", "first_option", mmlu_gen),
    Declared("mmlu_ppl_ac766d", "mmlu_ppl", "mmlu", "ppl", None, mmlu_ppl),
    Declared("cmmlu_gen_c13365", "cmmlu_gen", "cmmlu", "gen", "first_capital", cmmlu_gen),
    Declared("cmmlu_ppl_8b9c76", "cmmlu_ppl", "cmmlu", "ppl", None, cmmlu_ppl),
    Declared("gsm8k_gen_1d7fe4", "gsm8k_gen", "gsm8k", "gen", "gsm8k", gsm8k_gen),
    Declared("math_gen_265cce", "math_gen", "math", "gen", "math", math_gen),
    # Each task's scoring rule is its subject's (multiple-choice or free-form); the hash is of all 27 tasks.
    Declared("bbh_gen_5b92b0", "bbh_gen", "bbh", "gen", None, bbh_gen, bot_turn=True),
    Declared("hellaswag_ppl_47bff9", "hellaswag_ppl", "hellaswag", "ppl", None, hellaswag_ppl),
    Declared("hellaswag_gen_6faab5", "hellaswag_gen", "hellaswag", "gen", "first_option", hellaswag_gen, True),
    Declared("ARC_c_ppl_a450bd", "ARC_c_ppl", "arc_c", "ppl", None, arc_ppl),
    Declared("ARC_c_gen_1e0de5", "ARC_c_gen", "arc_c", "gen", "first_option", arc_gen, True),
    Declared("ARC_e_ppl_a450bd", "ARC_e_ppl", "arc_e", "ppl", None, arc_ppl),
    Declared("ARC_e_gen_1e0de5", "ARC_e_gen", "arc_e", "gen", "first_option", arc_gen, True),
    Declared("winogrande_ll_c5cf57", "winogrande_ll", "winogrande", "ll", None, winogrande_ll),
    Declared("winogrande_gen_a9ede5", "winogrande_gen", "winogrande", "gen", "first_option_ab", winogrande_gen, True),
    Declared("piqa_ppl_1cf9f0", "piqa_ppl", "piqa", "ppl", None, piqa_ppl),
    Declared("siqa_ppl_ced5f6", "siqa_ppl", "siqa", "ppl", None, siqa_ppl),
    # Both RACE levels share one template (version 0c332f); a138cd is OpenCompass's hash of the two-dataset list.
    Declared("race_ppl_a138cd", "race_ppl", "race", "ppl", None, race_ppl),
    Declared("SuperGLUE_BoolQ_ppl_314b96", "SuperGLUE_BoolQ_ppl", "boolq", "ppl", None, boolq_ppl),
    # Scored by running the program each completion makes (judging/programs.py), never in this process.
    Declared("humaneval_gen_8e312c", "humaneval_gen", "humaneval", "gen", "humaneval", humaneval_gen, True),
    Declared("mbpp_gen_1e1056", "mbpp_gen", "mbpp", "gen", "mbpp", mbpp_gen, True),
    # The core collections' (core_choices.py): few-shot pools, and RACE's other templates (6e27c0, 9a54b6 per level).
    Declared("hellaswag_10shot_ppl_59c85e", None, "hellaswag", "ppl", None, core.hellaswag_10shot_ppl),
    Declared("hellaswag_10shot_gen_e42710", None, "hellaswag", "gen", "first_option", core.hellaswag_10shot_gen, True),
    Declared("winogrande_5shot_ll_252f01", None, "winogrande", "ll", None, core.winogrande_5shot_ll),
    Declared(
        "winogrande_5shot_gen_6447e6", None, "winogrande", "gen", "first_option_ab", core.winogrande_5shot_gen, True
    ),
    Declared("race_ppl_abed12", None, "race", "ppl", None, core.race_core_ppl),
    Declared("race_gen_69ee4f", "race_gen", "race", "gen", "first_option", core.race_core_gen, True),
    # The core collections' MATH and TheoremQA (opencompass-core.md §8, §14): no short aliases in 0.2.4.
    Declared("math_evaluatorv2_gen_9d2049", None, "math", "gen", "math_v2", math_evaluatorv2_gen_9d2049),
    Declared("math_evaluatorv2_gen_cecb31", None, "math", "gen", "math_v2", math_evaluatorv2_gen_cecb31),
    Declared("TheoremQA_post_v2_gen_2c2583", None, "theoremqa", "gen", "theoremqa", theoremqa_gen_2c2583),
    Declared("TheoremQA_post_v2_gen_ef26ca", None, "theoremqa", "gen", "theoremqa", theoremqa_gen_ef26ca),
    # The core collections' C-Eval (val and test: benchmarks.VARIANTS) and CMMLU configs; no short aliases.
    Declared("ceval_ppl_1cd8bf", None, "ceval", "ppl", None, ceval_ppl_plain),
    Declared("ceval_internal_ppl_1cd8bf", None, "ceval", "ppl", None, ceval_ppl_plain),
    Declared("ceval_gen_2daf24", None, "ceval", "gen", "first_capital", ceval_gen),  # renders and hashes as 5f30c7
    Declared("ceval_ppl_93e5ce", None, "ceval", "ppl", None, ceval_ppl),  # renders and hashes as 578f8d
    Declared("cmmlu_ppl_041cbf", None, "cmmlu", "ppl", None, cmmlu_ppl_plain),
    # Each paper is scored by its own kind's rule (Subject.scoring); no short alias in 0.2.4.
    Declared("GaokaoBench_no_subjective_gen_d21e37", None, "gaokao", "gen", None, gaokao_plain, True),
    Declared("GaokaoBench_no_subjective_gen_4c31db", None, "gaokao", "gen", None, gaokao_round, True),
    # base_core's plain-string twins (plain_gen.py), known by their full names only; sanitized MBPP's round twin
    # is mbpp_gen's template over the other file.
    Declared("gsm8k_gen_ee684f", None, "gsm8k", "gen", "gsm8k", gsm8k_gen_ee684f),
    Declared("bbh_gen_0a5495", None, "bbh", "gen", None, bbh_gen_0a5495, bot_turn=True),
    Declared("humaneval_gen_d2537e", None, "humaneval", "gen", "humaneval", humaneval_gen_d2537e, True),
    Declared("sanitized_mbpp_gen_cb43ef", None, "sanitized_mbpp", "gen", "mbpp", sanitized_mbpp_gen_cb43ef, True),
    Declared("sanitized_mbpp_gen_1e1056", None, "sanitized_mbpp", "gen", "mbpp", mbpp_gen, True),
    # TriviaQA and NQ-open (opencompass-core.md §11, §12): no short aliases; both base configs hash to 20a989.
    Declared("triviaqa_wiki_1shot_gen_20a989", None, "triviaqa", "gen", "triviaqa", open_qa_20a989, True),
    Declared("triviaqa_wiki_1shot_gen_eaf81e", None, "triviaqa", "gen", "triviaqa", triviaqa_eaf81e, True),
    Declared("nq_open_1shot_gen_20a989", None, "nq_open", "gen", "nq_open", open_qa_20a989, True),
    Declared("nq_open_1shot_gen_01cf41", None, "nq_open", "gen", "nq_open", nq_open_01cf41, True),
)

BY_NAME: dict[str, Declared] = {
    name: declared for declared in DECLARED for name in (declared.name, declared.alias) if name is not None
}
