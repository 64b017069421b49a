"""The transformers backend: loads a causal LM and tokenizer, generates greedily in padded batches.

Mirrors OpenCompass 0.2.4's HuggingFace model: fp16 by default (on GPU),
``do_sample=False``, prompts truncated to ``max_seq_len - max_out_len`` on the
tokenizer's truncation side, only the new tokens decoded.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import transformers

from pytest_llmeval.backends import packing
from pytest_llmeval.backends.hf_files import DTYPE_KEYS
from pytest_llmeval.backends.protocol import LoadError
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.faults import one_line
from pytest_llmeval.prompts import Message
from pytest_llmeval.records import StopRule
from pytest_llmeval.settings import Settings

# Keys match options.DTYPE_NAMES, which validates them before torch is imported.
_DTYPES = {
    "torch.float16": torch.float16,
    "float16": torch.float16,
    "torch.half": torch.float16,
    "torch.bfloat16": torch.bfloat16,
    "bfloat16": torch.bfloat16,
    "torch.float": torch.float32,
    "torch.float32": torch.float32,
    "float32": torch.float32,
    "auto": "auto",
}
# transformers 5 renamed from_pretrained's ``torch_dtype`` to ``dtype`` and warns on the old name.
_DTYPE_ARG = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"


def dtype_from(value: Any) -> Any:
    """Map an OpenCompass-style dtype string (``torch.float16``, ``auto``) to what transformers takes."""
    if value is None or isinstance(value, torch.dtype):
        return value
    if value not in _DTYPES:
        raise ValueError(f"unknown dtype {value!r}; use one of {', '.join(_DTYPES)}")
    return _DTYPES[value]


def model_load_kwargs(settings: Settings, cuda: bool) -> dict[str, Any]:
    """from_pretrained kwargs: the user's, with OpenCompass's fp16 default where a GPU runs the model."""
    kwargs = dict(settings.model_kwargs)
    given = [key for key in DTYPE_KEYS if key in kwargs]
    if given:
        # An explicit torch_dtype=None loads in the checkpoint's default precision, as in OpenCompass.
        dtype = dtype_from(kwargs.pop(given[-1]))
        for key in given:
            kwargs.pop(key, None)
    else:
        # fp16 is OpenCompass's default; on CPU half precision is slow and partly unsupported.
        dtype = torch.float16 if cuda else torch.float32
    kwargs[_DTYPE_ARG] = dtype
    return kwargs


def load_tokenizer(settings: Settings) -> Any:
    """The tokenizer alone (quick): enough to build and count prompts, and to look results up in the cache."""
    assert settings.tokenizer is not None
    # Load-time progress bars would only clutter captured test output.
    transformers.utils.logging.disable_progress_bar()
    tokenizer_kwargs = dict(settings.tokenizer_kwargs)
    # An explicit False where the user gave nothing: transformers would otherwise stop at an
    # interactive [y/N] question for checkpoints with their own code (checked up front in options).
    tokenizer_kwargs.setdefault("trust_remote_code", False)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(settings.tokenizer), **tokenizer_kwargs)
    except Exception as error:
        raise LoadError("--llm-tokenizer", settings.tokenizer, error) from error
    if tokenizer.pad_token is None and tokenizer.eos_token is None:
        # Batches are padded (gen on the left, ppl on the right); OpenCompass pads with eos when pad is unset.
        raise LlmEvalError(
            f"--llm-tokenizer {settings.tokenizer}: the tokenizer has neither a pad nor an eos token; name one "
            "with --llm-tokenizer-kwargs pad_token=<token> (e.g. its end-of-text token)"
        )
    if "padding_side" not in tokenizer_kwargs:
        # Batched generation needs the prompt ends aligned: pad on the left.
        tokenizer.padding_side = "left"
    return tokenizer


def chat_stop_of(settings: Settings) -> str | None:
    return settings.end_str or ("<|im_end|>" if settings.hf_type == "chat" else None)


class TokenizerOnly:
    """The tokenizer's half of a backend (count tokens, render chat prompts), without a model."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def count_tokens(self, prompt: str) -> int:
        return len(self.tokenizer(prompt)["input_ids"])

    def count_many(self, prompts: Sequence[str]) -> list[int]:
        """``count_tokens`` of each prompt, encoded as one batch (no padding, so the same ids)."""
        return [len(ids) for ids in self.tokenizer(list(prompts))["input_ids"]] if prompts else []

    def chat_prompt(self, messages: Sequence[Message]) -> str:
        text = self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
        # Templates such as InternLM2's start with the BOS text; the tokenizer adds BOS itself,
        # so keep it out of the prompt string to avoid a doubled BOS (and match OpenCompass's files).
        bos = self.tokenizer.bos_token
        if bos and text.startswith(bos):
            text = text[len(bos) :]
        return text


class HFBackend(TokenizerOnly):
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
        transformers.utils.logging.disable_progress_bar()
        cuda = torch.cuda.is_available()
        if not cuda and cpu_threads:
            torch.set_num_threads(cpu_threads)
        kwargs = model_load_kwargs(settings, cuda)
        kwargs.setdefault("trust_remote_code", False)
        try:
            model = transformers.AutoModelForCausalLM.from_pretrained(str(settings.model), **kwargs)
            if "device_map" not in kwargs:
                model.to("cuda" if cuda else "cpu")
        except Exception as error:
            raise LoadError("--llm-model", settings.model, error) from error
        model.eval()
        backend = cls(model, tokenizer, chat_stop_of(settings))
        if settings.eos_token_ids:  # a preset's stop ids (InternLM2-Chat: </s> and <|im_end|>)
            backend.generation_config.eos_token_id = list(settings.eos_token_ids)
        if settings.prefix_cache:
            backend.prefix_cache_off = backend.probe_prefix_cache()
            backend.packing_off = backend.probe_packing()
        return backend

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

    @property
    def device(self) -> str:
        return str(next(self.model.parameters()).device)

    def encode(self, prompts: Sequence[str], max_prompt_tokens: int) -> Any:
        """One padded batch on the model's device, cut to ``max_prompt_tokens`` on the truncation side."""
        encoded = self.tokenizer(
            list(prompts), return_tensors="pt", padding=True, truncation=True, max_length=max_prompt_tokens
        )
        encoded.pop("token_type_ids", None)
        return encoded.to(self.model.device)

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
        """``loglikelihood`` of every label text of every question with the question's continuation, each
        question's labels in one packed row (see ``label_scores``); rows that cannot be packed run the reference."""
        ids = [[self._ll_ids(text, max_seq_len) for text in texts] for texts in questions]
        starts = [
            [self._context_length(text, cont, max_seq_len) for text in texts]
            for texts, cont in zip(questions, conts, strict=True)
        ]
        scores: list[list[float] | None] = [None] * len(questions)
        packed, plain = self._packable(range(len(questions)), ids, max_seq_len)
        rows = {i: packing.pack(ids[i]) for i in packed}

        def reduce(row: packing.PackedRow, logits: torch.Tensor, index: int) -> list[float]:
            return [
                _loglikelihood(logits, row.logits_for(label, first), row.prompts[label][first:])
                for label, first in enumerate(starts[index])
            ]

        done = 0
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
        return [AnswerFixed(self.tokenizer, stop, width, self.chat_stop)] if stop is not None else []

    def _decode(self, new_tokens: torch.Tensor, criteria: Sequence[AnswerFixed]) -> list[str]:
        """The new tokens as text, each row only up to where its answer became fixed, cut at the chat stop."""
        lengths = criteria[0].lengths if criteria else {}
        rows = [new_tokens[row, : lengths.get(row, new_tokens.shape[1])] for row in range(new_tokens.shape[0])]
        texts = [self.tokenizer.decode(row, skip_special_tokens=True) for row in rows]
        if self.chat_stop:
            texts = [text.split(self.chat_stop)[0] for text in texts]
        return texts


class AnswerFixed(transformers.StoppingCriteria):
    """Ends each sequence of a batch once its extracted answer can no longer change (a ``StopRule``).

    Called after every decoding step: each running row's new tokens are decoded as the prediction would be
    and checked; a row that is done reports True from then on, and transformers pads it while the rest of the
    batch goes on; the batch ends when every row is done. ``lengths`` remembers how many new tokens each
    stopped row had, so the text decoded afterwards is exactly the text that was checked.
    """

    def __init__(self, tokenizer: Any, rule: StopRule, width: int, end: str | None) -> None:
        self.tokenizer = tokenizer
        self.rule = rule
        self.width = width  # the prompt's columns: new tokens start here
        self.end = end
        self.lengths: dict[int, int] = {}

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        new = input_ids.shape[1] - self.width
        for row in range(input_ids.shape[0]):
            if row in self.lengths:
                continue
            text = self.tokenizer.decode(input_ids[row, self.width :], skip_special_tokens=True)
            if self.rule.reached(text, self.end):
                self.lengths[row] = new
        done = [row in self.lengths for row in range(input_ids.shape[0])]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


T = TypeVar("T")

# Chinese and English text for the load-time probe: enough tokens for any tokenizer to give two prompts
# of 12 and 10 tokens that share 8.
PROBE_TEXT = (
    "以下是中国关于计算机网络考试的单项选择题，请选出其中的正确答案。The quick brown fox jumps over the lazy dog."
)
# The largest difference between logits from a prefix cache and from the whole prompt that counts as equal,
# relative to the largest logit: float rounding in a different order of operations, not a different result.
TOLERANCE = {torch.float32: 1e-3, torch.float64: 1e-6}
HALF_TOLERANCE = 3e-2  # float16, bfloat16


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
