"""The transformers backend's start-up checks on the files it will load: fast, and before any model loads.

Each catches what would otherwise surface as a long traceback at the first subject. Only this backend
reads model folders; a serving backend checks its own inputs (``server.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json", "vocab.json")
WEIGHT_PATTERNS = ("*.safetensors", "*.safetensors.index.json", "pytorch_model*.bin", "pytorch_model.bin.index.json")
# The dtype strings OpenCompass configs use, plus their short forms; hf.py maps them to torch dtypes.
# The from_pretrained kwargs that name a dtype: ``torch_dtype`` (OpenCompass, transformers 4) and ``dtype`` (5).
DTYPE_KEYS = ("torch_dtype", "dtype")
DTYPE_NAMES = (
    "torch.float16", "float16", "torch.half", "torch.bfloat16", "bfloat16",
    "torch.float", "torch.float32", "float32", "auto",
)  # fmt: skip


def check_model_files(model: Path, model_kwargs: dict[str, Any]) -> None:
    """Catch what would otherwise surface as a long traceback at the first subject."""
    if not any(next(model.glob(pattern), None) for pattern in WEIGHT_PATTERNS):
        raise pytest.UsageError(
            f"--llm-model: {model} has config.json but no weights (*.safetensors or pytorch_model*.bin)"
        )
    for key in DTYPE_KEYS:
        value = model_kwargs.get(key)
        if value is not None and value not in DTYPE_NAMES:
            raise pytest.UsageError(f"--llm-model-kwargs: {key}={value!r} is not one of {', '.join(DTYPE_NAMES)}")
    try:
        config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise pytest.UsageError(f"--llm-model: {model}/config.json is not readable JSON ({error})") from None
    if "auto_map" in config and "trust_remote_code" not in model_kwargs and not _native(config.get("model_type")):
        raise pytest.UsageError(
            f"--llm-model: {model} ships its own model code (auto_map in config.json); allow it with "
            "--llm-model-kwargs trust_remote_code=True --llm-tokenizer-kwargs trust_remote_code=True"
        )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _tokenizer_code(tokenizer: Path) -> str | None:
    """The file whose ``auto_map`` names the tokenizer's own code, unless transformers has that class itself."""
    tokenizer_config = _read_json(tokenizer / "tokenizer_config.json")
    for name, data in (
        ("tokenizer_config.json", tokenizer_config),
        ("config.json", _read_json(tokenizer / "config.json")),
    ):
        auto_map = data.get("auto_map")
        # Older files store the AutoTokenizer pair as a bare list.
        if isinstance(auto_map, list) or (isinstance(auto_map, dict) and "AutoTokenizer" in auto_map):
            return None if _native_tokenizer(tokenizer_config.get("tokenizer_class")) else name
    return None


def _native_tokenizer(class_name: object) -> bool:
    """Whether the installed transformers has this tokenizer class (then it never runs the checkpoint's code)."""
    if not isinstance(class_name, str):
        return False
    from transformers.models.auto.tokenization_auto import tokenizer_class_from_name  # deferred: slow import

    return any(tokenizer_class_from_name(name) is not None for name in (class_name, class_name + "Fast"))


def check_tokenizer_files(tokenizer: Path, tokenizer_kwargs: dict[str, Any]) -> None:
    """A tokenizer with its own code needs consent in the tokenizer's kwargs, not only the model's."""
    if "trust_remote_code" in tokenizer_kwargs:
        return
    source = _tokenizer_code(tokenizer)
    if source:
        raise pytest.UsageError(
            f"--llm-tokenizer-kwargs: the tokenizer in {tokenizer} ships its own code (auto_map in {source}); "
            "allow it with --llm-tokenizer-kwargs trust_remote_code=True"
        )


def _native(model_type: object) -> bool:
    """Whether the installed transformers implements this model type without remote code."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES  # deferred: slow import

    return model_type in CONFIG_MAPPING_NAMES


def has_chat_template(tokenizer_dir: Path) -> bool:
    """Whether a saved tokenizer carries a chat template (in its config or a template file beside it)."""
    if (tokenizer_dir / "chat_template.jinja").exists() or (tokenizer_dir / "chat_template.json").exists():
        return True
    config_file = tokenizer_dir / "tokenizer_config.json"
    try:
        return bool(json.loads(config_file.read_text(encoding="utf-8")).get("chat_template"))
    except (OSError, ValueError):
        return False
