"""OpenCompass 0.2.4's PPL and LL scores: the reference definitions, and the same scores with shared work done once.

``perplexity`` and ``loglikelihood`` are the reference; ``label_scores`` and ``label_loglikelihoods`` reach the
same values through a shared prefix's KV cache or one packed row per question (``packing``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import torch

from pytest_llmeval.backends import packing
from pytest_llmeval.backends.hf.prefix import PrefixCache, _common_prefix, _padded, _prefix_groups


class Scoring(PrefixCache):
    """The scoring half of ``HFBackend``."""

    prefix_cache_off: str | None
    packing_off: str | None

    @torch.inference_mode()
    def perplexity(self, texts: Sequence[str], max_seq_len: int) -> list[float]:
        """OpenCompass 0.2.4's PPL score of each text, the reference definition of ``ppl`` mode.

        The summed next-token negative log-likelihood (float32 logits; targets equal to the pad id
        ignored) divided by the number of non-pad tokens, BOS included. Rows are padded on the right,
        so a batched score equals the unbatched one; OpenCompass's left padding would not.
        """
        side = self.tokenizer.padding_side
        self.tokenizer.padding_side = "right"
        try:
            encoded = self.tokenizer(
                list(texts), return_tensors="pt", padding=True, truncation=True, max_length=max_seq_len
            )
        finally:
            self.tokenizer.padding_side = side
        encoded.pop("token_type_ids", None)
        encoded = encoded.to(self.model.device)
        ids = encoded["input_ids"]
        logits = self.model(**encoded).logits[:, :-1].float()
        targets = ids[:, 1:]
        losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
        pad = self.tokenizer.pad_token_id
        losses = losses * (targets != pad)
        return (losses.sum(-1) / (ids != pad).sum(-1)).tolist()

    @torch.inference_mode()
    def loglikelihood(self, texts: Sequence[str], conts: Sequence[str], max_seq_len: int) -> list[float]:
        """OpenCompass 0.2.4's log-likelihood of each text's continuation, the reference definition of ``ll`` mode.

        The text is tokenized whole and cut to ``max_seq_len`` tokens; the context is the text with every
        occurrence of its continuation deleted, tokenized on its own, and the continuation is every token from
        the context's length on, whatever the whole tokenization does at the boundary. Its tokens'
        log-probabilities are taken in the model's dtype and summed (on the CPU, as OpenCompass does). Rows are
        padded on the right, so a batched value equals the unbatched one.
        """
        rows = [self._ll_ids(text, max_seq_len) for text in texts]
        starts = [self._context_length(text, cont, max_seq_len) for text, cont in zip(texts, conts, strict=True)]
        ids, mask = _padded(rows, self.tokenizer.pad_token_id, left=False)
        device = self.model.device
        logits = self.model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
        values = []
        for line, (row, start) in enumerate(zip(rows, starts, strict=True)):
            positions = list(range(start - 1, len(row) - 1))
            values.append(_loglikelihood(logits[line], positions, row[start:]))
        return values

    def _ll_ids(self, text: str, max_seq_len: int) -> list[int]:
        return list(self.tokenizer(text)["input_ids"])[:max_seq_len]

    def _context_length(self, text: str, cont: str, max_seq_len: int) -> int:
        context = self.tokenizer(text.replace(cont, ""), truncation=True, max_length=max_seq_len)["input_ids"]
        return max(len(context), 1)  # the first token is never predicted

    def _ppl_ids(self, texts: Sequence[str], max_seq_len: int) -> list[list[int]]:
        """Label prompts tokenized as ``perplexity`` tokenizes them (cut to ``max_seq_len``, no padding)."""
        return [list(row) for row in self.tokenizer(list(texts), truncation=True, max_length=max_seq_len)["input_ids"]]

    @torch.inference_mode()
    def label_scores(
        self,
        questions: Sequence[Sequence[str]],
        max_seq_len: int,
        batch_size: int,
        on_batch: Callable[[int], None] = lambda done: None,
    ) -> list[list[float]]:
        """``perplexity`` of every label text of every question, with the work they share done once.

        Label prompts are tokenized as ``perplexity`` does, and then:

        - questions whose labels differ only in their last token (``…答案: A`` / ``…答案: B``) and that share a
          token prefix with other questions (a subject's shots) run that prefix once, keep its KV cache, and
          continue every question's own tokens from it in batches; each label's last token is scored from the
          last position's logits (``_score_group``);
        - every other question is one packed row (``packing``): the tokens its labels share once, then each
          label's own tokens, many questions per batch (``_score_packed``);
        - a question whose packed row would be longer than ``max_seq_len``, or every one when the model failed
          the packing probe, is scored by ``perplexity`` itself, one label per row.

        Every split is made on the token ids of the whole prompts, so no tokenizer merge across a boundary can
        make a score differ from the reference.
        """
        pad = self.tokenizer.pad_token_id
        ids = [self._ppl_ids(texts, max_seq_len) for texts in questions]
        scores: list[list[float] | None] = [None] * len(questions)
        shapes = [None if self.prefix_cache_off else _label_shape(rows, max_seq_len, pad) for rows in ids]
        groups = _prefix_groups([(i, shape) for i, shape in enumerate(shapes) if shape is not None])
        cached = [group for group in groups if len(group) > 1]
        in_cache = {i for group in cached for i, _ in group}
        rest = [i for i in range(len(questions)) if i not in in_cache]
        packed, plain = self._packable(rest, ids, max_seq_len)
        done = 0
        for group in cached:
            for index, values in self._score_group(group, batch_size):
                scores[index] = values
                done += 1
                on_batch(done)
        rows = {i: packing.pack(ids[i]) for i in packed}
        for index, values in self._score_packed(rows, batch_size, lambda row, logits: _ppl_of(row, logits, pad)):
            scores[index] = values
            done += 1
            on_batch(done)
        for i in plain:  # as the reference loop would: this question's labels in batches
            texts = list(questions[i])
            scores[i] = [
                v
                for k in range(0, len(texts), batch_size)
                for v in self.perplexity(texts[k : k + batch_size], max_seq_len)
            ]
            done += 1
            on_batch(done)
        assert all(s is not None for s in scores)
        return scores  # type: ignore[return-value]

    @torch.inference_mode()
    def label_loglikelihoods(
        self,
        questions: Sequence[Sequence[str]],
        conts: Sequence[str],
        max_seq_len: int,
        batch_size: int,
        on_batch: Callable[[int], None] = lambda done: None,
    ) -> list[list[float]]:
        """``loglikelihood`` of every label text of every question with the question's continuation, with the work
        they share done once.

        Label prompts are tokenized as ``loglikelihood`` does, and then:

        - questions that share a token prefix (a subject's shots), more of them than one batch holds, run that
          prefix once, keep its logits and KV cache, and continue every label's own tokens from it, ``batch_size``
          questions at a time (``_loglikelihood_group``);
        - every other question is one packed row (``packing``): the tokens its labels share once, then each
          label's own tokens (zero-shot Winogrande: no shots to share, its two sentences sharing their start);
        - a question whose packed row would be longer than ``max_seq_len``, or every one when the model failed
          the packing probe, runs the reference itself.

        Each label's context length is the reference's (the text with every copy of the continuation deleted,
        tokenized on its own), so the scored span is the reference's whichever path scores it.
        """
        ids = [[self._ll_ids(text, max_seq_len) for text in texts] for texts in questions]
        starts = [
            [self._context_length(text, cont, max_seq_len) for text in texts]
            for texts, cont in zip(questions, conts, strict=True)
        ]
        scores: list[list[float] | None] = [None] * len(questions)
        commons = [(i, tuple(rows[0][: packing.common_length(rows)])) for i, rows in enumerate(ids)]
        groups = [] if self.prefix_cache_off else _prefix_groups(commons, key=lambda common: common)
        cached = []
        for group in groups:
            size = len(_common_prefix([common for _, common in group]))
            # Only questions whose labels run fewer tokens from the prefix than in their packed row: the prefix,
            # K tails, against their shared part once and K labels' own tokens (zero-shot rows share one token).
            gaining = [i for i, common in group if _prefix_gain(size, len(common), len(ids[i])) > 0]
            # A group no bigger than one batch is one forward pass as packed rows; from the cache it would be two.
            if len(gaining) > batch_size:
                cached.append(gaining)
        in_cache = {i for group in cached for i in group}
        rest = [i for i in range(len(questions)) if i not in in_cache]
        packed, plain = self._packable(rest, ids, max_seq_len)
        rows = {i: packing.pack(ids[i]) for i in packed}

        def reduce(row: packing.PackedRow, logits: torch.Tensor, index: int) -> list[float]:
            return [
                _loglikelihood(logits, row.logits_for(label, first), row.prompts[label][first:])
                for label, first in enumerate(starts[index])
            ]

        done = 0
        for group in cached:
            for index, values in self._loglikelihood_group(group, ids, starts, batch_size):
                scores[index] = values
                done += 1
                on_batch(done)
        for index, values in self._score_packed(rows, batch_size, reduce, with_index=True):
            scores[index] = values
            done += 1
            on_batch(done)
        for i in plain:
            texts = list(questions[i])
            scores[i] = [
                v
                for k in range(0, len(texts), batch_size)
                for v in self.loglikelihood(
                    texts[k : k + batch_size], [conts[i]] * len(texts[k : k + batch_size]), max_seq_len
                )
            ]
            done += 1
            on_batch(done)
        assert all(s is not None for s in scores)
        return scores  # type: ignore[return-value]

    def _loglikelihood_group(
        self,
        group: Sequence[int],
        ids: Sequence[Sequence[Sequence[int]]],
        starts: Sequence[Sequence[int]],
        batch_size: int,
    ) -> Iterator[tuple[int, list[float]]]:
        """The group's questions' label log-likelihoods, their shared prefix run once and every label continued
        from its KV cache as a row of its own (right-padded), ``batch_size`` questions per forward pass."""
        every = [row for i in group for row in ids[i]]
        # Every label keeps at least one token of its own after the shared prefix.
        size = min(len(_common_prefix(every)), min(len(row) for row in every) - 1)
        prefix_logits, prefix_cache = self._prefix(every[0][:size])
        for start in range(0, len(group), batch_size):
            members = group[start : start + batch_size]
            tails = [row[size:] for i in members for row in ids[i]]
            logits = self._continue_right_padded(prefix_cache, size, tails)
            line = 0
            for index in members:
                values = []
                for row, first in zip(ids[index], starts[index], strict=True):
                    # Row positions first - 1 … len(row) - 2 predict the continuation; those inside the prefix
                    # (a context that lost copies of the continuation in the shots) read the prefix's logits.
                    own = logits[line, : len(row) - size]
                    span = torch.cat([prefix_logits[first - 1 : size], own[max(first - 1 - size, 0) : -1]])
                    values.append(_loglikelihood(span, range(len(span)), row[first:]))
                    line += 1
                yield index, values

    def _packable(
        self, indices: Iterable[int], ids: Sequence[Sequence[Sequence[int]]], max_seq_len: int
    ) -> tuple[list[int], list[int]]:
        """Which questions to pack, which to score the reference way (packing refused, or a row too long)."""
        if self.packing_off:
            return [], list(indices)
        packed, plain = [], []
        for i in indices:
            shared = packing.common_length(ids[i])
            # The packed row's length: the shared tokens once, then each label's own (its last token only predicted).
            width = shared + sum(max(len(row) - 1 - shared, 0) for row in ids[i])
            (packed if width <= max_seq_len else plain).append(i)
        return packed, plain

    def _score_packed(
        self,
        rows: dict[int, packing.PackedRow],
        batch_size: int,
        reduce: Callable[..., list[float]],
        with_index: bool = False,
    ) -> Iterator[tuple[int, list[float]]]:
        """Forward the packed rows ``batch_size`` at a time, longest first, and reduce each row's logits to its
        label scores."""
        order = sorted(rows, key=lambda i: -len(rows[i].ids))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            logits = self._packed_logits([rows[i] for i in chunk])
            for line, index in enumerate(chunk):
                row = rows[index]
                own = logits[line, : len(row.ids)]
                yield index, reduce(row, own, index) if with_index else reduce(row, own)

    def _packed_logits(self, rows: Sequence[packing.PackedRow]) -> torch.Tensor:
        """Logits of packed rows in one forward pass: right-padded, with each row's own mask and positions."""
        width = max(len(row.ids) for row in rows)
        pad = self.tokenizer.pad_token_id
        ids = torch.full((len(rows), width), pad if pad is not None else 0, dtype=torch.long)
        owner = torch.full((len(rows), width), packing.PAD, dtype=torch.long)
        positions = torch.zeros((len(rows), width), dtype=torch.long)
        for line, row in enumerate(rows):
            ids[line, : len(row.ids)] = torch.tensor(row.ids, dtype=torch.long)
            owner[line, : len(row.ids)] = torch.tensor(row.owner, dtype=torch.long)
            positions[line, : len(row.ids)] = torch.tensor(row.positions, dtype=torch.long)
        # packing.sees, for every (query, key) pair at once.
        causal = torch.ones((width, width), dtype=torch.bool).tril()
        keys, queries = owner.unsqueeze(1), owner.unsqueeze(2)
        allowed = causal & ((keys == packing.SHARED) | (keys == queries))
        dtype = next(self.model.parameters()).dtype
        # The additive form every attention implementation takes: 0 where a token sees, the dtype's minimum
        # where it does not (what transformers itself builds from a 2D mask).
        mask = torch.zeros(allowed.shape, dtype=dtype).masked_fill(~allowed, torch.finfo(dtype).min).unsqueeze(1)
        device = self.model.device
        return self.model(
            input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device), use_cache=False
        ).logits

    def _score_group(self, group: list[tuple[int, LabelShape]], batch_size: int) -> Iterator[tuple[int, list[float]]]:
        pad = self.tokenizer.pad_token_id
        prefix = _common_prefix([shape.common for _, shape in group])
        # Every question keeps at least one token of its own after the shared prefix.
        prefix = prefix[: min(len(shape.common) for _, shape in group) - 1]
        device = self.model.device
        prefix_logits, prefix_cache = self._prefix(prefix)
        prefix_logits = prefix_logits.float()
        targets = torch.tensor(prefix[1:], device=device)
        prefix_nll = float((_nll(prefix_logits[:-1], targets) * (targets != pad)).sum())
        last = prefix_logits[-1]
        size = len(prefix)
        for start in range(0, len(group), batch_size):
            members = group[start : start + batch_size]
            tails = [shape.common[size:] for _, shape in members]
            logits = self._continue_right_padded(prefix_cache, size, tails).float()
            for row, (index, shape) in enumerate(members):
                tail = tails[row]
                # Logits predicting each of this question's own tokens, then the label token.
                before = torch.cat([last.unsqueeze(0), logits[row, : len(tail)]])
                own = torch.tensor(tail, device=device)
                own_nll = float((_nll(before[:-1], own) * (own != pad)).sum())
                label_ids = torch.tensor(shape.labels, device=device)
                label_nll = _nll(before[-1].expand(len(shape.labels), -1), label_ids) * (label_ids != pad)
                yield (
                    index,
                    [
                        (prefix_nll + own_nll + float(value)) / count
                        for value, count in zip(label_nll.tolist(), shape.counts, strict=True)
                    ],
                )


@dataclass(frozen=True, slots=True)
class LabelShape:
    """One question's label prompts as token ids: the part they share, each label's one last token, and each
    full prompt's token count as OpenCompass divides by it (tokens that are not the pad id)."""

    common: tuple[int, ...]
    labels: tuple[int, ...]
    counts: tuple[int, ...]


def _label_shape(ids: Sequence[Sequence[int]], max_seq_len: int, pad: int | None) -> LabelShape | None:
    """The shape one forward pass can score, or None when the labels differ in more than their last token."""
    if any(len(row) > max_seq_len or len(row) != len(ids[0]) for row in ids) or len(ids[0]) < 3:
        return None
    common = tuple(ids[0][:-1])
    if any(tuple(row[:-1]) != common for row in ids):
        return None
    counts = tuple(sum(token != pad for token in row) for row in ids)
    return LabelShape(common, tuple(row[-1] for row in ids), counts)


def _prefix_gain(prefix: int, common: int, labels: int) -> int:
    """Tokens a question saves continuing its ``labels`` prompts from a ``prefix``-token cache instead of its packed
    row: the row runs the ``common`` tokens they share once and each label's own but its last; from the cache each
    label runs every token after the prefix."""
    return labels * prefix - (labels - 1) * common - labels


def _nll(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(logits, targets, reduction="none")


def _ppl_of(row: packing.PackedRow, logits: torch.Tensor, pad: int | None) -> list[float]:
    """OpenCompass's PPL of each label's whole prompt from its packed row's logits (float32, as ``perplexity``):
    the summed negative log-likelihood of every token after the first, pad targets left out, divided by the
    prompt's tokens that are not the pad id. The log-softmax runs once per row position, shared ones included."""
    positions, targets, owners = [], [], []
    for label, prompt in enumerate(row.prompts):
        positions += row.logits_for(label)
        targets += prompt[1:]
        owners += [label] * (len(prompt) - 1)
    device = logits.device
    wanted = torch.tensor(targets, dtype=torch.long, device=device)
    losses = -logits.float().log_softmax(-1)[torch.tensor(positions, device=device), wanted] * (wanted != pad)
    sums = torch.zeros(len(row.prompts), device=device).index_add_(0, torch.tensor(owners, device=device), losses)
    counts = torch.tensor([sum(token != pad for token in prompt) for prompt in row.prompts], device=device)
    return (sums / counts).tolist()  # divided in float32, as ``perplexity`` divides


def _loglikelihood(logits: torch.Tensor, positions: Sequence[int], targets: Sequence[int]) -> float:
    """The summed log-probability of ``targets`` predicted at ``positions``: log-softmax in the logits' own dtype,
    summed on the CPU, as OpenCompass's LLInferencer does (no float32 cast, unlike PPL)."""
    if not targets:
        return 0.0
    chosen = logits[list(positions)].log_softmax(-1)
    picked = chosen.gather(1, torch.tensor(list(targets), device=logits.device).unsqueeze(1))
    return float(picked.cpu().sum())
