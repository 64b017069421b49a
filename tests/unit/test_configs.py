"""Dataset configs and the C-Eval subject table, pinned to OpenCompass's facts (spec §1, §4)."""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path

import pytest

from pytest_llmeval.datasets.ceval import SUBJECT_BY_KEY, SUBJECTS, group_members
from pytest_llmeval.datasets.configs import CEVAL_GEN, CONFIGS

# In OpenCompass's order, which is also the order the group mean is summed in.
HARD = (
    "advanced_mathematics",
    "discrete_mathematics",
    "probability_and_statistics",
    "college_chemistry",
    "college_physics",
    "high_school_mathematics",
    "high_school_chemistry",
    "high_school_physics",
)


@pytest.mark.parametrize(
    ("subject", "version"),
    [
        ("computer_network", "db9ce2"),
        ("accountant", "002837"),
        ("mao_zedong_thought", "51c7a4"),
        ("high_school_physics", "adf25f"),
        ("law", "a110a1"),
    ],
)
def test_gen_version_pinned(subject, version):
    assert CEVAL_GEN.version(SUBJECT_BY_KEY[subject]) == version


def shared_dir() -> Path:
    override = os.environ.get("LLMEVAL_SHARED")
    return Path(override) if override else Path(__file__).resolve().parents[3] / "shared"


def subjects_tsv() -> list[dict[str, str]]:
    path = shared_dir() / "data" / "ceval" / "subjects.tsv"
    if not path.is_file():
        pytest.skip(f"{path} not found (set LLMEVAL_SHARED to the shared folder)")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_all_52_versions_match_subjects_tsv():
    rows = subjects_tsv()
    assert len(rows) == 52
    got = {row["subject"]: CEVAL_GEN.version(SUBJECT_BY_KEY[row["subject"]]) for row in rows}
    assert got == {row["subject"]: row["version_gen_5f30c7"] for row in rows}


def test_subject_table_matches_subjects_tsv():
    rows = subjects_tsv()
    assert [s.key for s in SUBJECTS] == [row["subject"] for row in rows]
    for subject, row in zip(SUBJECTS, rows):
        assert (subject.english, subject.chinese, subject.category, subject.hard) == (
            row["english"],
            row["chinese"],
            row["category"],
            row["hard"] == "yes",
        )


def test_ceval_gen_is_an_alias_of_5f30c7():
    assert CONFIGS["ceval_gen"] is CONFIGS["ceval_gen_5f30c7"] is CEVAL_GEN
    assert CEVAL_GEN.split == "val" and CEVAL_GEN.shots == 5
    assert (CEVAL_GEN.postprocess, CEVAL_GEN.mode) == ("first_capital", "gen")


def test_abbr_and_round_template():
    law = SUBJECT_BY_KEY["law"]
    assert CEVAL_GEN.abbr(law) == "ceval-law"
    assert CEVAL_GEN.round_template(law) == (
        "以下是中国关于法学考试的单项选择题，请选出其中的正确答案。\n{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\n答案: "
    )


def test_subject_table_shape():
    assert len(SUBJECTS) == 52 == len(SUBJECT_BY_KEY)
    assert Counter(s.category for s in SUBJECTS) == {
        "STEM": 20,
        "Social Science": 10,
        "Humanities": 11,
        "Other": 11,
    }
    assert {s.key for s in SUBJECTS if s.hard} == set(HARD)


def test_group_members_in_summary_order():
    groups = group_members()
    assert list(groups) == ["stem", "social-science", "humanities", "other", "hard", ""]
    assert [len(v) for v in groups.values()] == [20, 10, 11, 11, 8, 52]
    assert set(groups["hard"]) == set(HARD)
    assert groups[""] == tuple(s.key for s in SUBJECTS)


def test_hard_group_is_summed_in_opencompass_order():
    """OpenCompass's ceval-hard list order, not table order: float sums depend on it."""
    assert group_members()["hard"] == HARD
