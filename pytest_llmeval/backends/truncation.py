"""A prompt cut to ``max_prompt_tokens`` as text, for backends that send text rather than token ids.

The transformers backend encodes with ``truncation=True, max_length=max_prompt_tokens``: the tokenizer drops
tokens on its ``truncation_side`` (right unless the tokenizer says left), its special tokens (BOS) counted in
the limit. A server re-encodes the text it receives and adds its own BOS, so the cut ids are decoded back
without the tokens the tokenizer added itself; re-encoding that text gives the same ids the local path runs.
"""

from __future__ import annotations

import threading
from typing import Any

# A fast tokenizer keeps its truncation setting on the shared Rust object: each call sets or clears it just
# before it encodes. The server backend cuts prompts from several threads at once, and without this lock one
# thread's plain encode can clear another's truncation in between, which sends the whole prompt uncut.
_ENCODING = threading.Lock()


def cut_prompt(tokenizer: Any, text: str, max_prompt_tokens: int) -> str:
    """``text`` unchanged when it fits, else the text of the ids the local path keeps (added tokens left out)."""
    with _ENCODING:
        whole = tokenizer(text)["input_ids"]
        if len(whole) <= max_prompt_tokens:
            return text  # untouched, byte for byte: a decode round trip could respace it
        ids = tokenizer(text, truncation=True, max_length=max_prompt_tokens)["input_ids"]
        added = tokenizer("")["input_ids"]  # what the tokenizer adds around any text (BOS, maybe EOS)
    bos = tokenizer.bos_token_id
    if bos is not None and added[:1] == [bos] and ids[:1] == [bos]:
        ids = ids[1:]
    eos = tokenizer.eos_token_id
    if eos is not None and added[-1:] == [eos] and ids[-1:] == [eos]:
        ids = ids[:-1]
    return tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
