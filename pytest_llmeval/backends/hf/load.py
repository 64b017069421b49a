"""Loading: the tokenizer, and the causal LM with its from_pretrained kwargs, as OpenCompass 0.2.4 loads them.

fp16 by default on a GPU (float32 on the CPU), the user's dtype and kwargs otherwise; the tokenizer pads on the
left for batched generation. Load failures become one-line ``LoadError``s.
"""

from __future__ import annotations

from typing import Any

import torch
import transformers

from pytest_llmeval.backends.hf_files import DTYPE_KEYS
from pytest_llmeval.backends.protocol import LoadError
from pytest_llmeval.errors import LlmEvalError
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


def load_model(settings: Settings, cpu_threads: int | None = None) -> Any:
    """The causal LM as the settings say, in eval mode: on the GPU when there is one, unless a device_map places it."""
    assert settings.model is not None
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
    return model


def chat_stop_of(settings: Settings) -> str | None:
    return settings.end_str or ("<|im_end|>" if settings.hf_type == "chat" else None)
