"""Prompt rendering: pure functions from questions to the exact strings OpenCompass builds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pytest_llmeval.datasets.templates import fill as fill_fields
from pytest_llmeval.records import Question

Message = dict[str, str]


def fill(template: str, question: Question) -> str:
    """Fill a C-Eval round template with a question's fields (``templates.fill``: OpenCompass's plain replacement)."""
    return fill_fields(template, (("question", question.question), *zip("ABCD", question.choices)))


def render_plain(template: str, shots: Sequence[Question], question: Question) -> str:
    """The prompt without a chat template: every HUMAN and BOT piece joined by a newline."""
    pieces: list[str] = []
    for shot in shots:
        pieces += [fill(template, shot), shot.answer]
    pieces.append(fill(template, question))
    return "\n".join(pieces)


def chat_messages(template: str, shots: Sequence[Question], question: Question) -> list[Message]:
    """The same rounds as chat messages: user question, assistant answer letter, ..., final user turn."""
    messages: list[Message] = []
    for shot in shots:
        messages += [
            {"role": "user", "content": fill(template, shot)},
            {"role": "assistant", "content": shot.answer},
        ]
    messages.append({"role": "user", "content": fill(template, question)})
    return messages


@dataclass(frozen=True, slots=True)
class Prompt:
    """A rendered prompt, how many shots survived the length limit, and its token count (BOS included)."""

    text: str
    shots: int
    tokens: int
    # ppl mode: the prompt of every label, in label order (``text`` is the first)
    label_texts: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    score_name: str = "PPL"  # what a label's score is called in the predictions file (ll: Loglikelihood)


def fit_prompt(
    render: Callable[[int], str], count_tokens: Callable[[str], int], max_shots: int, max_seq_len: int
) -> Prompt:
    """Drop the last shot until the prompt fits ``max_seq_len`` tokens (OpenCompass's rule), or none are left."""
    shots = max_shots
    text = render(shots)
    tokens = count_tokens(text)
    while shots > 0 and tokens > max_seq_len:
        shots -= 1
        text = render(shots)
        tokens = count_tokens(text)
    return Prompt(text=text, shots=shots, tokens=tokens)
