"""OpenCompass's dataset collections (``configs/datasets/collections/*.py``) as names that expand to configs.

``--llm-datasets base_core`` runs what ``collections/base_core.py`` imports at tag 0.2.4, in its import
order, each config by its full name. A collection is only a list of names: every member is an ordinary
declared config, so thresholds, baselines, ``-k`` and the result cache work on its rows as on any other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Substitute:
    """A member OpenCompass's file imports but that does not exist at the tag, and the config run in its place."""

    missing: str
    instead: str
    why: str


@dataclass(frozen=True, slots=True)
class Collection:
    name: str
    source: str  # the OpenCompass file it mirrors
    configs: tuple[str, ...]  # full config names, in the file's import order (substitutes already in place)
    substitutes: tuple[Substitute, ...] = ()

    @property
    def note(self) -> str:
        return "; ".join(f"{s.instead} runs in place of {s.missing} ({s.why})" for s in self.substitutes)


_CEVAL_INTERNAL_GEN = Substitute(
    "ceval_internal_gen_2daf24",
    "ceval_gen_2daf24",
    "chat_core.py imports it, but no commit of OpenCompass ever had that file, so the collection fails to load "
    "at 0.2.4; ceval_gen_2daf24 has the same templates over the public data",
)

COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection(
            "base_core",
            "configs/datasets/collections/base_core.py",
            (
                "mmlu_ppl_ac766d",
                "cmmlu_ppl_041cbf",
                "ceval_ppl_1cd8bf",
                "GaokaoBench_no_subjective_gen_d21e37",
                "triviaqa_wiki_1shot_gen_20a989",
                "nq_open_1shot_gen_20a989",
                "race_ppl_abed12",
                "winogrande_5shot_ll_252f01",
                "hellaswag_10shot_ppl_59c85e",
                "bbh_gen_0a5495",
                "gsm8k_gen_ee684f",
                "math_evaluatorv2_gen_9d2049",
                "TheoremQA_post_v2_gen_2c2583",
                "humaneval_gen_d2537e",
                "sanitized_mbpp_gen_cb43ef",
            ),
        ),
        Collection(
            "chat_core",
            "configs/datasets/collections/chat_core.py",
            (
                "mmlu_gen_4d595a",
                "cmmlu_gen_c13365",
                _CEVAL_INTERNAL_GEN.instead,
                "GaokaoBench_no_subjective_gen_4c31db",
                "triviaqa_wiki_1shot_gen_eaf81e",
                "nq_open_1shot_gen_01cf41",
                "race_gen_69ee4f",
                "winogrande_5shot_gen_6447e6",
                "hellaswag_10shot_gen_e42710",
                "bbh_gen_5b92b0",
                "gsm8k_gen_1d7fe4",
                "math_evaluatorv2_gen_cecb31",
                "TheoremQA_post_v2_gen_ef26ca",
                "humaneval_gen_8e312c",
                "sanitized_mbpp_gen_1e1056",
            ),
            (_CEVAL_INTERNAL_GEN,),
        ),
    )
}


def expand_named(names: tuple[str, ...] | list[str]) -> tuple[tuple[str, str], ...]:
    """Config names with every collection replaced by its members, in order, each with the collection that brought
    it in ("" for a name given itself); a config given twice runs once, and a name given itself counts as such."""
    out: dict[str, str] = {}
    for name in names:
        for config in COLLECTIONS[name].configs if name in COLLECTIONS else (name,):
            out[config] = "" if config in names else out.get(config, name)
    return tuple(out.items())


def expand(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Config names with every collection replaced by its members, in order; a name given twice runs once."""
    return tuple(config for config, _ in expand_named(names))
