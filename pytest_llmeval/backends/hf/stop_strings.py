"""A config's stop strings (OpenCompass's ``stopping_criteria``), checked the way OpenCompass 0.2.4 checks them.

OpenCompass's HuggingFace model adds the tokenizer's end token to the config's strings and, after every decoding
step, decodes the last ``k`` token ids of each row (``k``: the string's own token count, special tokens kept) and
marks the row done once the string is in that text; the output keeps the stop text (``opencompass-core.md``
§0.5). Here each row stops on its own as soon as it is done; OpenCompass runs every row of a batch until all are
done, so this equals OpenCompass at batch size 1 (see docs/fidelity.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class StopStrings:
    """Each stop string with the number of trailing tokens decoded to look for it."""

    windows: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, tokenizer: Any, strings: Sequence[str]) -> StopStrings:
        """The config's ``strings`` and the tokenizer's end token, each with its token count (at least 1)."""
        every = [*strings, *([tokenizer.eos_token] if tokenizer.eos_token else [])]
        return cls(tuple((s, max(1, len(tokenizer.encode(s, add_special_tokens=False)))) for s in dict.fromkeys(every)))

    def found(self, tokenizer: Any, row: Any, width: int) -> bool:
        """Whether one of the strings is in the decoded last ``k`` ids of ``row`` (prompt, then new tokens).

        The window reaches back at most to the prompt's last column (``width - 1``): never into left padding,
        whose pad ids decode to text (often the end token) that OpenCompass's unpadded row does not have.
        """
        for string, size in self.windows:
            start = max(row.shape[0] - size, width - 1)
            if string in tokenizer.decode(row[start:], skip_special_tokens=False):
                return True
        return False
