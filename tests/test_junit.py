"""JUnit XML: every subject test case carries its accuracy, correct and total as properties."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

SUBJECTS = ["computer_network", "high_school_physics", "marxism", "law", "accountant"]
LIMIT = 7  # 7 questions per subject: accuracies such as 6/7 = 85.714... exercise the rounding


def move_gold(project, subject: str, count: int) -> None:
    """Change the gold letter of the first ``count`` val questions: the trained model still answers the old one."""
    path = project.path / "data" / "ceval" / "formal_ceval" / "val" / f"{subject}_val.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows[:count]:
        row["answer"] = "ABCD"[("ABCD".index(row["answer"]) + 1) % 4]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def test_subject_test_cases_carry_llmeval_properties(project, run_llm, tiny_model, last_run):
    """Each subject's JUnit properties equal its llmeval.json record, with accuracy rounded to two decimals."""
    # No thresholds, so the run passes whatever the scores; subject k gets k answers wrong: 7/7, 6/7, ... 3/7.
    project.path.joinpath("llmeval_sample.toml").write_text(
        f'[[dataset]]\nconfig = "ceval_gen"\nsubjects = {json.dumps(SUBJECTS)}\n', encoding="utf-8"
    )
    for wrong, subject in enumerate(SUBJECTS):
        move_gold(project, subject, wrong)
    result = run_llm(tiny_model, "--llm-limit", str(LIMIT), "--junitxml=report.xml")
    assert result.ret == 0, result.stdout.str()

    record = json.loads((last_run() / "llmeval.json").read_text(encoding="utf-8"))
    subjects = {s["abbr"]: s for s in record["subjects"]}
    assert {abbr: s["correct"] for abbr, s in subjects.items()} == {
        f"ceval-{subject}": LIMIT - wrong for wrong, subject in enumerate(SUBJECTS)
    }
    cases = ET.parse(project.path / "report.xml").getroot().iter("testcase")
    properties = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")} for case in cases}
    assert set(properties) == set(subjects)
    for abbr, props in properties.items():
        subject = subjects[abbr]
        assert set(props) >= {"llmeval_accuracy", "llmeval_correct", "llmeval_total"}, abbr
        assert int(props["llmeval_correct"]) == subject["correct"], abbr
        assert int(props["llmeval_total"]) == subject["total"] == LIMIT, abbr
        assert float(props["llmeval_accuracy"]) == round(subject["correct"] / subject["total"] * 100, 2), abbr
        assert float(props["llmeval_accuracy"]) == round(subject["accuracy"], 2), abbr
