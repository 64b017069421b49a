"""Dataset configs by the names users pass to OpenCompass (``--datasets ceval_gen``), short alias or hashed name.

Each entry joins a declaration (``datasets.declared``: templates, mode, answer extraction) with its
benchmark (``datasets.benchmarks``: subjects, files, groups). A plain dict: no registry.
"""

from __future__ import annotations

from pytest_llmeval.datasets.base import DatasetConfig
from pytest_llmeval.datasets.benchmarks import BENCHMARKS, VARIANTS
from pytest_llmeval.datasets.declared import DECLARED

_BUILT = tuple(
    DatasetConfig(
        name=d.alias or d.name,
        hashed_name=d.name,
        benchmark=VARIANTS.get(d.name, BENCHMARKS[d.family]),
        mode=d.mode,
        postprocess=d.postprocess,
        infer=d.infer,
        bot_turn=d.bot_turn,
    )
    for d in DECLARED
)
CONFIGS: dict[str, DatasetConfig] = {
    name: config for config in _BUILT for name in dict.fromkeys((config.name, config.hashed_name))
}
CEVAL_GEN = CONFIGS["ceval_gen"]
