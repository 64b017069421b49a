"""The answer-fixed stop: ends each sequence of a generated batch once its extracted answer can no longer change,
or once it holds one of its config's stop strings."""

from __future__ import annotations

from typing import Any

import torch
import transformers

from pytest_llmeval.backends.hf.stop_strings import StopStrings
from pytest_llmeval.records import StopRule


class AnswerFixed(transformers.StoppingCriteria):
    """Ends each sequence of a batch once its extracted answer can no longer change (a ``StopRule``), or once
    it holds one of the config's stop strings (``strings``, the stop text kept).

    Called after every decoding step: each running row's new tokens are decoded as the prediction would be
    and checked; a row that is done reports True from then on, and transformers pads it while the rest of the
    batch goes on; the batch ends when every row is done. ``lengths`` remembers how many new tokens each
    stopped row had, so the text decoded afterwards is exactly the text that was checked.
    """

    def __init__(
        self, tokenizer: Any, rule: StopRule, width: int, end: str | None, strings: StopStrings | None = None
    ) -> None:
        self.tokenizer = tokenizer
        self.rule = rule
        self.width = width  # the prompt's columns: new tokens start here
        self.end = end
        self.strings = strings
        self.lengths: dict[int, int] = {}

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        new = input_ids.shape[1] - self.width
        for row in range(input_ids.shape[0]):
            if row in self.lengths:
                continue
            if self.strings is not None and self.strings.found(self.tokenizer, input_ids[row], self.width):
                self.lengths[row] = new
                continue
            if self.rule.fixed is None:
                continue
            text = self.tokenizer.decode(input_ids[row, self.width :], skip_special_tokens=True)
            if self.rule.reached(text, self.end):
                self.lengths[row] = new
        done = [row in self.lengths for row in range(input_ids.shape[0])]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)
