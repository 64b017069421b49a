"""The validated settings of a run, as typed records every stage reads.

``collection/options.py`` builds them from the ``--llm-*`` options and ini keys; nothing else parses options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Settings:
    """Validated run settings; everything a worker needs to reproduce a prediction besides the data."""

    model: Path | None
    tokenizer: Path | None
    model_abbr: str
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    tokenizer_kwargs: dict[str, Any] = field(default_factory=dict)
    max_seq_len: int = 2048
    max_out_len: int = 16
    batch_size: int = 4
    batch_auto: bool = False  # --llm-batch-size auto: start at batch_size, halve it on out-of-memory
    num_gpus: int = 1
    hf_type: str = "base"
    data_dir: Path = Path("data")
    output_dir: Path = Path("outputs/llmeval")
    limit: int | None = None
    datasets: tuple[str, ...] = ()
    preset: str | None = None
    meta_template: str | None = None  # "chatml" from a preset: prompts rendered with InternLM2's meta template
    eos_token_ids: tuple[int, ...] = ()
    end_str: str | None = None
    custom_dataset: Path | None = None
    custom_meta_path: Path | None = None
    custom_data_type: str | None = None
    custom_infer_method: str | None = None
    prefix_cache: bool = True  # shared prefixes computed once (ppl: one pass per question); off = reference path
    # Generate to the end (max-out-len or EOS) instead of stopping where the extracted answer is fixed.
    full_output: bool = False
    # The user's consent to run model-written programs (code suites); without it nothing is executed.
    allow_code_exec: bool = False
    cache_dir: Path | None = None  # the result cache's folder; None: no cache
    backend: str = "hf"  # see backends.py
    api_base: str | None = None
    api_model: str | None = None
    api_key_env: str = "OPENAI_API_KEY"  # the name of the variable, never its value
    concurrency: int = 8
    api_timeout: float = 300.0

    @property
    def evaluates(self) -> bool:
        """Whether a model was given to evaluate: a checkpoint folder, or a server."""
        return self.model is not None or self.api_base is not None

    def to_json(self) -> dict:
        return {
            "model": str(self.model) if self.model else None,
            "tokenizer": str(self.tokenizer) if self.tokenizer else None,
            "model_abbr": self.model_abbr,
            # parse_value gives JSON types already: True stays true, 8 stays 8.
            "model_kwargs": dict(self.model_kwargs),
            "tokenizer_kwargs": dict(self.tokenizer_kwargs),
            "max_seq_len": self.max_seq_len,
            "max_out_len": self.max_out_len,
            "batch_size": "auto" if self.batch_auto else self.batch_size,
            "num_gpus": self.num_gpus,
            "hf_type": self.hf_type,
            "limit": self.limit,
            "preset": self.preset,
            "meta_template": self.meta_template,
            "custom_dataset": str(self.custom_dataset) if self.custom_dataset else None,
            "custom_meta_path": str(self.custom_meta_path) if self.custom_meta_path else None,
            "custom_data_type": self.custom_data_type,
            "custom_infer_method": self.custom_infer_method,
            "prefix_cache": self.prefix_cache,
            "full_output": self.full_output,
            "allow_code_exec": self.allow_code_exec,
            "cache_dir": str(self.cache_dir) if self.cache_dir else None,
            "backend": self.backend,
            "api_base": self.api_base,
            "api_model": self.api_model,
            "concurrency": self.concurrency,
        }


@dataclass(frozen=True, slots=True)
class Gate:
    """What the run is compared with and where its reports go; none of it changes an answer."""

    baseline: Path | None = None
    save_baseline: Path | None = None
    max_drop: float = 1.0
    alpha: float = 0.05
    report_md: Path | None = None
    report_html: Path | None = None
    notify: str | None = None  # carries a token: never printed whole, never written to a file
    notify_format: str = "lark"
    allow_skip: bool = False  # --llm-allow-skip: gates left unchecked by items that did not run do not fail
