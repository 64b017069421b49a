"""OpenCompass's collections (base_core, chat_core) as names: what they expand to, in suites and in --llm-list."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pytest_llmeval.collection.plugin import table_families
from pytest_llmeval.datasets.benchmarks import BENCHMARKS
from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.datasets.named_sets import COLLECTIONS, expand, expand_named
from pytest_llmeval.datasets.plan import plan_available
from pytest_llmeval.datasets.suite import parse_suite
from pytest_llmeval.errors import LlmEvalError, MissingData
from pytest_llmeval.reports.listing import render_listing


@pytest.mark.parametrize("name", sorted(COLLECTIONS))
def test_every_member_is_a_declared_config_under_its_full_name(name):
    collection = COLLECTIONS[name]
    assert len(collection.configs) == 15
    missing = [config for config in collection.configs if config not in CONFIGS]
    assert not missing, f"{name} names configs that are not declared: {missing}"
    assert all(CONFIGS[config].hashed_name == config for config in collection.configs)
    # One config per dataset family: run together they must not share item or file names.
    families = [CONFIGS[config].family for config in collection.configs]
    assert len(set(families)) == len(families)


def test_chat_core_runs_the_public_ceval_gen_in_place_of_the_missing_internal_one():
    chat = COLLECTIONS["chat_core"]
    assert "ceval_internal_gen_2daf24" not in chat.configs
    assert chat.configs[2] == "ceval_gen_2daf24"
    assert "ceval_internal_gen_2daf24" in chat.note and "ceval_gen_2daf24" in chat.note


def test_expand_keeps_order_and_runs_a_name_given_twice_once():
    base = COLLECTIONS["base_core"].configs
    assert expand(["base_core"]) == base
    assert expand(["ceval_gen", "base_core", "mmlu_ppl_ac766d"]) == ("ceval_gen", *base)


def _suite(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "llmeval.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_suite_entry_for_a_collection_gives_each_member_the_thresholds_that_name_its_rows(tmp_path):
    specs = parse_suite(
        _suite(
            tmp_path,
            '[[dataset]]\nconfig = "chat_core"\n[dataset.thresholds]\n'
            'ceval = 40.0\n"ceval-computer_*" = 10.0\ngsm8k = 20.0\nmmlu = 30.0\n',
        )
    )
    assert [spec.config.hashed_name for spec in specs] == list(COLLECTIONS["chat_core"].configs)
    by_name = {spec.config.hashed_name: dict(spec.thresholds) for spec in specs}
    assert by_name["ceval_gen_2daf24"]["ceval"] == 40.0
    assert by_name["ceval_gen_2daf24"]["ceval-computer_network"] == 10.0
    assert by_name["gsm8k_gen_1d7fe4"] == {"gsm8k": 20.0}
    assert by_name["mmlu_gen_4d595a"] == {"mmlu": 30.0}
    assert by_name["bbh_gen_5b92b0"] == {}


def test_a_collection_threshold_that_names_no_row_is_refused_in_one_line(tmp_path):
    path = _suite(tmp_path, '[[dataset]]\nconfig = "base_core"\nthresholds = { cevall = 40.0 }\n')
    with pytest.raises(LlmEvalError, match=r"threshold 'cevall' names no row of base_core .*--llm-list base_core"):
        parse_suite(path)


def test_subjects_cannot_narrow_a_collection(tmp_path):
    path = _suite(tmp_path, '[[dataset]]\nconfig = "base_core"\nsubjects = ["law"]\n')
    with pytest.raises(LlmEvalError, match="subjects cannot be listed for the collection base_core"):
        parse_suite(path)


def test_list_shows_each_collection_with_its_members_and_the_substitution(tmp_path):
    text = render_listing(["core"], tmp_path)
    assert "base_core: the 15 configs of OpenCompass's configs/datasets/collections/base_core.py" in text
    assert "chat_core: the 15 configs" in text
    for name in (*COLLECTIONS["base_core"].configs, *COLLECTIONS["chat_core"].configs):
        assert name in text
    assert "note: ceval_gen_2daf24 runs in place of ceval_internal_gen_2daf24" in text
    assert "not available" not in text


def test_a_name_given_itself_is_not_counted_as_brought_in_by_a_collection():
    named = dict(expand_named(["base_core", "mmlu_ppl_ac766d"]))
    assert named["mmlu_ppl_ac766d"] == ""
    assert named["race_ppl_abed12"] == "base_core"
    assert list(named) == list(COLLECTIONS["base_core"].configs)


def test_a_member_without_data_is_not_run_but_a_config_named_itself_needs_its_data(tmp_path):
    (member,) = [
        s for s in parse_suite(_suite(tmp_path, '[[dataset]]\nconfig = "base_core"\n')) if s.config.family == "race"
    ]
    plans = plan_available(member, tmp_path / "data", None)
    assert [p.abbr for p in plans] == ["race-middle", "race-high"]
    why = (
        f"--llm-data-dir: {tmp_path / 'data' / 'race'} not found, needed by race_ppl_abed12; unzip OpenCompass's "
        "data archive (OpenCompassData-core-20240207.zip, which holds RACE) in the repo root so that it creates "
        "data/race/, or point --llm-data-dir at its data folder (or leave them out of base_core with -m 'not race')"
    )
    assert {p.not_run for p in plans} == {why}
    with pytest.raises(MissingData):
        plan_available(replace(member, collection=""), tmp_path / "data", None)


def test_a_collection_s_table_follows_its_file_s_order():
    order = table_families(("chat_core",))
    assert order[:4] == ["mmlu", "cmmlu", "ceval", "gaokao"]
    assert order[12:15] == ["theoremqa", "humaneval", "sanitized_mbpp"]
    assert table_families(("gsm8k_gen", "ceval_gen")) == list(BENCHMARKS)  # no collection: the built-in order
