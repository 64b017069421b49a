"""The transformers backend: loads a causal LM and tokenizer, generates greedily in padded batches.

Mirrors OpenCompass 0.2.4's HuggingFace model: fp16 by default (on GPU),
``do_sample=False``, prompts truncated to ``max_seq_len - max_out_len`` on the
tokenizer's truncation side, only the new tokens decoded.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch
import transformers

from pytest_llmeval.backend import LoadError
from pytest_llmeval.options import Settings
from pytest_llmeval.prompts import Message

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
DTYPE_KEYS = ("torch_dtype", "dtype")
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


class HFBackend:
    """A loaded transformers causal LM and its tokenizer."""

    def __init__(self, model: Any, tokenizer: Any, chat_stop: str | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
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

    @classmethod
    def load(cls, settings: Settings, cpu_threads: int | None = None) -> HFBackend:
        """Load tokenizer and model as the settings say; the expensive step, done once per process."""
        assert settings.model is not None and settings.tokenizer is not None
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
        if "padding_side" not in tokenizer_kwargs:
            # Batched generation needs the prompt ends aligned: pad on the left.
            tokenizer.padding_side = "left"
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
        chat_stop = settings.end_str or ("<|im_end|>" if settings.hf_type == "chat" else None)
        backend = cls(model, tokenizer, chat_stop)
        if settings.eos_token_ids:  # a preset's stop ids (InternLM2-Chat: </s> and <|im_end|>)
            backend.generation_config.eos_token_id = list(settings.eos_token_ids)
        return backend

    @property
    def device(self) -> str:
        return str(next(self.model.parameters()).device)

    def count_tokens(self, prompt: str) -> int:
        return len(self.tokenizer(prompt)["input_ids"])

    def chat_prompt(self, messages: Sequence[Message]) -> str:
        text = self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
        # Templates such as InternLM2's start with the BOS text; the tokenizer adds BOS itself,
        # so keep it out of the prompt string to avoid a doubled BOS (and match OpenCompass's files).
        bos = self.tokenizer.bos_token
        if bos and text.startswith(bos):
            text = text[len(bos) :]
        return text

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
    def generate(self, prompts: Sequence[str], max_out_len: int, max_prompt_tokens: int) -> list[str]:
        encoded = self.encode(prompts, max_prompt_tokens)
        config = copy.copy(self.generation_config)
        config.max_new_tokens = max_out_len
        output = self.model.generate(**encoded, generation_config=config)
        new_tokens = output[:, encoded["input_ids"].shape[1] :]
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        if self.chat_stop:
            texts = [text.split(self.chat_stop)[0] for text in texts]
        return texts
