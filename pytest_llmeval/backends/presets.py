"""Model presets: OpenCompass 0.2.4's model configs (``configs/models/hf_internlm/*.py``) as named settings.

A preset fills in what the model config fixes (kwargs, lengths, batch size, abbreviation, the
meta template and stop tokens); the model path still comes from ``--llm-model``, and any option a
user sets, on the command line or in the ini file, wins over the preset. A preset that names
``trust_remote_code=True`` is the user's consent to run the checkpoint's own code, and the run's
header says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    description: str
    values: dict[str, str]  # option name (as in --llm-<name>) -> the text a user would type
    model_kwargs: dict[str, object] = field(default_factory=dict)
    tokenizer_kwargs: dict[str, object] = field(default_factory=dict)
    meta_template: str | None = None  # "chatml": InternLM2's HUMAN/BOT rounds (datasets.templates.flatten_chatml)
    eos_token_ids: tuple[int, ...] = ()  # generation stops at any of these
    end_str: str | None = None  # generated text is cut at the first occurrence


_INTERNLM2_TOKENIZER = {"padding_side": "left", "truncation_side": "left", "use_fast": False, "trust_remote_code": True}
_INTERNLM2_MODEL = {"trust_remote_code": True, "device_map": "auto"}

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="hf_internlm2_chat_1_8b",
            description="InternLM2-Chat-1.8B with its ChatML meta template (OpenCompass 0.2.4 model config)",
            values={
                "max-out-len": "100",
                "max-seq-len": "2048",
                "batch-size": "8",
                "model-abbr": "internlm2-chat-1.8b-hf",
            },
            model_kwargs=_INTERNLM2_MODEL,
            tokenizer_kwargs=_INTERNLM2_TOKENIZER,
            meta_template="chatml",
            eos_token_ids=(2, 92542),
            end_str="<|im_end|>",
        ),
        Preset(
            name="hf_internlm2_1_8b",
            description="InternLM2-1.8B base model, plain prompts (OpenCompass 0.2.4 model config)",
            values={"max-out-len": "100", "max-seq-len": "2048", "batch-size": "8", "model-abbr": "internlm2-1.8b-hf"},
            model_kwargs=_INTERNLM2_MODEL,
            tokenizer_kwargs=_INTERNLM2_TOKENIZER,
        ),
    )
}
