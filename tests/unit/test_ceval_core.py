"""The core collections' C-Eval and CMMLU configs (opencompass-core.md §1, §2): every version the spec lists,
prompts byte for byte, the test split beside val (absent, unanswered, answered), and the two names refused."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from pytest_llmeval.datasets.ceval_core import TEST_ABSENT, UNAVAILABLE
from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec, parse_suite
from pytest_llmeval.datasets.templates import flatten_chatml, flatten_plain, render_pieces
from pytest_llmeval.errors import LlmEvalError, MissingData
from pytest_llmeval.judging.summary import summarize
from pytest_llmeval.judging.verdict import judge, subject_failure
from pytest_llmeval.records import Outcome, SubjectResult

CEVAL_1CD8BF = """
computer_network=dbe481 operating_system=361282 computer_architecture=26ea21 college_programming=0b704a
college_physics=902dbe college_chemistry=ec27d2 advanced_mathematics=f9b365 probability_and_statistics=c5e393
discrete_mathematics=ee10a1 electrical_engineer=acbb61 metrology_engineer=58f8a4 high_school_mathematics=efffd7
high_school_physics=0d6755 high_school_chemistry=a52971 high_school_biology=aa375b
middle_school_mathematics=30c75e middle_school_biology=668f23 middle_school_physics=09bd06
middle_school_chemistry=6a9f7b veterinary_medicine=b1fc46 college_economics=c0645d
business_administration=e4f816 marxism=4be1d1 mao_zedong_thought=5c7486 education_science=f5e544
teacher_qualification=5c650b high_school_politics=2247c5 high_school_geography=580f7f
middle_school_politics=c24eac middle_school_geography=5fa75c modern_chinese_history=5b1514
ideological_and_moral_cultivation=b581ac logic=c93344 law=161acb chinese_language_and_literature=fb0aeb
art_studies=3dcade professional_tour_guide=189df2 legal_professional=5e5e85 high_school_chinese=12568f
high_school_history=21c8a4 middle_school_history=1c86fe civil_servant=b7e744 sports_science=1880c8
plant_protection=811674 basic_medicine=75dafd clinical_medicine=0dc723 urban_and_rural_planner=b8942f
accountant=b233a5 fire_engineer=8a49da environmental_impact_assessment_engineer=5cfae4 tax_accountant=e9d7a7
physician=100520
"""
CMMLU_041CBF = """
agronomy=803fc3 anatomy=5b9fde ancient_chinese=a5eef8 arts=6dc222 astronomy=fef105 business_ethics=6b7621
chinese_civil_service_exam=8489b2 chinese_driving_rule=1c2315 chinese_food_culture=ac3858
chinese_foreign_policy=4939d8 chinese_history=1cbd47 chinese_literature=183680
chinese_teacher_qualification=7c673a clinical_knowledge=97b3c0 college_actuarial_science=dde560
college_education=1f4458 college_engineering_hydrology=7cae2a college_law=180f8a college_mathematics=863f41
college_medical_statistics=f13416 college_medicine=48f8f1 computer_science=8278ca computer_security=bbf2b8
conceptual_physics=46efb0 construction_project_management=113244 economics=176374 education=f54d9b
electrical_engineering=631554 elementary_chinese=79f692 elementary_commonsense=42b37d
elementary_information_and_technology=2028cd elementary_mathematics=bafc00 ethnology=c8ee5c food_science=cef4f8
genetics=d7def3 global_facts=2fad35 high_school_biology=f3fabe high_school_chemistry=966678
high_school_geography=589304 high_school_mathematics=f66854 high_school_physics=a3a7d9
high_school_politics=352e63 human_sexuality=eb42e1 international_law=cd2f0f journalism=29717c
jurisprudence=bde6e5 legal_and_moral_basis=884845 logical=61a75e machine_learning=9dbaef management=2d01f9
marketing=cce486 marxist_theory=3dcd11 modern_chinese=776d9f nutrition=cf815d philosophy=585226
professional_accounting=04c7e3 professional_law=366d0e professional_medicine=301be7
professional_psychology=7e4709 public_relations=50a566 security_study=aba8ca sociology=7277a1
sports_science=9a2f91 traditional_chinese_medicine=2a7345 virology=541fba world_history=7951dd
world_religions=0be8d8
"""


def versions(text: str) -> dict[str, str]:
    return dict(pair.split("=") for pair in text.split())


@pytest.mark.parametrize("name", ["ceval_ppl_1cd8bf", "ceval_internal_ppl_1cd8bf"])
def test_every_1cd8bf_version_on_val_and_test(name):
    config = CONFIGS[name]
    expected = versions(CEVAL_1CD8BF)
    got = {s.key: config.version(s) for s in config.benchmark.subjects}
    assert list(got) == [*expected, *(f"test-{key}" for key in expected)], "val subjects in config order, then test"
    assert got == {**expected, **{f"test-{key}": value for key, value in expected.items()}}


def test_every_cmmlu_041cbf_version():
    config = CONFIGS["cmmlu_ppl_041cbf"]
    got = {s.key: config.version(s) for s in config.benchmark.subjects}
    assert list(got.items()) == list(versions(CMMLU_041CBF).items())


def shared_subjects() -> list[dict[str, str]]:
    root = Path(os.environ.get("LLMEVAL_SHARED") or Path(__file__).resolve().parents[3] / "shared")
    path = root / "data" / "ceval" / "subjects.tsv"
    if not path.is_file():
        pytest.skip(f"{path} not found (set LLMEVAL_SHARED to the shared folder)")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.parametrize(
    ("name", "column"), [("ceval_gen_2daf24", "version_gen_5f30c7"), ("ceval_ppl_93e5ce", "version_ppl_578f8d")]
)
def test_2daf24_and_93e5ce_carry_their_twins_versions_on_both_splits(name, column):
    config = CONFIGS[name]
    got = {s.key: config.version(s) for s in config.benchmark.subjects}
    assert (got["computer_network"], got["test-computer_network"]) == 2 * (
        {"ceval_gen_2daf24": "db9ce2"}.get(name, "9b9417"),
    )
    table = {row["subject"]: row[column] for row in shared_subjects()}
    assert got == {**table, **{f"test-{key}": value for key, value in table.items()}}


# --- prompts: five shots S0..S4 (gold letters cycle A..D) and one test row T ---

GOLD = ("A", "B", "C", "D", "A")


def fields(tag: str, gold: str = "") -> tuple[tuple[str, str], ...]:
    return (
        ("question", f"q{tag}"),
        ("A", f"a{tag}"),
        ("B", f"b{tag}"),
        ("C", f"c{tag}"),
        ("D", f"d{tag}"),
        ("answer", gold),
    )


def shots() -> list[tuple]:
    return [(fields(str(i), GOLD[i]), GOLD[i]) for i in range(5)]


def choices(tag: str) -> str:
    return f"q{tag}\nA. a{tag}\nB. b{tag}\nC. c{tag}\nD. d{tag}"


@pytest.mark.parametrize("label", "ABCD")
@pytest.mark.parametrize("name", ["ceval_ppl_1cd8bf", "ceval_internal_ppl_1cd8bf"])
def test_1cd8bf_prompt_is_plain_text_in_both_styles(name, label):
    pieces = render_pieces(CONFIGS[name].infer("计算机网络"), shots(), fields("T", "B"), label)
    # The hint once, each shot ending in its own gold and a blank line, then the row with the label.
    expected = (
        "以下是关于计算机网络的单项选择题，请直接给出正确答案的选项。\n"
        + "".join(f"{choices(str(i))}\n答案: {GOLD[i]}\n\n" for i in range(5))
        + f"{choices('T')}\n答案: {label}"
    )
    assert flatten_plain(pieces) == expected
    assert flatten_chatml(pieces, "ppl") == expected  # plain strings ignore the meta template


@pytest.mark.parametrize("label", "ABCD")
def test_cmmlu_041cbf_prompt_is_plain_text_in_both_styles(label):
    pieces = render_pieces(CONFIGS["cmmlu_ppl_041cbf"].infer("农学"), shots(), fields("T", "C"), label)
    expected = (
        "以下是关于农学的单项选择题，请直接给出正确答案的选项。\n"
        + "".join(f"题目：{choices(str(i))}\n答案是: {GOLD[i]}\n\n" for i in range(5))
        + f"题目：{choices('T')}\n答案是: {label}"
    )
    assert flatten_plain(pieces) == expected
    assert flatten_chatml(pieces, "ppl") == expected


def human(tag: str) -> str:
    return f"以下是中国关于计算机网络考试的单项选择题，请选出其中的正确答案。\n{choices(tag)}\n答案: "


def test_2daf24_prompt_base_and_chat():
    pieces = render_pieces(CONFIGS["ceval_gen_2daf24"].infer("计算机网络"), shots(), fields("T"))
    assert flatten_plain(pieces) == "".join(f"{human(str(i))}\n{GOLD[i]}\n" for i in range(5)) + human("T")
    chat = "".join(
        f"<|im_start|>user\n{human(str(i))}<|im_end|>\n<|im_start|>assistant\n{GOLD[i]}<|im_end|>\n" for i in range(5)
    )
    assert flatten_chatml(pieces, "gen") == chat + f"<|im_start|>user\n{human('T')}<|im_end|>\n<|im_start|>assistant\n"


@pytest.mark.parametrize("label", "ABCD")
def test_93e5ce_prompt_base(label):
    pieces = render_pieces(CONFIGS["ceval_ppl_93e5ce"].infer("计算机网络"), shots(), fields("T", "A"), label)
    body = "\n\n\n".join(f"{human(str(i))}\n{GOLD[i]}" for i in range(5))
    assert flatten_plain(pieces) == body + "\n\n\n\n\n" + human("T") + f"\n{label}"


# --- the test split ---

ROW = "{i},{key}题{i},甲,乙,丙,丁"


def write_split(folder: Path, key: str, split: str, rows: int, answers: bool = True) -> None:
    header = "id,question,A,B,C,D" + (",answer" if answers else "") + (",explanation" if split == "dev" else "")
    lines = [header] + [
        ROW.format(i=i, key=key) + (f",{'ABCD'[i % 4]}" if answers else "") + (",说明" if split == "dev" else "")
        for i in range(rows)
    ]
    (folder / split).mkdir(parents=True, exist_ok=True)
    (folder / split / f"{key}_{split}.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """dev and val for two subjects, as the public copy holds them: no test split."""
    root = tmp_path / "ceval" / "formal_ceval"
    for key in ("computer_network", "law"):
        write_split(root, key, "dev", 5)
        write_split(root, key, "val", 2)
    return tmp_path


SUBJECTS = ["computer_network", "law", "test-computer_network", "test-law"]


def plans(data: Path, name: str = "ceval_ppl_1cd8bf") -> dict:
    return {plan.abbr: plan for plan in plan_subjects(make_spec("t", name, SUBJECTS), data, None)}


def test_an_absent_test_split_leaves_its_items_not_run_with_one_reason(data):
    planned = plans(data)
    assert [len(planned[f"ceval-{k}"].questions) for k in ("computer_network", "law")] == [2, 2]
    reason = f"{data / 'ceval' / 'formal_ceval' / 'test'} not found: {TEST_ABSENT}"
    assert [(p.not_run, p.questions) for a, p in planned.items() if "test" in a] == 2 * [(reason, None)]
    assert "\n" not in reason
    write_split(data / "ceval" / "formal_ceval", "law", "test", 3, answers=False)
    planned = plans(data)
    missing = data / "ceval" / "formal_ceval" / "test" / "computer_network_test.csv"
    assert planned["ceval-test-computer_network"].not_run == f"{missing} not found: {TEST_ABSENT}"
    assert not planned["ceval-test-law"].not_run and len(planned["ceval-test-law"].questions) == 3


def test_test_rows_read_their_own_split_with_the_dev_shots(data):
    root = data / "ceval" / "formal_ceval"
    for key in ("computer_network", "law"):
        write_split(root, key, "test", 3, answers=False)
    planned = plans(data, "ceval_gen_2daf24")
    test = planned["ceval-test-law"]
    assert [q.question for q in test.questions] == ["law题0", "law题1", "law题2"]
    assert {q.answer for q in test.questions} == {""}  # the public test files have no answer column
    assert test.shots == planned["ceval-law"].shots and len(test.shots) == 5
    write_split(root, "law", "test", 3)  # a test file with answers is scored like val
    assert [q.answer for q in plans(data)["ceval-test-law"].questions] == ["A", "B", "C"]


def test_a_test_file_with_a_blank_answer_is_refused(data):
    root = data / "ceval" / "formal_ceval"
    write_split(root, "law", "test", 2)
    path = root / "test" / "law_test.csv"
    path.write_bytes(path.read_bytes().replace(b",B\r\n", b",\r\n"))
    with pytest.raises(LlmEvalError, match=r"law_test.csv:3: row 1 has answer ''; expected one of A, B, C, D"):
        plans(data)


def test_val_files_stay_required(data):
    (data / "ceval" / "formal_ceval" / "val" / "law_val.csv").unlink()
    with pytest.raises(LlmEvalError, match=r"law_val.csv not found \(1 file\(s\) missing\)"):
        plans(data)


def test_splits_are_keywords_and_groups():
    subjects = {s.key: s for s in CONFIGS["ceval_ppl_93e5ce"].benchmark.subjects}
    assert subjects["college_physics"].keywords == ("stem", "ceval-stem", "hard", "ceval-hard", "ceval-val")
    test = subjects["test-college_physics"]
    assert test.keywords == ("stem", "ceval-test-stem", "hard", "ceval-test-hard", "test")
    assert test.groups == ("ceval-test-stem", "ceval-test-hard")
    assert (test.split, test.file) == ("test", "college_physics")
    groups = CONFIGS["ceval_ppl_93e5ce"].benchmark.groups
    assert [g.name for g in groups][6:] == [
        "ceval-test-stem",
        "ceval-test-social-science",
        "ceval-test-humanities",
        "ceval-test-other",
        "ceval-test-hard",
        "ceval-test",
    ]
    assert groups[10].members[:2] == ("test-advanced_mathematics", "test-discrete_mathematics")  # OpenCompass's order


def unanswered(key: str) -> SubjectResult:
    outcomes = tuple(Outcome(i, "A", "A", "", 5, 300) for i in range(3))
    return SubjectResult(
        "ceval_ppl_1cd8bf", f"ceval-test-{key}", f"test-{key}", "dbe481", outcomes, 1.0, "main", answered=False
    )


def test_rows_without_answers_are_shown_unscored_and_gate_nothing():
    spec = make_spec(
        "t", "ceval_ppl_1cd8bf", ["test-computer_network"], {"ceval-test-computer_network": 50, "ceval-test": 10}
    )
    result = unanswered("computer_network")
    ran = {result.abbr: result}
    summary = summarize([spec], ran)
    row = summary.subject_rows[0]
    assert (row.value, row.unscored, row.detail) == (None, True, "no answers: 3 prediction(s) kept, not scored")
    assert row.csv_cells() == ["ceval-test-computer_network", "dbe481", "accuracy", "ppl", "-"]  # never 0.00
    group = next(r for r in summary.group_rows if r.name == "ceval-test")
    assert (group.value, group.unscored) == (None, True)
    assert subject_failure(result, 50) is None
    verdict = judge(summary, ran)
    assert verdict.passed and not verdict.fails_run and not verdict.failed_rows
    assert verdict.unchecked == (
        "ceval-test-computer_network: threshold 50.00 not checked (no answers: 3 prediction(s) kept, not scored)",
        "ceval-test: threshold 10.00 not checked (no answers: its subjects ran unscored)",
    )
    data = result.to_json()
    assert (data["accuracy"], data["answered"]) == (None, False)
    assert SubjectResult.from_json(data) == result


@pytest.mark.parametrize("name", sorted(UNAVAILABLE))
def test_names_that_cannot_run_offline_are_refused_in_one_line(name, tmp_path):
    with pytest.raises(LlmEvalError) as caught:
        make_spec("--llm-datasets", name)
    line = str(caught.value)
    assert line.startswith(f"--llm-datasets: {name} cannot run offline: ") and "\n" not in line
    why = {
        "ceval_clean_ppl": "downloads at run time (github.com/liyucheng09/Contamination_Detector",
        "ceval_contamination_ppl_810ec6": "a file on OpenCompass's own cluster that was never published",
    }[name]
    assert why in line and "; run ceval_ppl" in line  # why, then what to do
    suite = tmp_path / "llmeval.toml"
    suite.write_text(f'[[dataset]]\nconfig = "{name}"\n', encoding="utf-8")
    with pytest.raises(LlmEvalError, match=f"#1: {name} cannot run offline"):
        parse_suite(suite)


def test_the_internal_copy_says_how_to_point_at_it(data):
    spec = make_spec("t", "ceval_internal_ppl_1cd8bf", ["law"])
    with pytest.raises(MissingData) as caught:
        plan_subjects(spec, data, None)
    assert str(caught.value) == (
        f"--llm-data-dir: {data / 'ceval_internal' / 'formal_ceval'} not found, needed by ceval_internal_ppl_1cd8bf; "
        "OpenCompass's internal copy of C-Eval was never published; it holds the same files as ceval/formal_ceval, "
        "so link them there (in the data folder: mkdir -p ceval_internal && ln -s ../ceval/formal_ceval "
        "ceval_internal/formal_ceval) or copy them, or run ceval_ppl_1cd8bf, the same prompts and versions"
    )
    (data / "ceval_internal").mkdir()
    (data / "ceval_internal" / "formal_ceval").symlink_to("../ceval/formal_ceval")  # as the line says
    (plan,) = plan_subjects(spec, data, None)
    assert (plan.abbr, plan.version, len(plan.questions)) == ("ceval-law", "161acb", 2)


def test_every_c_eval_name_opencompass_lists_is_known():
    """The eleven names ``tools/list_configs.py internlm ceval`` prints: each runs or is refused with its reason."""
    listed = [
        "ceval_clean_ppl",
        "ceval_contamination_ppl_810ec6",
        "ceval_gen",
        "ceval_gen_2daf24",
        "ceval_gen_5f30c7",
        "ceval_internal_ppl_1cd8bf",
        "ceval_ppl",
        "ceval_ppl_1cd8bf",
        "ceval_ppl_578f8d",
        "ceval_ppl_93e5ce",
        "ceval_zero_shot_gen_bd40ef",
    ]
    assert [name for name in listed if name not in CONFIGS] == sorted(UNAVAILABLE)
