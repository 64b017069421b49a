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
