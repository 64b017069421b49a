"""Checks against the real C-Eval files, where the shared data folder sits beside the checkout.

The data is licensed non-commercial and never part of the project, so these
tests skip on a machine without it. ``LLMEVAL_SHARED`` points elsewhere.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from pytest_llmeval.datasets.ceval import SUBJECTS, read_split, split_path
from pytest_llmeval.datasets.configs import CEVAL_GEN
from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec

SHARED = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"
pytestmark = pytest.mark.skipif(not (DATA / "ceval" / "formal_ceval").is_dir(), reason=f"no C-Eval data at {DATA}")


def reference_prompt(subject_key: str, chinese: str, row: int, shots: int = 5) -> str:
    """§2.1 of the fidelity spec, written out independently of the package's renderer."""
    root = DATA / "ceval" / "formal_ceval"

    def rows(split: str) -> list[dict[str, str]]:
        with open(root / split / f"{subject_key}_{split}.csv", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def human(r: dict[str, str]) -> str:
        return (
            f"以下是中国关于{chinese}考试的单项选择题，请选出其中的正确答案。\n"
            f"{r['question']}\nA. {r['A']}\nB. {r['B']}\nC. {r['C']}\nD. {r['D']}\n答案: "
        )

    examples = rows("dev")[:shots]
    return "\n".join([piece for s in examples for piece in (human(s), s["answer"])] + [human(rows("val")[row])])


def subject_table() -> dict[str, dict[str, str]]:
    with open(DATA / "ceval" / "subjects.tsv", encoding="utf-8") as handle:
        return {row["subject"]: row for row in csv.DictReader(handle, delimiter="\t")}


def test_all_52_subjects_read_and_carry_the_published_versions():
    table = subject_table()
    plans = plan_subjects(make_spec("test", "ceval_gen"), DATA, None)
    assert len(plans) == 52
    assert sum(len(p.questions) for p in plans) == 1346
    for plan in plans:
        row = table[plan.subject.key]
        assert plan.version == row["version_gen_5f30c7"], plan.abbr
        assert len(plan.questions) == int(row["val"]), plan.abbr
        assert len(plan.shots) == 5


@pytest.mark.parametrize("subject", SUBJECTS, ids=lambda s: s.key)
def test_every_first_prompt_matches_the_spec_byte_for_byte(subject):
    from pytest_llmeval.prompts import render_plain

    root = DATA / "ceval" / "formal_ceval"
    shots = read_split(split_path(root, subject.key, "dev"), "dev")[:5]
    question = read_split(split_path(root, subject.key, "val"), "val")[0]
    rendered = render_plain(CEVAL_GEN.round_template(subject), shots, question)
    assert rendered == reference_prompt(subject.key, subject.chinese, 0)


def test_52_subject_run_with_a_tiny_model(project, run_llm, untrained_model, last_run):
    """The whole table over real data: 52 subject rows, 6 group rows, spec-exact prompts, a failing gate."""
    shutil.rmtree(project.path / "data")
    (project.path / "data").symlink_to(DATA, target_is_directory=True)
    project.path.joinpath("llmeval_sample.toml").write_text(
        '[[dataset]]\nconfig = "ceval_gen"\n[dataset.thresholds]\nceval = 90.0\n', encoding="utf-8"
    )
    result = run_llm(untrained_model, "--llm-limit", "1", "--llm-max-out-len", "2", "--llm-batch-size", "1")
    assert result.ret == 1, result.stdout.str()
    result.assert_outcomes(passed=52)
    result.stdout.re_match_lines([r"  ceval: average \d+\.\d\d < 90\.00 \(naive average of 52 subjects\)"])
    run = last_run()
    (csv_file,) = (run / "summary").glob("summary_*.csv")
    rows = [line.split(",") for line in csv_file.read_text(encoding="utf-8").splitlines()[1:]]
    assert len(rows) == 58
    versions = {key: row["version_gen_5f30c7"] for key, row in subject_table().items()}
    assert [(r[0], r[1]) for r in rows[:52]] == [(f"ceval-{s.key}", versions[s.key]) for s in SUBJECTS]
    assert [r[0] for r in rows[52:]] == [
        "ceval-stem",
        "ceval-social-science",
        "ceval-humanities",
        "ceval-other",
        "ceval-hard",
        "ceval",
    ]
    record = json.loads((run / "llmeval.json").read_text(encoding="utf-8"))
    for subject in SUBJECTS[:3]:
        (path,) = (run / "predictions").rglob(f"ceval-{subject.key}.json")
        first = json.loads(path.read_text(encoding="utf-8"))["0"]
        outcome = next(s for s in record["subjects"] if s["subject"] == subject.key)["outcomes"][0]
        # The tiny model's byte-level vocabulary makes real prompts long, so shots may have been dropped.
        assert first["origin_prompt"] == reference_prompt(subject.key, subject.chinese, 0, outcome["shots"])
