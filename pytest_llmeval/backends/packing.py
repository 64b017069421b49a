"""The label prompts of one question laid out as one row: the tokens they share once, then each label's own.

Options of a multiple-choice question share their context, so their prompts share a token prefix. In the row
``[shared][own_1]…[own_K]`` each label's tokens keep the positions they have in the label's whole prompt, and a
mask lets them see the shared tokens and their own label's, nothing else. One forward pass over the row then
gives every logit the K whole prompts would, with the shared part run once instead of K times.

The split is made on the token ids of the whole prompts, tokenized as the reference tokenizes them, so a merge
across the context-option boundary cannot make the row differ from the prompts: the shared part simply ends
before the first token on which the prompts differ. Pure functions on token ids; the backend turns a row into
tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SHARED = -1  # ``owner`` of a shared token
PAD = -2  # ``owner`` of padding after the row


@dataclass(frozen=True, slots=True)
class PackedRow:
    """One question's label prompts as one row of token ids."""

    prompts: tuple[tuple[int, ...], ...]  # each label's whole prompt, as the reference scores it
    ids: tuple[int, ...]
    positions: tuple[int, ...]  # each token's position in its label's whole prompt
    owner: tuple[int, ...]  # SHARED, or the label the token belongs to
    shared: int  # how many leading tokens every prompt shares
    starts: tuple[int, ...]  # where each label's own tokens begin in the row

    def logit_at(self, label: int, target: int) -> int:
        """The row position whose logits predict token ``target`` (1 or more) of ``label``'s prompt."""
        before = target - 1
        return before if before < self.shared else self.starts[label] + before - self.shared

    def logits_for(self, label: int, first: int = 1) -> list[int]:
        """Row positions predicting tokens ``first`` … last of ``label``'s prompt, in order."""
        return [self.logit_at(label, target) for target in range(first, len(self.prompts[label]))]


def common_length(rows: Sequence[Sequence[int]]) -> int:
    """How many leading tokens every row shares."""
    size = min(len(row) for row in rows)
    first = rows[0]
    for row in rows[1:]:
        size = next((k for k in range(size) if row[k] != first[k]), size)
    return size


def pack(prompts: Sequence[Sequence[int]]) -> PackedRow:
    """Lay out one question's label prompts (token ids) as a ``PackedRow``.

    A prompt's last token is only ever predicted, never a predictor, so it is left out of the row: labels
    that differ in their last token alone (``…Answer: A`` / ``…Answer: B``) add no tokens at all, their scores
    all coming from the shared part's last logits.
    """
    shared = common_length(prompts)
    ids = list(prompts[0][:shared])
    positions = list(range(shared))
    owner = [SHARED] * shared
    starts = []
    for label, prompt in enumerate(prompts):
        starts.append(len(ids))
        own = prompt[shared : len(prompt) - 1]
        ids += own
        positions += range(shared, shared + len(own))
        owner += [label] * len(own)
    return PackedRow(
        prompts=tuple(tuple(p) for p in prompts),
        ids=tuple(ids),
        positions=tuple(positions),
        owner=tuple(owner),
        shared=shared,
        starts=tuple(starts),
    )


def sees(owner: Sequence[int], query: int, key: int) -> bool:
    """Whether the token at ``query`` attends to the one at ``key``: causal, within the shared part and its own
    label. Padding sees the shared part and padding, so no row of the mask is empty."""
    return key <= query and (owner[key] == SHARED or owner[key] == owner[query])
