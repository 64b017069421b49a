"""The transformers backend: loads a causal LM and tokenizer, scores prompts and generates greedily in batches.

Mirrors OpenCompass 0.2.4's HuggingFace model: fp16 by default (on GPU), ``do_sample=False``, prompts truncated
to ``max_seq_len - max_out_len`` on the tokenizer's truncation side, only the new tokens decoded. One module per
job: ``load`` (tokenizer, model, load kwargs), ``scoring`` (PPL and LL, shared prefixes, packed rows),
``generation`` (batches, shared prefixes), ``stopping`` (the answer-fixed stop), ``stop_strings`` (a config's
stop strings, checked as OpenCompass checks them), ``prefix`` (running a prefix once and continuing from its KV
cache), ``probes`` (the load-time checks of the speed paths), and ``backend`` (``HFBackend``, composing them).
"""

from pytest_llmeval.backends.hf.backend import HFBackend, TokenizerOnly
from pytest_llmeval.backends.hf.load import chat_stop_of, dtype_from, load_model, load_tokenizer, model_load_kwargs
from pytest_llmeval.backends.hf.prefix import PrefixCacheError, repeat_cache
from pytest_llmeval.backends.hf.probes import HALF_TOLERANCE, PROBE_TEXT, TOLERANCE
from pytest_llmeval.backends.hf.scoring import LabelShape
from pytest_llmeval.backends.hf.stopping import AnswerFixed

__all__ = [
    "HALF_TOLERANCE",
    "PROBE_TEXT",
    "TOLERANCE",
    "AnswerFixed",
    "HFBackend",
    "LabelShape",
    "PrefixCacheError",
    "TokenizerOnly",
    "chat_stop_of",
    "dtype_from",
    "load_model",
    "load_tokenizer",
    "model_load_kwargs",
    "repeat_cache",
]
