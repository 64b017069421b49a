"""The C-Eval and CMMLU configs of OpenCompass 0.2.4's "core" collections (``opencompass-core.md`` §1, §2).

``ceval_ppl_1cd8bf`` and ``cmmlu_ppl_041cbf`` are plain-string label dicts (so no chat template wraps them);
``ceval_gen_2daf24`` and ``ceval_ppl_93e5ce`` render and hash as ``ceval_gen_5f30c7`` and ``ceval_ppl_578f8d``.
All four C-Eval configs evaluate the test split beside val: 52 ``ceval-<s>`` rows, then 52 ``ceval-test-<s>``.
Two more C-Eval names are accepted only to say why they cannot run offline.
"""

from __future__ import annotations

from dataclasses import replace

from pytest_llmeval.datasets.base import Benchmark, Group
from pytest_llmeval.datasets.templates import ICE_TOKEN, InferConfig, Template

LETTERS = ("A", "B", "C", "D")
_CHOICES = "{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}"
_HINT = "以下是关于{name}的单项选择题，请直接给出正确答案的选项。\n"


def _plain_ppl(name: str, question: str, answer: str) -> InferConfig:
    """Hint, then five shots ``question\\n{answer}G\\n`` each ending in its own gold, then the row with label X."""
    ice = Template(by_label=tuple((x, f"{question}\n{answer}{x}\n") for x in LETTERS))
    hint = _HINT.format(name=name)
    prompt = Template(
        by_label=tuple((x, f"{hint}{ICE_TOKEN}{question}\n{answer}{x}") for x in LETTERS), ice_token=ICE_TOKEN
    )
    return InferConfig("ppl", ice, prompt)


def ceval_ppl_plain(chinese: str) -> InferConfig:
    """``ceval_ppl_1cd8bf`` (and ``ceval_internal_ppl_1cd8bf``, which differs only in its data path)."""
    return _plain_ppl(chinese, _CHOICES, "答案: ")


def cmmlu_ppl_plain(chinese: str) -> InferConfig:
    """``cmmlu_ppl_041cbf``: as 1cd8bf, each question opened by ``题目：`` and answered by ``答案是: ``."""
    return _plain_ppl(chinese, "题目：" + _CHOICES, "答案是: ")


# One line under the table for every test item of a data folder without the split (the public copy here).
TEST_ABSENT = (
    "C-Eval's test split is not in this data folder (OpenCompassData-core-20240207.zip and the official C-Eval zip "
    "hold it as formal_ceval/test/); put that test/ folder beside dev/ and val/ to run these rows (its public files "
    "carry no answers: predictions are kept, not scored), or leave them out with -k 'not ceval-test'"
)

INTERNAL_HINT = (
    "OpenCompass's internal copy of C-Eval was never published; it holds the same files as ceval/formal_ceval, so "
    "link them there (in the data folder: mkdir -p ceval_internal && ln -s ../ceval/formal_ceval "
    "ceval_internal/formal_ceval) or copy them, or run ceval_ppl_1cd8bf, the same prompts and versions"
)


def with_test_split(benchmark: Benchmark) -> Benchmark:
    """The benchmark's subjects on val, then again on test (``ceval-test-<s>``), each with its group rows.

    Test subjects read their own split of the same files; where it is absent they do not run (``TEST_ABSENT``).
    """
    family = benchmark.abbr_prefix.removesuffix("-")  # "ceval"

    def on_test(name: str) -> str:  # ceval-stem -> ceval-test-stem, ceval -> ceval-test
        return f"{family}-test{name.removeprefix(family)}" if name.startswith(family) else name

    # -k ceval-val / -k ceval-test pick a split ("val" alone would match every "ceval" name).
    val = tuple(replace(s, keywords=(*s.keywords, f"{family}-val")) for s in benchmark.subjects)
    test = tuple(
        replace(
            s,
            key=f"test-{s.key}",
            groups=tuple(on_test(g) for g in s.groups),
            keywords=(*(on_test(k) for k in s.keywords), "test"),
            split="test",
            file_key=s.key,
            if_absent=TEST_ABSENT,
        )
        for s in benchmark.subjects
    )
    groups = tuple(Group(on_test(g.name), tuple(f"test-{m}" for m in g.members), g.metric) for g in benchmark.groups)
    return replace(benchmark, subjects=val + test, groups=benchmark.groups + groups)


def internal(benchmark: Benchmark) -> Benchmark:
    """``ceval_internal_ppl_1cd8bf``'s data: OpenCompass's unpublished copy, under ``ceval_internal/formal_ceval``."""
    return replace(benchmark, data_path="ceval_internal/formal_ceval", missing_hint=INTERNAL_HINT)


# Names OpenCompass 0.2.4 lists for C-Eval whose data cannot be had offline: each refused with its reason.
_CLEAN = (
    "ceval_clean_ppl cannot run offline: OpenCompass's CEvalDatasetClean tags every val row clean or contaminated "
    "from the annotations it downloads at run time (github.com/liyucheng09/Contamination_Detector, release "
    "v0.1.1rc, ceval_annotations.json, cached as formal_ceval/val/ceval_contamination_annotations.json) and reports "
    "accuracy split by that tag, which is not reproduced here; run ceval_ppl for the same prompts' plain val accuracy, "
    "or OpenCompass itself with network access for the split"
)
_CONTAMINATION = (
    "ceval_contamination_ppl_810ec6 cannot run offline: it reads /mnt/petrelfs/zhoufengzhe/repos/cscripts/mock-datas/"
    "ceval_val_content.jsonl, a file on OpenCompass's own cluster that was never published, and reports average "
    "perplexities (ceval-val-ppl, ceval-ref-ppl), not accuracy; run ceval_ppl to score C-Eval val by perplexity"
)
UNAVAILABLE: dict[str, str] = {"ceval_clean_ppl": _CLEAN, "ceval_contamination_ppl_810ec6": _CONTAMINATION}
