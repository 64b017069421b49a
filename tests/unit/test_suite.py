"""Suite TOML parsing: subject selection, threshold expansion and error texts that name the bad value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_llmeval.datasets.ceval import SUBJECTS
from pytest_llmeval.datasets.configs import CEVAL_GEN
from pytest_llmeval.datasets.suite import DatasetSpec, make_spec, parse_suite
from pytest_llmeval.errors import LlmEvalError

ALL_KEYS = tuple(s.key for s in SUBJECTS)


def suite(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "llmeval.toml"
    path.write_text(text, encoding="utf-8")
    return path


def parse(tmp_path: Path, text: str) -> tuple[DatasetSpec, ...]:
    return parse_suite(suite(tmp_path, text))


def entry(body: str) -> str:
    return '[[dataset]]\nconfig = "ceval_gen"\n' + body


def test_default_is_all_52_subjects_in_table_order(tmp_path):
    (spec,) = parse(tmp_path, '[[dataset]]\nconfig = "ceval_gen"\n')
    assert spec.config is CEVAL_GEN
    assert spec.subjects == ALL_KEYS
    assert spec.thresholds == ()
    assert [name for name, _ in spec.groups()] == [
        "ceval-stem",
        "ceval-social-science",
        "ceval-humanities",
        "ceval-other",
        "ceval-hard",
        "ceval",
    ]


def test_alias_config_name_resolves_to_same_config(tmp_path):
    (spec,) = parse(tmp_path, '[[dataset]]\nconfig = "ceval_gen_5f30c7"\n')
    assert spec.config is CEVAL_GEN


def test_subject_subset_is_sorted_in_table_order(tmp_path):
    (spec,) = parse(tmp_path, entry('subjects = ["law", "physician", "computer_network"]\n'))
    assert spec.subjects == ("computer_network", "law", "physician")
    assert spec.groups() == [
        ("ceval-stem", ("computer_network",)),
        ("ceval-humanities", ("law",)),
        ("ceval-other", ("physician",)),
        ("ceval", ("computer_network", "law", "physician")),
    ]


def test_threshold_expansion_exact_pattern_and_precedence(tmp_path):
    (spec,) = parse(
        tmp_path,
        """
[[dataset]]
config = "ceval_gen"
subjects = ["computer_network", "law", "high_school_physics", "high_school_chemistry"]

[dataset.thresholds]
"ceval-law" = 20
"ceval-*" = 5.0
"ceval-high_school_*" = 10.5
"ceval-high_school_physics" = 30
ceval = 40
"ceval-hard" = 12
""",
    )
    assert dict(spec.thresholds) == {
        "ceval-computer_network": 5.0,  # only the catch-all pattern
        "ceval-high_school_chemistry": 10.5,  # the last matching pattern wins
        "ceval-high_school_physics": 30.0,  # exact beats any pattern
        "ceval-law": 20.0,  # exact beats a pattern listed after it
        "ceval": 40.0,
        "ceval-hard": 12.0,
    }
    assert all(isinstance(value, float) for _, value in spec.thresholds)
    assert spec.minimum("ceval-stem") is None  # patterns expand to subjects, never to groups
    assert spec.minimum("ceval-law") == 20.0


def test_group_threshold_needs_a_declared_member(tmp_path):
    text = '[[dataset]]\nconfig = "ceval_gen"\nsubjects = ["law"]\n[dataset.thresholds]\n"ceval-humanities" = 1\n'
    (spec,) = parse(tmp_path, text)
    assert spec.minimum("ceval-humanities") == 1.0
    for group in ("ceval-stem", "ceval-hard"):
        with pytest.raises(LlmEvalError, match=re.escape(f"threshold '{group}' names no subject or group")):
            parse(tmp_path, text.replace("ceval-humanities", group))


def test_make_spec_matches_parse_suite(tmp_path):
    (parsed,) = parse(tmp_path, entry('subjects = ["law"]\n[dataset.thresholds]\nceval = 3\n'))
    made = make_spec("here", "ceval_gen", ["law"], {"ceval": 3})
    assert parsed == made
    assert DatasetSpec.from_json(made.to_json()) == made


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[dataset]]\nconfig = "ceval_gem"\n',
            "#1: unknown dataset config 'ceval_gem'; did you mean ceval_gen or ceval_ppl? known: ARC_c_gen, ARC_c_ppl, ",
        ),
        ("[[dataset]]\n", '#1: missing config = "ceval_gen"'),
        (entry('subjects = ["law", "lawyer"]\n'), "#1: unknown subject 'lawyer'"),
        (entry("subjects = []\n"), "#1: subjects must be a non-empty list"),
        (entry('subjects = "law"\n'), "#1: subjects must be a non-empty list"),
        (entry("[dataset.thresholds]\nceval = 120\n"), "#1: threshold ceval = 120 is outside 0-100"),
        (entry("[dataset.thresholds]\nceval = -1\n"), "#1: threshold ceval = -1 is outside 0-100"),
        (entry("[dataset.thresholds]\nceval = true\n"), "#1: threshold ceval = True is not a number"),
        (entry('[dataset.thresholds]\nceval = "40"\n'), "#1: threshold ceval = '40' is not a number"),
        (entry('[dataset.thresholds]\n"ceval-lawyer" = 4\n'), "#1: threshold 'ceval-lawyer' names no subject or group"),
        (entry('[dataset.thresholds]\n"cmmlu-*" = 4\n'), "#1: threshold pattern 'cmmlu-*' matches no subject of"),
        (
            entry('subjects = ["law"]\n[dataset.thresholds]\n"ceval-computer*" = 40\n'),
            "threshold pattern 'ceval-computer*' matches no subject",
        ),
        (
            entry("threshold = 3\n"),
            "#1: unknown key 'threshold'; keys are abbr, config, data_type, infer_method, meta_path, path, subjects, thresholds",
        ),
        (entry("thresholds = 40\n"), "#1: thresholds must be a table"),
        ('config = "ceval_gen"\n', "no [[dataset]] entries"),
        ("", "no [[dataset]] entries"),
        ("[dataset]\nconfig = 'ceval_gen'\n", "no [[dataset]] entries"),
        (entry("") + entry(""), "a dataset family is declared twice"),
        ('[[dataset]\nconfig = "ceval_gen"\n', "not valid TOML"),
    ],
)
def test_errors_name_file_entry_and_bad_value(tmp_path, text, message):
    path = suite(tmp_path, text)
    with pytest.raises(LlmEvalError, match=re.escape(message)) as info:
        parse_suite(path)
    assert str(info.value).startswith(str(path))


def test_error_names_the_right_entry_number(tmp_path):
    text = entry("") + '[[dataset]]\nconfig = "nope"\n'
    with pytest.raises(LlmEvalError, match=re.escape("[[dataset]] #2: unknown dataset config 'nope'")):
        parse(tmp_path, text)


@pytest.mark.parametrize("text", ["dataset = [1]\n", 'dataset = ["ceval_gen"]\n'])
def test_dataset_entry_that_is_not_a_table(tmp_path, text):
    with pytest.raises(LlmEvalError, match=re.escape("[[dataset]] #1: ") + ".*table"):
        parse(tmp_path, text)
