"""The narrow seam between the evaluation pipeline and whatever runs the model.

A backend counts tokens, renders chat prompts and generates, and says where it runs. The
transformers implementation lives in ``hf/``; a serving backend (an
OpenAI-compatible server) implements the same methods. A backend may also offer
``label_scores(questions, max_seq_len, batch_size, on_batch)``: every question's label
scores at once, equal to ``perplexity`` of each label text, with shared work done once; the
runner uses it when present (``hf/`` runs shared prefixes once and labels in one pass).
Likewise ``generate_all(prompts, max_out_len, max_prompt_tokens, batch_size, on_batch, stop=None)``:
a whole subject's generations in the prompts' order. Both generation methods take ``stop``, a
``records.StopRule``: a backend whose ``stops_early`` is true ends each sequence once the rule says its
answer is fixed, or once its text holds one of the rule's stop strings (kept in the text); one that cannot
ignores it and generates to the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pytest_llmeval.prompts import Message
from pytest_llmeval.records import StopRule


class LoadError(Exception):
    """Loading failed; ``option`` and ``path`` name the input that failed (tokenizer or model), ``cause`` why."""

    def __init__(self, option: str, path: object, cause: BaseException) -> None:
        super().__init__(f"{option} {path}: {cause}")
        self.option = option
        self.path = path
        self.cause = cause


class Backend(Protocol):
    """What the pipeline calls on a loaded model."""

    @property
    def device(self) -> str:
        """Where the model runs, for reports: ``cuda:0``, ``cpu``, or a server address."""
        ...

    def count_tokens(self, prompt: str) -> int:
        """Tokens the model would see for ``prompt``, BOS included."""
        ...

    def chat_prompt(self, messages: Sequence[Message]) -> str:
        """``messages`` rendered with the tokenizer's chat template, ready for generation, without BOS."""
        ...

    def generate(
        self, prompts: Sequence[str], max_out_len: int, max_prompt_tokens: int, stop: StopRule | None = None
    ) -> list[str]:
        """Greedy continuations of ``prompts`` (one batch), decoded without special tokens."""
        ...

    def perplexity(self, texts: Sequence[str], max_seq_len: int) -> list[float]:
        """OpenCompass's PPL score of each text (lower is likelier), truncated to ``max_seq_len`` tokens."""
        ...
