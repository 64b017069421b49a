"""The backend classes: ``TokenizerOnly`` (counting, chat prompts) and ``HFBackend``, which composes them all.

``HFBackend`` is the loaded model with its tokenizer: loading (``load``), scoring (``scoring``), generation
(``generation``) and the load-time probes (``probes``), each in its own module.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from pytest_llmeval.backends.hf.generation import Generation
from pytest_llmeval.backends.hf.load import chat_stop_of, load_model, load_tokenizer
from pytest_llmeval.backends.hf.probes import Probes
from pytest_llmeval.backends.hf.scoring import Scoring
from pytest_llmeval.backends.truncation import cut_prompt
from pytest_llmeval.prompts import Message
from pytest_llmeval.settings import Settings


class TokenizerOnly:
    """The tokenizer's half of a backend (count tokens, render chat prompts), without a model."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def count_tokens(self, prompt: str) -> int:
        return len(self.tokenizer(prompt)["input_ids"])

    def count_many(self, prompts: Sequence[str]) -> list[int]:
        """``count_tokens`` of each prompt, encoded as one batch (no padding, so the same ids)."""
        return [len(ids) for ids in self.tokenizer(list(prompts))["input_ids"]] if prompts else []

    def cut(self, prompt: str, max_prompt_tokens: int) -> str:
        """``prompt`` as text cut to ``max_prompt_tokens`` the way ``generate`` cuts its ids (for servers)."""
        return cut_prompt(self.tokenizer, prompt, max_prompt_tokens)

    def chat_prompt(self, messages: Sequence[Message]) -> str:
        text = self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
        # Templates such as InternLM2's start with the BOS text; the tokenizer adds BOS itself,
        # so keep it out of the prompt string to avoid a doubled BOS (and match OpenCompass's files).
        bos = self.tokenizer.bos_token
        if bos and text.startswith(bos):
            text = text[len(bos) :]
        return text


class HFBackend(TokenizerOnly, Scoring, Generation, Probes):
    """A loaded transformers causal LM and its tokenizer (counting and chat prompts come from ``TokenizerOnly``)."""

    stops_early = True  # ``generate`` honours a ``StopRule``: a sequence ends once its answer is fixed

    def __init__(self, model: Any, tokenizer: Any, chat_stop: str | None = None) -> None:
        super().__init__(tokenizer)
        self.model = model
        self.chat_stop = chat_stop
        config = model.generation_config
        self.generation_config = copy.deepcopy(config)
        self.generation_config.do_sample = False
        # Sampling knobs are meaningless for greedy search and only make transformers warn.
        for knob in ("temperature", "top_p", "top_k"):
            if hasattr(self.generation_config, knob):
                setattr(self.generation_config, knob, None)
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.generation_config.pad_token_id = tokenizer.pad_token_id
        if self.generation_config.eos_token_id is None:
            self.generation_config.eos_token_id = tokenizer.eos_token_id
        # Why the shared-prefix paths (``generate_all``, ``label_scores``) must not run for this model, or
        # None; set by ``probe_prefix_cache`` at load, read by the runner before every subject.
        self.prefix_cache_off: str | None = None
        # Why the packed rows of ``label_scores`` / ``label_loglikelihoods`` must not run (``probe_packing``), or None.
        self.packing_off: str | None = None

    @classmethod
    def load(cls, settings: Settings, cpu_threads: int | None = None, tokenizer: Any = None) -> HFBackend:
        """Load the model (and the tokenizer, unless given) as the settings say; done once per process."""
        assert settings.model is not None
        if tokenizer is None:
            tokenizer = load_tokenizer(settings)
        model = load_model(settings, cpu_threads)
        backend = cls(model, tokenizer, chat_stop_of(settings))
        if settings.eos_token_ids:  # a preset's stop ids (InternLM2-Chat: </s> and <|im_end|>)
            backend.generation_config.eos_token_id = list(settings.eos_token_ids)
        if settings.prefix_cache:
            backend.prefix_cache_off = backend.probe_prefix_cache()
            backend.packing_off = backend.probe_packing()
        return backend

    @property
    def device(self) -> str:
        return str(next(self.model.parameters()).device)
