"""The C-Eval subject table and reader for its CSV files.

Subject names, Chinese names, categories and the "hard" set are those of the
official C-Eval subject map; the order is OpenCompass's, which is the order of
its summary table.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question


@dataclass(frozen=True, slots=True)
class Subject:
    """One C-Eval subject: its key, display names, category and hard flag."""

    key: str
    english: str
    chinese: str
    category: str
    hard: bool

    @property
    def prompt_name(self) -> str:
        """The name C-Eval's prompts use: the Chinese one."""
        return self.chinese


SUBJECTS: tuple[Subject, ...] = (
    Subject("computer_network", "Computer Network", "计算机网络", "STEM", False),
    Subject("operating_system", "Operating System", "操作系统", "STEM", False),
    Subject("computer_architecture", "Computer Architecture", "计算机组成", "STEM", False),
    Subject("college_programming", "College Programming", "大学编程", "STEM", False),
    Subject("college_physics", "College Physics", "大学物理", "STEM", True),
    Subject("college_chemistry", "College Chemistry", "大学化学", "STEM", True),
    Subject("advanced_mathematics", "Advanced Mathematics", "高等数学", "STEM", True),
    Subject("probability_and_statistics", "Probability and Statistics", "概率统计", "STEM", True),
    Subject("discrete_mathematics", "Discrete Mathematics", "离散数学", "STEM", True),
    Subject("electrical_engineer", "Electrical Engineer", "注册电气工程师", "STEM", False),
    Subject("metrology_engineer", "Metrology Engineer", "注册计量师", "STEM", False),
    Subject("high_school_mathematics", "High School Mathematics", "高中数学", "STEM", True),
    Subject("high_school_physics", "High School Physics", "高中物理", "STEM", True),
    Subject("high_school_chemistry", "High School Chemistry", "高中化学", "STEM", True),
    Subject("high_school_biology", "High School Biology", "高中生物", "STEM", False),
    Subject("middle_school_mathematics", "Middle School Mathematics", "初中数学", "STEM", False),
    Subject("middle_school_biology", "Middle School Biology", "初中生物", "STEM", False),
    Subject("middle_school_physics", "Middle School Physics", "初中物理", "STEM", False),
    Subject("middle_school_chemistry", "Middle School Chemistry", "初中化学", "STEM", False),
    Subject("veterinary_medicine", "Veterinary Medicine", "兽医学", "STEM", False),
    Subject("college_economics", "College Economics", "大学经济学", "Social Science", False),
    Subject("business_administration", "Business Administration", "工商管理", "Social Science", False),
    Subject("marxism", "Marxism", "马克思主义基本原理", "Social Science", False),
    Subject(
        "mao_zedong_thought", "Mao Zedong Thought", "毛泽东思想和中国特色社会主义理论体系概论", "Social Science", False
    ),
    Subject("education_science", "Education Science", "教育学", "Social Science", False),
    Subject("teacher_qualification", "Teacher Qualification", "教师资格", "Social Science", False),
    Subject("high_school_politics", "High School Politics", "高中政治", "Social Science", False),
    Subject("high_school_geography", "High School Geography", "高中地理", "Social Science", False),
    Subject("middle_school_politics", "Middle School Politics", "初中政治", "Social Science", False),
    Subject("middle_school_geography", "Middle School Geography", "初中地理", "Social Science", False),
    Subject("modern_chinese_history", "Modern Chinese History", "近代史纲要", "Humanities", False),
    Subject(
        "ideological_and_moral_cultivation",
        "Ideological and Moral Cultivation",
        "思想道德修养与法律基础",
        "Humanities",
        False,
    ),
    Subject("logic", "Logic", "逻辑学", "Humanities", False),
    Subject("law", "Law", "法学", "Humanities", False),
    Subject("chinese_language_and_literature", "Chinese Language and Literature", "中国语言文学", "Humanities", False),
    Subject("art_studies", "Art Studies", "艺术学", "Humanities", False),
    Subject("professional_tour_guide", "Professional Tour Guide", "导游资格", "Humanities", False),
    Subject("legal_professional", "Legal Professional", "法律职业资格", "Humanities", False),
    Subject("high_school_chinese", "High School Chinese", "高中语文", "Humanities", False),
    Subject("high_school_history", "High School History", "高中历史", "Humanities", False),
    Subject("middle_school_history", "Middle School History", "初中历史", "Humanities", False),
    Subject("civil_servant", "Civil Servant", "公务员", "Other", False),
    Subject("sports_science", "Sports Science", "体育学", "Other", False),
    Subject("plant_protection", "Plant Protection", "植物保护", "Other", False),
    Subject("basic_medicine", "Basic Medicine", "基础医学", "Other", False),
    Subject("clinical_medicine", "Clinical Medicine", "临床医学", "Other", False),
    Subject("urban_and_rural_planner", "Urban and Rural Planner", "注册城乡规划师", "Other", False),
    Subject("accountant", "Accountant", "注册会计师", "Other", False),
    Subject("fire_engineer", "Fire Engineer", "注册消防工程师", "Other", False),
    Subject(
        "environmental_impact_assessment_engineer",
        "Environmental Impact Assessment Engineer",
        "环境影响评价工程师",
        "Other",
        False,
    ),
    Subject("tax_accountant", "Tax Accountant", "税务师", "Other", False),
    Subject("physician", "Physician", "医师资格", "Other", False),
)

SUBJECT_BY_KEY: dict[str, Subject] = {s.key: s for s in SUBJECTS}

# Summary group rows in OpenCompass's order; each is the unweighted mean of its
# members' accuracies ("naive_average").
CATEGORY_GROUPS: tuple[tuple[str, str], ...] = (
    ("stem", "STEM"),
    ("social-science", "Social Science"),
    ("humanities", "Humanities"),
    ("other", "Other"),
)


# OpenCompass lists the hard subjects in this order, not table order; the group mean
# is summed in it, and float addition depends on order.
HARD_SUBJECTS: tuple[str, ...] = (
    "advanced_mathematics",
    "discrete_mathematics",
    "probability_and_statistics",
    "college_chemistry",
    "college_physics",
    "high_school_mathematics",
    "high_school_chemistry",
    "high_school_physics",
)


def group_members() -> dict[str, tuple[str, ...]]:
    """Map each group suffix (``stem`` ... ``hard``, and ``""`` for all) to its subject keys."""
    groups = {suffix: tuple(s.key for s in SUBJECTS if s.category == category) for suffix, category in CATEGORY_GROUPS}
    groups["hard"] = HARD_SUBJECTS
    groups[""] = tuple(s.key for s in SUBJECTS)
    return groups


_COLUMNS = {
    "dev": ("id", "question", "A", "B", "C", "D", "answer"),
    "val": ("id", "question", "A", "B", "C", "D", "answer"),
    "test": ("id", "question", "A", "B", "C", "D"),
}


def split_path(root: Path, subject: str, split: str) -> Path:
    """Where OpenCompass's layout keeps one subject's split: ``root/{split}/{subject}_{split}.csv``."""
    return root / split / f"{subject}_{split}.csv"


def read_split(path: Path, split: str) -> tuple[Question, ...]:
    """Read one C-Eval CSV into questions, naming file and row on any malformed input."""
    required = _COLUMNS[split]
    try:
        # Universal newlines, as OpenCompass opens these files: a CRLF inside a quoted field
        # becomes "\n" in the prompt (36 cells of the real data have one).
        handle = path.open(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LlmEvalError(f"{path}: file not found") from None
    with handle:
        try:
            return _parse(path, split, required, handle)
        except UnicodeDecodeError as error:
            raise LlmEvalError(
                f"{path}: not UTF-8 ({error.reason} at byte {error.start}); re-save it as UTF-8"
            ) from None


def _parse(path: Path, split: str, required: tuple[str, ...], handle: TextIO) -> tuple[Question, ...]:
    reader = csv.DictReader(handle)
    header = reader.fieldnames or []
    missing = [c for c in required if c not in header]
    if missing:
        raise LlmEvalError(
            f"{path}: missing column {missing[0]!r} (header is {','.join(header) or 'empty'}; "
            f"a {split} file needs {','.join(required)})"
        )
    questions = []
    for position, row in enumerate(reader):
        line = reader.line_num
        absent = [c for c in required if row.get(c) is None]
        if absent:
            raise LlmEvalError(f"{path}:{line}: row {position} has no value for column {absent[0]!r}")
        answer = row.get("answer") or ""
        # The public test files have no answer column: their rows run unscored. A test file with answers is scored.
        if (split != "test" or "answer" in header) and answer not in ("A", "B", "C", "D"):
            raise LlmEvalError(f"{path}:{line}: row {position} has answer {answer!r}; expected one of A, B, C, D")
        questions.append(
            Question(
                index=position,
                question=row["question"],
                choices=(row["A"], row["B"], row["C"], row["D"]),
                answer=answer,
            )
        )
    if not questions:
        raise LlmEvalError(f"{path}: no rows")
    return tuple(questions)
