"""The load-time probes: whether this model gives its whole prompts' logits from a prefix cache and a packed row.

A model that fails a probe runs the reference path for what that probe covers; the verdicts are stored with the
cache so a warm run loads nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch

from pytest_llmeval.backends import packing
from pytest_llmeval.backends.hf.prefix import PrefixCache, PrefixCacheError, _padded
from pytest_llmeval.faults import one_line

# Chinese and English text for the load-time probe: enough tokens for any tokenizer to give two prompts
# of 12 and 10 tokens that share 8.
PROBE_TEXT = (
    "以下是中国关于计算机网络考试的单项选择题，请选出其中的正确答案。The quick brown fox jumps over the lazy dog."
)
# The largest difference between logits from a prefix cache and from the whole prompt that counts as equal,
# relative to the largest logit: float rounding in a different order of operations, not a different result.
TOLERANCE = {torch.float32: 1e-3, torch.float64: 1e-6}
HALF_TOLERANCE = 3e-2  # float16, bfloat16


class Probes(PrefixCache):
    """The probes of ``HFBackend``; they run its scoring's packed rows and its generation from a prefix."""

    generation_config: Any

    @torch.inference_mode()
    def probe_prefix_cache(self) -> str | None:
        """Why continuing from a prefix cache does not reproduce the whole prompt for this model, or None.

        Checked once at load on two short prompts that share a prefix (one padded), both ways the shared-prefix
        paths use a cache: a forward pass over right-padded tails (``label_scores``) and ``generate`` over the
        ``[prefix][padding][own]`` layout (``generate_all``). The logits must equal the whole prompts' within
        the float tolerance of the model's dtype. Models differ in how they take and return caches (``Cache``
        objects, legacy tuples, neither); any of them that fails here runs the reference path instead.
        """
        ids = list(self.tokenizer(PROBE_TEXT)["input_ids"])
        if len(ids) < 14:
            return f"the probe text is only {len(ids)} tokens long"
        prefix, rows = ids[:8], [ids[:12], ids[:8] + ids[12:14]]
        try:
            checks = [self._probe_forward(prefix, rows)]
            if self.tokenizer.padding_side == "left":
                checks.append(self._probe_generate(prefix, rows))
        except PrefixCacheError as error:
            return str(error)
        except Exception as error:  # noqa: BLE001 - any failure of the speed path means: use the reference path
            return f"continuing from a prefix cache failed: {one_line(error)}"
        return next((problem for problem in checks if problem), None)

    @torch.inference_mode()
    def probe_packing(self) -> str | None:
        """Why a packed row (``packing``) does not give the whole prompts' logits for this model, or None.

        Checked once at load: two short prompts sharing a prefix, packed into one row and run with its mask and
        positions, against the two whole prompts. A model that ignores a 4D mask or the given positions (some
        attention kernels do) fails here, and its multi-token options are scored the reference way.
        """
        ids = list(self.tokenizer(PROBE_TEXT)["input_ids"])
        if len(ids) < 14:
            return f"the probe text is only {len(ids)} tokens long"
        rows = [ids[:12], ids[:8] + ids[12:14]]
        try:
            whole_ids, mask = _padded(rows, self.tokenizer.pad_token_id, left=False)
            device = self.model.device
            whole = self.model(input_ids=whole_ids.to(device), attention_mask=mask.to(device)).logits
            row = packing.pack(rows)
            packed = self._packed_logits([row])[0]
            pairs = [
                (packed[row.logits_for(label)], whole[label, : len(prompt) - 1]) for label, prompt in enumerate(rows)
            ]
        except Exception as error:  # noqa: BLE001 - any failure of the speed path means: use the reference path
            return f"a packed row failed: {one_line(error)}"
        return _compare("a packed row", pairs)

    def _probe_forward(self, prefix: list[int], rows: list[list[int]]) -> str | None:
        ids, mask = _padded(rows, self.tokenizer.pad_token_id, left=False)
        device = self.model.device
        whole = self.model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
        _, cache = self._prefix(prefix)
        size = len(prefix)
        tails = [row[size:] for row in rows]
        continued = self._continue_right_padded(cache, size, tails)
        pairs = [(continued[k, : len(t)], whole[k, size : size + len(t)]) for k, t in enumerate(tails)]
        return _compare("a forward pass from a prefix cache", pairs)

    def _probe_generate(self, prefix: list[int], rows: list[list[int]]) -> str | None:
        config = copy.copy(self.generation_config)
        config.max_new_tokens = 2
        config.min_new_tokens = 2  # both steps, even where the first token is a stop token
        config.output_logits = True
        config.return_dict_in_generate = True
        ids, mask = _padded(rows, self.tokenizer.pad_token_id, left=True)
        device = self.model.device
        whole = self.model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), generation_config=config)
        _, cache = self._prefix(prefix, **self._last_logits_only)
        continued = self._generate_from_prefix(prefix, cache, rows, config)
        if len(continued.logits) != len(whole.logits):
            return f"generate from a prefix cache ran {len(continued.logits)} steps, not {len(whole.logits)}"
        return _compare("generate from a prefix cache", list(zip(continued.logits, whole.logits, strict=True)))


def _compare(how: str, pairs: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> str | None:
    """None when every (from the cache, from the whole prompt) pair of logits is equal within the tolerance."""
    worst, scale = 0.0, 1.0
    for continued, whole in pairs:
        whole = whole.float()
        worst = max(worst, float((continued.float() - whole).abs().max()))
        scale = max(scale, float(whole.abs().max()))
    tolerance = TOLERANCE.get(pairs[0][1].dtype, HALF_TOLERANCE) if pairs else 0.0
    if worst <= tolerance * scale:
        return None
    return (
        f"{how} gives logits up to {worst:.3g} away from the whole prompt's "
        f"(largest logit {scale:.3g}, tolerance {tolerance:g} of it)"
    )
