"""Real checkpoints that misbehave on purpose, made from a tiny model by editing its weights or files.

``always_emits`` rewires a Llama so that, whatever the prompt, greedy decoding picks one chosen token
at every step: the blocks add nothing to the residual stream (their output projections are zero),
every embedding is the same vector, and only the chosen token's output row sees it. The result is
a normal checkpoint that transformers loads and runs as any other.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json")


def always_emits(target: Path, source: Path, token: str) -> Path:
    """A copy at ``target`` of the model at ``source`` whose every generated token is ``token`` (one of its vocabulary).

    ``target`` comes first, as for every builder of the checkpoint store (``checkpoints.py``)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source)
    token_id = tokenizer.convert_tokens_to_ids(token)
    assert token_id is not None and token_id != tokenizer.unk_token_id, token
    model = AutoModelForCausalLM.from_pretrained(source, tie_word_embeddings=False)
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        model.model.embed_tokens.weight.fill_(1.0)
        model.model.norm.weight.fill_(1.0)
        model.lm_head.weight.zero_()
        model.lm_head.weight[token_id] = 1.0
    model.save_pretrained(target)
    for name in TOKENIZER_FILES:
        if (source / name).exists():
            shutil.copyfile(source / name, target / name)
    return target


def byte_token(tokenizer_dir: Path, byte: int) -> str:
    """The vocabulary entry of a single byte in a byte-level BPE (GPT-2's printable stand-ins for bytes)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    stand_ins = dict(zip(printable, printable))
    extra = 0
    for value in range(256):
        if value not in stand_ins:
            stand_ins[value] = 256 + extra
            extra += 1
    return chr(stand_ins[byte])


def without_pad_and_eos(source: Path, target: Path) -> Path:
    """A copy of the model whose tokenizer names neither a pad nor an eos token."""
    shutil.copytree(source, target)
    config_file = target / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    for key in ("pad_token", "eos_token"):
        config.pop(key, None)
    config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return target
