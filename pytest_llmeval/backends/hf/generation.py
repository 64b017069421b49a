"""Greedy generation in padded batches, and over a whole subject with the prefix its prompts share run once.

Mirrors OpenCompass 0.2.4's HuggingFace model: ``do_sample=False``, prompts truncated to
``max_seq_len - max_out_len`` on the tokenizer's truncation side, only the new tokens decoded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
import transformers

from pytest_llmeval.backends.hf.prefix import PrefixCache, _common_prefix, _padded, _prefix_groups, repeat_cache
from pytest_llmeval.backends.hf.stop_strings import StopStrings
from pytest_llmeval.backends.hf.stopping import AnswerFixed
from pytest_llmeval.records import StopRule


class Generation(PrefixCache):
    """The generation half of ``HFBackend``."""

    generation_config: Any
    chat_stop: str | None
    prefix_cache_off: str | None

    def encode(self, prompts: Sequence[str], max_prompt_tokens: int) -> Any:
        """One padded batch on the model's device, cut to ``max_prompt_tokens`` on the truncation side."""
        encoded = self.tokenizer(
            list(prompts), return_tensors="pt", padding=True, truncation=True, max_length=max_prompt_tokens
        )
        encoded.pop("token_type_ids", None)
        return encoded.to(self.model.device)

    @torch.inference_mode()
    def generate(
        self, prompts: Sequence[str], max_out_len: int, max_prompt_tokens: int, stop: StopRule | None = None
    ) -> list[str]:
        """Greedy continuations of one batch; with ``stop``, each sequence ends once its answer is fixed."""
        encoded = self.encode(prompts, max_prompt_tokens)
        config = copy.copy(self.generation_config)
        config.max_new_tokens = max_out_len
        width = encoded["input_ids"].shape[1]
        criteria = self._stop_criteria(stop, width)
        output = self.model.generate(
            **encoded, generation_config=config, stopping_criteria=transformers.StoppingCriteriaList(criteria)
        )
        return self._decode(output[:, width:], criteria)

    def _stop_criteria(self, stop: StopRule | None, width: int) -> list[AnswerFixed]:
        if stop is None:
            return []
        strings = StopStrings.of(self.tokenizer, stop.strings) if stop.strings else None
        return [AnswerFixed(self.tokenizer, stop, width, self.chat_stop, strings)]

    def _decode(self, new_tokens: torch.Tensor, criteria: Sequence[AnswerFixed]) -> list[str]:
        """The new tokens as text, each row only up to where its answer became fixed, cut at the chat stop."""
        lengths = criteria[0].lengths if criteria else {}
        rows = [new_tokens[row, : lengths.get(row, new_tokens.shape[1])] for row in range(new_tokens.shape[0])]
        texts = [self.tokenizer.decode(row, skip_special_tokens=True) for row in rows]
        if self.chat_stop:
            texts = [text.split(self.chat_stop)[0] for text in texts]
        return texts

    @torch.inference_mode()
    def generate_all(
        self,
        prompts: Sequence[str],
        max_out_len: int,
        max_prompt_tokens: int,
        batch_size: int,
        on_batch: Callable[[int], None] = lambda done: None,
        stop: StopRule | None = None,
    ) -> list[str]:
        """``generate`` over a whole subject, in the prompts' order, with the work they share done once.

        Prompts are tokenized (and cut) exactly as ``generate`` does, then grouped by the token prefix they
        share (the subject's shots); each group's prefix runs once and every batch continues from a copy of
        its KV cache, laid out ``[prefix][padding][own tokens]`` so that every token keeps the position and
        context it has in the whole prompt. Batches are formed longest first: similar lengths pad little, and
        a batch too big for memory fails at once rather than at the end.
        """
        ids = self.tokenizer(list(prompts), truncation=True, max_length=max_prompt_tokens)["input_ids"]
        texts: list[str | None] = [None] * len(prompts)
        done = 0
        groups = _prefix_groups([(i, row) for i, row in enumerate(ids)], key=lambda row: row)
        usable = self.tokenizer.padding_side == "left" and not self.prefix_cache_off
        shared = [g for g in groups if len(g) > 1] if usable else []
        # What shares nothing (zero-shot prompts, a lone shot-dropped one) is batched whole, longest first.
        alone = sorted((i for g in groups if g not in shared for i, _ in g), key=lambda i: -len(ids[i]))
        for start in range(0, len(alone), batch_size):
            chunk = alone[start : start + batch_size]
            batch = [prompts[i] for i in chunk]
            for i, text in zip(chunk, self.generate(batch, max_out_len, max_prompt_tokens, stop=stop)):
                texts[i] = text
            done += len(chunk)
            on_batch(done)
        for group in shared:
            for index, text in self._generate_group(group, max_out_len, batch_size, stop):
                texts[index] = text
                done += 1
                if done % batch_size == 0:
                    on_batch(done)
        on_batch(done)
        assert all(t is not None for t in texts)
        return texts  # type: ignore[return-value]

    def _generate_from_prefix(
        self,
        prefix: Sequence[int],
        prefix_cache: Any,
        rows: Sequence[Sequence[int]],
        config: Any,
        criteria: Sequence[Any] = (),
    ) -> Any:
        """``generate`` for whole prompts that all start with ``prefix``, continuing from its cache.

        Laid out ``[prefix][padding][own tokens]``: the model derives positions from the attention mask, so
        every token keeps the position and context it has in the left-padded whole prompt.
        """
        size = len(prefix)
        tails, own = _padded([row[size:] for row in rows], self.tokenizer.pad_token_id, left=True)
        ids = torch.cat([torch.tensor([list(prefix)] * len(rows), dtype=torch.long), tails], dim=1)
        mask = torch.cat([torch.ones((len(rows), size), dtype=torch.long), own], dim=1)
        device = self.model.device
        return self.model.generate(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            generation_config=config,
            stopping_criteria=transformers.StoppingCriteriaList(criteria),
            **{self._cache_arg: repeat_cache(prefix_cache, len(rows))},
        )

    def _generate_group(
        self, group: list[tuple[int, list[int]]], max_out_len: int, batch_size: int, stop: StopRule | None
    ) -> Iterator[tuple[int, str]]:
        prefix = _common_prefix([row for _, row in group])
        prefix = prefix[: min(len(row) for _, row in group) - 1]
        _, prefix_cache = self._prefix(prefix, **self._last_logits_only)
        ordered = sorted(group, key=lambda item: -len(item[1]))
        config = copy.copy(self.generation_config)
        config.max_new_tokens = max_out_len
        for start in range(0, len(ordered), batch_size):
            members = ordered[start : start + batch_size]
            width = len(prefix) + max(len(row) - len(prefix) for _, row in members)
            criteria = self._stop_criteria(stop, width)
            output = self._generate_from_prefix(prefix, prefix_cache, [row for _, row in members], config, criteria)
            for (index, _), text in zip(members, self._decode(output[:, width:], criteria), strict=True):
                yield index, text
