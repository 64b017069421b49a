"""Tiny checkpoints that ship their own code (``auto_map``), the way InternLM2's do, written for these tests.

``with_remote_model`` copies a tiny Llama checkpoint and gives it a ``configuration_tinyrc.py`` /
``modeling_tinyrc.py`` pair; ``with_remote_tokenizer`` gives a tokenizer folder a
``tokenization_tinyrc.py``. A ``fault`` makes the model code fail the way real remote code fails
on an unsuitable environment.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

CONFIGURATION = """
from transformers import LlamaConfig


class TinyRcConfig(LlamaConfig):
    model_type = "tinyrc"
"""

MODELING = """
{imports}
from transformers import LlamaForCausalLM

from .configuration_tinyrc import TinyRcConfig


class TinyRcForCausalLM(LlamaForCausalLM):
    config_class = TinyRcConfig

    def forward(self, *args, **kwargs):
{forward}
        return super().forward(*args, **kwargs)
"""

# fault -> (module-level imports, first lines of forward())
FAULTS = {
    None: ("", "        pass"),
    # transformers 4.49-4.57 caches have no get_max_length, which InternLM2's code calls on every step;
    # a cache class of that shape, so the failure is the same on every transformers version.
    "get_max_length": (
        "class CacheWithoutGetMaxLength:\n    pass\n",
        "        CacheWithoutGetMaxLength().get_max_length()",
    ),
    # transformers 5 removed names that older remote code imports at module level.
    "import_error": (
        "from transformers.models.llama.modeling_llama import LlamaFlashAttention2  # noqa",
        "        pass",
    ),
    # Model code that numbers positions from the cache's length and ignores the ones it is given, as some older
    # code does: right for a whole prompt, wrong for tokens placed after padding (the shared-prefix layout).
    "positions_from_cache": (
        "",
        (
            "        cache = kwargs.get('cache', kwargs.get('past_key_values'))\n"
            "        if cache is not None and cache.get_seq_length() > 0:\n"
            "            kwargs['position_ids'] = None"
        ),
    ),
    # transformers checks a remote module's imports and names the packages that are missing.
    "missing_package": ("import llmeval_absent_package  # noqa", "        pass"),
    # What the CUDA caching allocator raises, simulated (no test machine has a GPU to exhaust), for batches of
    # more than two rows: a batch that small fits.
    "out_of_memory_above_2": (
        "import torch",
        (
            "        ids = kwargs.get('input_ids') if kwargs.get('input_ids') is not None else args[0]\n"
            "        if ids.shape[0] > 2:\n"
            '            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")'
        ),
    ),
}

TOKENIZATION = '''
from transformers import PreTrainedTokenizerFast


class TinyRcTokenizer(PreTrainedTokenizerFast):
    """The tiny model's BPE tokenizer under a class name transformers does not know."""
'''


def with_remote_model(source: Path, target: Path, fault: str | None = None) -> Path:
    """A copy of ``source`` whose config and model class come from files in the folder itself."""
    shutil.copytree(source, target)
    imports, forward = FAULTS[fault]
    (target / "configuration_tinyrc.py").write_text(CONFIGURATION, encoding="utf-8")
    (target / "modeling_tinyrc.py").write_text(MODELING.format(imports=imports, forward=forward), encoding="utf-8")
    config_file = target / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["model_type"] = "tinyrc"
    config["architectures"] = ["TinyRcForCausalLM"]
    config["auto_map"] = {
        "AutoConfig": "configuration_tinyrc.TinyRcConfig",
        "AutoModelForCausalLM": "modeling_tinyrc.TinyRcForCausalLM",
    }
    config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return target


def with_remote_tokenizer(folder: Path) -> Path:
    """Make the tokenizer in ``folder`` load through its own ``tokenization_tinyrc.py``."""
    (folder / "tokenization_tinyrc.py").write_text(TOKENIZATION, encoding="utf-8")
    config_file = folder / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "TinyRcTokenizer"
    config["auto_map"] = {"AutoTokenizer": [None, "tokenization_tinyrc.TinyRcTokenizer"]}
    config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return folder


TUPLE_CONFIGURATION = """
from transformers import PretrainedConfig


class TupleLMConfig(PretrainedConfig):
    model_type = "tuplelm"

    def __init__(self, vocab_size=2000, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                 max_position_embeddings=2048, cache_style="tuples", use_cache=True, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.max_position_embeddings = max_position_embeddings
        self.cache_style = cache_style  # "tuples", or "none": never returns a cache
        self.use_cache = use_cache
        super().__init__(**kwargs)
"""

TUPLE_MODELING = '''
"""A causal LM from before transformers' Cache classes: its cache is a tuple of (key, value) per layer,
its past length ``past_key_values[0][0].shape[2]``; anything else handed to it is refused."""
import math

import torch
from torch import nn
from transformers import GenerationMixin, PreTrainedModel
from transformers.modeling_outputs import CausalLMOutputWithPast

from .configuration_tuplelm import TupleLMConfig


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        size = config.hidden_size
        self.heads = config.num_attention_heads
        self.norm1 = nn.LayerNorm(size)
        self.qkv = nn.Linear(size, 3 * size)
        self.out = nn.Linear(size, size)
        self.norm2 = nn.LayerNorm(size)
        self.mlp = nn.Sequential(nn.Linear(size, 4 * size), nn.GELU(), nn.Linear(4 * size, size))

    def forward(self, x, bias, past):
        batch, length, size = x.shape
        shape = (batch, length, 3, self.heads, size // self.heads)
        q, k, v = self.qkv(self.norm1(x)).view(shape).permute(2, 0, 3, 1, 4)
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        weights = (q @ k.transpose(-1, -2) / math.sqrt(size // self.heads) + bias).softmax(-1)
        x = x + self.out((weights @ v).transpose(1, 2).reshape(batch, length, size))
        return x + self.mlp(self.norm2(x)), (k, v)


class TupleLMForCausalLM(PreTrainedModel, GenerationMixin):
    config_class = TupleLMConfig
    _supports_cache_class = False

    def __init__(self, config):
        super().__init__(config)
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.positions = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.num_hidden_layers))
        self.norm = nn.LayerNorm(config.hidden_size)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(0.0, 0.5)  # large enough that greedy answers differ per prompt
        if isinstance(module, nn.Linear) and module.bias is not None:
            module.bias.data.zero_()

    def forward(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None, use_cache=None,
                return_dict=None, **kwargs):
        if past_key_values is not None and not isinstance(past_key_values, tuple):
            raise TypeError(f"past_key_values must be a tuple of (key, value) tuples, not {type(past_key_values)}")
        past = past_key_values[0][0].shape[2] if past_key_values is not None else 0
        batch, length = input_ids.shape
        device = input_ids.device
        if position_ids is None:
            position_ids = torch.arange(past, past + length, device=device).unsqueeze(0).expand(batch, -1)
        if attention_mask is None:
            attention_mask = torch.ones(batch, past + length, dtype=torch.long, device=device)
        causal = torch.ones(length, past + length, dtype=torch.bool, device=device).tril(past)
        allowed = causal[None, None] & attention_mask[:, None, None, :].bool()
        dtype = self.embed.weight.dtype
        bias = torch.zeros(allowed.shape, dtype=dtype, device=device).masked_fill(~allowed, torch.finfo(dtype).min)
        x = self.embed(input_ids) + self.positions(position_ids.clamp(min=0))
        presents = []
        for number, block in enumerate(self.blocks):
            x, layer = block(x, bias, past_key_values[number] if past_key_values is not None else None)
            presents.append(layer)
        logits = self.lm_head(self.norm(x))
        keep = self.config.use_cache if use_cache is None else use_cache
        cache = tuple(presents) if keep and self.config.cache_style == "tuples" else None
        return CausalLMOutputWithPast(logits=logits, past_key_values=cache)

    def prepare_inputs_for_generation(self, input_ids, past_key_values=None, attention_mask=None, **kwargs):
        if past_key_values is not None:
            input_ids = input_ids[:, past_key_values[0][0].shape[2]:]
        position_ids = None
        if attention_mask is not None:
            position_ids = attention_mask.long().cumsum(-1) - 1
            position_ids.masked_fill_(attention_mask == 0, 1)
            position_ids = position_ids[:, -input_ids.shape[1]:]
        return {
            "input_ids": input_ids,
            "past_key_values": past_key_values,
            "attention_mask": attention_mask,
            "position_ids": position_ids,
            "use_cache": kwargs.get("use_cache"),
        }
'''

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def tuple_only_model(tokenizer_dir: Path, target: Path, cache_style: str = "tuples", seed: int = 0) -> Path:
    """A checkpoint of ``TupleLMForCausalLM`` (random weights) that loads through its own code, with the tokenizer
    of ``tokenizer_dir``. It runs on transformers 4.x only: 5.x hands every model a ``Cache`` and refuses tuples."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    target.mkdir(parents=True)
    for name in TOKENIZER_FILES:
        if (tokenizer_dir / name).exists():
            shutil.copyfile(tokenizer_dir / name, target / name)
    tokenizer = AutoTokenizer.from_pretrained(target)
    config = {
        "model_type": "tuplelm",
        "architectures": ["TupleLMForCausalLM"],
        "auto_map": {
            "AutoConfig": "configuration_tuplelm.TupleLMConfig",
            "AutoModelForCausalLM": "modeling_tuplelm.TupleLMForCausalLM",
        },
        "vocab_size": len(tokenizer),
        "cache_style": cache_style,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    write_code(target)
    (target / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(
        AutoConfig.from_pretrained(target, trust_remote_code=True), trust_remote_code=True
    )
    model.save_pretrained(target)
    write_code(target)  # save_pretrained may rewrite config.json; the code files stay the checkpoint's own
    return target


def write_code(target: Path) -> None:
    (target / "configuration_tuplelm.py").write_text(TUPLE_CONFIGURATION, encoding="utf-8")
    (target / "modeling_tuplelm.py").write_text(TUPLE_MODELING, encoding="utf-8")
