"""Shared prefixes: run a token prefix once and continue from its KV cache, in whatever form the model keeps it.

The batch layouts the shared-prefix paths use (right-padded tails for scoring, ``[prefix][padding][own]`` for
generation), the model's cache argument, and the grouping of prompts by the prefix they share.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import torch

T = TypeVar("T")


class PrefixCache:
    """The prefix-cache half of ``HFBackend``: introspects its model's forward and runs prefixes with it."""

    model: Any
    tokenizer: Any

    def _forward_parameters(self) -> set[str]:
        """The named parameters of the model's forward, looking past wrappers that take ``*args, **kwargs``."""
        for klass in type(self.model).__mro__:
            forward = klass.__dict__.get("forward")
            if forward is None:
                continue
            names = {
                name
                for name, parameter in inspect.signature(forward).parameters.items()
                if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
            }
            if names - {"self"}:
                return names
        return set()

    @property
    def _cache_arg(self) -> str:
        """The forward argument that takes a KV cache: ``cache`` in newer transformers, ``past_key_values`` before."""
        return "cache" if "cache" in self._forward_parameters() else "past_key_values"

    @property
    def _last_logits_only(self) -> dict[str, int]:
        """Ask the forward for the last position's logits only, where it can (a prefix needs none of them)."""
        parameters = self._forward_parameters()
        for name in ("logits_to_keep", "num_logits_to_keep"):
            if name in parameters:
                return {name: 1}
        return {}

    def _prefix(self, prefix: Sequence[int], **kwargs: Any) -> tuple[torch.Tensor, Any]:
        """Run a shared prefix once: its logits and the KV cache to continue from, in the model's own form."""
        out = self.model(input_ids=torch.tensor([list(prefix)], device=self.model.device), use_cache=True, **kwargs)
        cache = out.get("cache", None)
        if cache is None:
            cache = out.get("past_key_values", None)
        if cache is None:
            raise PrefixCacheError("the model returned no cache with use_cache=True")
        return out.logits[0], cache

    def _continue_right_padded(self, prefix_cache: Any, size: int, tails: Sequence[Sequence[int]]) -> torch.Tensor:
        """Logits of every tail continued from a ``size``-token prefix cache, tails padded on the right."""
        ids, own = _padded(tails, self.tokenizer.pad_token_id, left=False)
        mask = torch.cat([torch.ones((len(tails), size), dtype=torch.long), own], dim=1)
        positions = torch.arange(size, size + ids.shape[1]).unsqueeze(0).expand(len(tails), -1)
        device = self.model.device
        return self.model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=positions.to(device),
            use_cache=True,
            **{self._cache_arg: repeat_cache(prefix_cache, len(tails))},
        ).logits


class PrefixCacheError(Exception):
    """The model cannot continue from a prefix cache (it returned none)."""


def repeat_cache(cache: Any, rows: int) -> Any:
    """A new cache holding each row of ``cache`` ``rows`` times, in the form the model gave it.

    transformers' ``Cache`` objects repeat themselves (on a copy: the prefix cache is reused by every batch).
    Legacy caches, a tuple per layer of batch-first tensors, are what remote code such as InternLM2's returns
    when it was handed no ``Cache``, and all that older remote code knows: ``repeat_interleave`` copies them.
    """
    if isinstance(cache, (tuple, list)):
        return tuple(tuple(tensor.repeat_interleave(rows, dim=0) for tensor in layer) for layer in cache)
    repeated = copy.deepcopy(cache)
    repeated.batch_repeat_interleave(rows)
    return repeated


def _padded(rows: Sequence[Sequence[int]], pad: int | None, left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Token rows as one batch (ids, attention mask), padded with ``pad`` on the left or on the right."""
    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad if pad is not None else 0, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for line, row in enumerate(rows):
        span = slice(width - len(row), width) if left else slice(0, len(row))
        ids[line, span] = torch.tensor(list(row), dtype=torch.long)
        mask[line, span] = 1
    return ids, mask


def _common_prefix(rows: Sequence[Sequence[int]]) -> list[int]:
    first = rows[0]
    size = min(len(row) for row in rows)
    for row in rows[1:]:
        size = next((k for k in range(size) if row[k] != first[k]), size)
    return list(first[:size])


def _prefix_groups(
    items: Sequence[tuple[int, T]],
    key: Callable[[T], Sequence[int]] = lambda shape: shape.common,  # type: ignore[attr-defined]
) -> list[list[tuple[int, T]]]:
    """Questions grouped by the token prefix they share (a subject's five shots; fewer where shots were dropped).

    A question joins the first group whose leader shares at least half of its own tokens, else starts one.
    """
    groups: list[list[tuple[int, T]]] = []
    for item in items:
        common = key(item[1])
        for group in groups:
            shared = len(_common_prefix([key(group[0][1]), common]))
            if shared * 2 >= len(common):
                group.append(item)
                break
        else:
            groups.append([item])
    return groups
