"""The core collections' HellaSwag 10-shot, Winogrande 5-shot and RACE configs, declared as OpenCompass 0.2.4 writes
them (``opencompass-core.md`` §3-§5).

HellaSwag and Winogrande take their shots from a pool file of their own (``hellaswag_train_sampled25.jsonl``,
``winogrande/train_xs.jsonl``): FixKRetriever's listed rows, in list order, each with its own gold. The plain-string
configs (ppl, ll) ignore a chat meta template; the round ones (gen) are wrapped by it.
"""

from __future__ import annotations

from pytest_llmeval.datasets.templates import ICE_TOKEN, InferConfig, Rounds, Template, Turn

LETTERS = ("A", "B", "C", "D")
HELLASWAG_SHOTS = tuple(range(10))  # rows 0-9 of the 25-row pool
WINOGRANDE_SHOTS = (0, 2, 4, 6, 8)  # of train_xs: answers B, A, B, B, B

_HELLASWAG_HEADER = "Continue the following text without adding any additional information or formatting:\n"
_HELLASWAG_QUESTION = "{ctx}\nA) {A}\nB) {B}\nC) {C}\nD) {D}\nWhat is the right option?"
_WINOGRANDE_QUESTION = "Which of the following is a good sentence:\nA. {opt1}\nB. {opt2}\nAnswer:"
_RACE_HINT = "Read the article, and answer the question by replying A, B, C or D.\n\n"
_RACE_QUESTION = "Q: {question}\n\nA. {A}\nB. {B}\nC. {C}\nD. {D}"


def hellaswag_10shot_ppl(name: str) -> InferConfig:
    # Each shot is its own gold's entry; FixK joins them with "\n" and ends the block with one more.
    ice = Template(by_label=tuple((x, f"{_HELLASWAG_QUESTION}\n{x}\n") for x in LETTERS))
    prompt = Template(
        by_label=tuple((x, f"{_HELLASWAG_HEADER}{ICE_TOKEN}{_HELLASWAG_QUESTION}\n{x}") for x in LETTERS),
        ice_token=ICE_TOKEN,
    )
    return InferConfig("ppl", ice, prompt, fix_ids=HELLASWAG_SHOTS)


def hellaswag_10shot_gen(name: str) -> InferConfig:
    turns = (Turn("HUMAN", _HELLASWAG_QUESTION), Turn("BOT", "{label}\n"))
    # The header is a HUMAN turn of its own before the shots: a separate user turn under a chat template.
    prompt = Rounds(turns, begin=(Turn("HUMAN", _HELLASWAG_HEADER), ICE_TOKEN))
    return InferConfig("gen", Template(Rounds(turns)), Template(prompt, ice_token=ICE_TOKEN), fix_ids=HELLASWAG_SHOTS)


def winogrande_5shot_ll(name: str) -> InferConfig:
    # A shot is its correct sentence alone; the test row's continuation ("cont") is what gets scored.
    ice = Template(by_label=(("A", "{opt1}"), ("B", "{opt2}")))
    prompt = Template(by_label=(("A", ICE_TOKEN + "{opt1}"), ("B", ICE_TOKEN + "{opt2}")), ice_token=ICE_TOKEN)
    return InferConfig("ll", ice, prompt, fix_ids=WINOGRANDE_SHOTS)


def winogrande_5shot_gen(name: str) -> InferConfig:
    rounds = Rounds((Turn("HUMAN", _WINOGRANDE_QUESTION), Turn("BOT", "{answer}")), begin=ICE_TOKEN)
    return InferConfig("gen", Template(rounds, ice_token=ICE_TOKEN), fix_ids=WINOGRANDE_SHOTS)


def race_core_ppl(name: str) -> InferConfig:
    # Unlike race_ppl_a138cd: no "Article:" line, plain strings, "\n\nAnswer: X" at the end.
    by_label = tuple((x, f"{_RACE_HINT}{{article}}\n\n{_RACE_QUESTION}\n\nAnswer: {x}") for x in LETTERS)
    return InferConfig("ppl", None, Template(by_label=by_label), shots=0)


def race_core_gen(name: str) -> InferConfig:
    # One HUMAN turn, no BOT turn: the base prompt ends at option D.
    human = f"{_RACE_HINT}Article:\n{{article}}\n\n{_RACE_QUESTION}"
    return InferConfig("gen", None, Template(Rounds((Turn("HUMAN", human),))), shots=0)
