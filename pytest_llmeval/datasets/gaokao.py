"""GAOKAO-Bench's 18 objective papers as OpenCompass 0.2.4's ``GaokaoBench_no_subjective`` configs read them.

Each paper is one item: ``data/GAOKAO-BENCH/data/<folder>/<keyword>.json``, every row of its ``"example"`` list
evaluated zero-shot with the paper's prefix before the question (``opencompass-core.md`` §13). The prefix strings
are OpenCompass's, byte for byte; how a paper is scored is its ``kind`` (``judging.gaokao``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pytest_llmeval.datasets.base import Benchmark, Group, Subject
from pytest_llmeval.datasets.templates import ICE_TOKEN, InferConfig, Rounds, Template, Turn
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question

MCQ_FOLDER = "Multiple-choice_Questions"
CLOZE_FOLDER = "Fill-in-the-blank_Questions"
MAX_OUT_LEN = 1024


def _single_choice(subject: str) -> str:
    return (
        f"请你做一道{subject}选择题\n请你一步一步思考并将思考过程写在【解析】和<eoe>之间。你将从A，B，C，D中选出正确的答案，"
        "并写在【答案】和<eoa>之间。\n例如：【答案】: A <eoa>\n完整的题目回答的格式如下：\n【解析】 ... <eoe>\n"
        "【答案】 ... <eoa>\n请你严格按照上述格式作答。\n题目如下："
    )


_SEVERAL = (
    "\n请你一步一步思考。每一题你将从A，B，C，D中选出正确的答案，并写在【答案】和<eoa>之间。\n例如：（1）【答案】 A <eoa>\n"
    "（2）【答案】 B <eoa>\n请你严格按照上述格式作答。\n"
)
_PHYSICS = (
    "请你做一道物理选择题。\n请你一步一步思考并将思考过程写在【解析】和<eoe>之间。你将从A，B，C，D中选出所有符合题意的答案，"
    "并写在【答案】和<eoa>之间。\n例如：【答案】 AB <eoa>\n完整的题目回答的格式如下：\n【解析】 ... <eoe>\n【答案】... <eoa>\n"
    "请你严格按照上述格式作答。\n"
)
_FIVE_OF_SEVEN = "请回答下面的问题，将符合题意的五个选项的字母写在【答案】和<eoa>之间，例如“【答案】 A B C D E <eoa>\n请严格按照上述格式作答。\n"
_CHINESE_USAGE = (
    "请你做一道语文选择题\n请你一步一步思考并将思考过程写在【解析】和<eoe>之间。你将从A，B，C，D中选出正确的答案，"
    "并写在【答案】和<eoa>之间。\n例如：【答案】: A <eoa>\n完整的题目回答的格式如下：\n（1）【解析】 ... <eoe>\n"
    "【答案】 ... <eoa>\n（2）【解析】 ... <eoe>\n【答案】 ... <eoa>\n请你严格按照上述格式作答。如果不止一道题，请分别作答\n题目如下："
)
_MATH_CLOZE = (
    "请解答下面的数学填空题\n仔细阅读题目，解答其中的问题，请你一步步思考并将思考过程写在【解析】和<eoe>之间。"
    "请把你的答案写在【答案】和<eoa>之间。\n完整的题目回答格式如下：\n【解析】 ...<eoe>\n【答案】...<eoa>\n"
    "请你严格按照上述格式作答。\n题目如下:"
)
_DICTATION = (
    "请回答下面的语文填空题\n请你仔细阅读题目，先找到题目对应的中国名篇，再从名篇中找到合适的句子填写到题目的空白处。"
    "请你将思考过程写在【解析】和<eoe>之间，将最终答案写在【答案】和<eoa>之间。\n完整的题目回答格式如下：\n（1）【解析】 ...<eoe>\n"
    "【答案】...<eoa>\n（2）【解析】 ...<eoe>\n【答案】...<eoa>\n请严格按照上述格式作答，如果不止一道题，请分别作答。\n题目如下:"
)
_ENGLISH_CLOZE = (
    "请回答下面的英语短文填词题\n仔细阅读题目，空白处请填入一个适当单词或者括号内单词的正确形式。请你一步步思考，"
    "将思考过程写在【解析】和<eoe>之间，将最终答案写在【答案】和<eoa>之间。\n完整的题目回答格式如下：\n（1）【解析】 ...<eoe>\n"
    "【答案】...<eoa>\n（2）【解析】 ...<eoe>\n【答案】...<eoa>\n请严格按照上述格式作答，如果不止一道题，请分别作答。\n题目如下:"
)


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper: its file's keyword, how it is scored, the text before each question, its weight in the group."""

    keyword: str
    kind: str  # single_choice, multi_choice, multi_question_choice, five_out_of_seven or cloze
    prefix: str
    weight: int = 0  # in the GaokaoBench weighted average; 0: not a member (the four cloze papers)

    @property
    def folder(self) -> str:
        return CLOZE_FOLDER if self.kind == "cloze" else MCQ_FOLDER


# In OpenCompass's config order, which is the summary's.
PAPERS: tuple[Paper, ...] = (
    Paper("2010-2022_Math_II_MCQs", "single_choice", _single_choice("数学"), 1090),
    Paper("2010-2022_Math_I_MCQs", "single_choice", _single_choice("数学"), 1070),
    Paper("2010-2022_History_MCQs", "single_choice", _single_choice("历史"), 1148),
    Paper("2010-2022_Biology_MCQs", "single_choice", _single_choice("生物"), 900),
    Paper("2010-2022_Political_Science_MCQs", "single_choice", _single_choice("政治"), 1280),
    Paper("2010-2022_Physics_MCQs", "multi_choice", _PHYSICS, 384),
    Paper("2010-2022_Chemistry_MCQs", "single_choice", _single_choice("化学"), 744),
    Paper("2010-2013_English_MCQs", "single_choice", _single_choice("英语"), 105),
    Paper(
        "2010-2022_Chinese_Modern_Lit",
        "multi_question_choice",
        "请你做一道语文阅读理解题，其中包含三个小题。" + _SEVERAL,
        261,
    ),
    # OpenCompass writes this weight as 900.0; as a weight it is the same number.
    Paper(
        "2010-2022_English_Fill_in_Blanks",
        "multi_question_choice",
        "请你做一道英语完形填空题,其中包含二十个小题。" + _SEVERAL,
        900,
    ),
    Paper("2012-2022_English_Cloze_Test", "five_out_of_seven", _FIVE_OF_SEVEN, 260),
    Paper(
        "2010-2022_Geography_MCQs",
        "multi_question_choice",
        "请你做一道地理选择题，其中包含两到三个小题。" + _SEVERAL,
        380,
    ),
    Paper(
        "2010-2022_English_Reading_Comp",
        "multi_question_choice",
        "请你做一道英语阅读理解题，其中包含三到五个小题。" + _SEVERAL,
        940,
    ),
    Paper("2010-2022_Chinese_Lang_and_Usage_MCQs", "multi_question_choice", _CHINESE_USAGE, 240),
    Paper("2010-2022_Math_I_Fill-in-the-Blank", "cloze", _MATH_CLOZE),
    Paper("2010-2022_Math_II_Fill-in-the-Blank", "cloze", _MATH_CLOZE),
    Paper("2010-2022_Chinese_Language_Famous_Passages_and_Sentences_Dictation", "cloze", _DICTATION),
    Paper("2014-2022_English_Language_Cloze_Passage", "cloze", _ENGLISH_CLOZE),
)
BY_KEYWORD = {paper.keyword: paper for paper in PAPERS}
CLOZE_NOTE = "always 0: OpenCompass 0.2.4 does not score cloze papers"


# --- the two configs (the prompt name of a subject is its keyword) ---------------------------------------------


def gaokao_plain(keyword: str) -> InferConfig:
    """``GaokaoBench_no_subjective_gen_d21e37``: a plain string, so a chat template never wraps it."""
    prompt = Template(BY_KEYWORD[keyword].prefix + "{question}") if keyword else Template("{question}")
    return InferConfig("gen", None, prompt, shots=0, max_out_len=MAX_OUT_LEN)


def gaokao_round(keyword: str) -> InferConfig:
    """``GaokaoBench_no_subjective_gen_4c31db``: one HUMAN round as the ice template; its ``</E>`` never occurs."""
    prefix = BY_KEYWORD[keyword].prefix if keyword else ""
    ice = Template(Rounds((Turn("HUMAN", prefix + "{question}"),)), ice_token=ICE_TOKEN)
    return InferConfig("gen", ice, shots=0, max_out_len=MAX_OUT_LEN)


# --- data ------------------------------------------------------------------------------------------------------


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def read_paper(path: Path, split: str) -> tuple[Question, ...]:
    """A paper's ``{"example": [...]}`` rows; the gold is the row's ``answer`` as JSON text (a list of strings)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LlmEvalError(f"{path}: file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LlmEvalError(f"{path}: not a JSON file ({error}); restore it from GAOKAO-Bench's data") from None
    rows = data.get("example") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise LlmEvalError(f'{path}: no "example" list; GAOKAO-Bench files are {{"keywords": ..., "example": [...]}}')
    paper = BY_KEYWORD.get(path.stem)
    cloze = paper is not None and paper.kind == "cloze"
    questions = []
    for number, row in enumerate(rows):
        where = f"{path}: row {number}"
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            raise LlmEvalError(f'{where} has no "question" string; GAOKAO-Bench rows need "question" and "answer"')
        answer = row.get("answer")
        listed = isinstance(answer, list) and answer and all(isinstance(item, str) for item in answer)
        # The cloze papers' answers are free text, and OpenCompass never reads them.
        if not listed and not (cloze and isinstance(answer, str)):
            raise LlmEvalError(
                f"{where} has answer {_shown(answer)}; {path.stem} answers are a list of strings, one per "
                'sub-question (e.g. ["D"] or ["A", "C", "B"]): fix the row'
            )
        gold = json.dumps(answer, ensure_ascii=False)
        questions.append(Question(number, row["question"], (), gold))
    return tuple(questions)


def benchmark() -> Benchmark:
    """The 18 papers as one benchmark, and the ``GaokaoBench`` row: a weighted average of the 14 MCQ papers."""
    subjects = tuple(
        Subject(
            paper.keyword,
            paper.keyword,
            keywords=("gaokao", paper.kind),
            weight=paper.weight or 1,
            scoring=f"gaokao_{paper.kind}",
            note=CLOZE_NOTE if paper.kind == "cloze" else "",
        )
        for paper in PAPERS
    )
    members = tuple(paper.keyword for paper in PAPERS if paper.weight)
    return Benchmark(
        family="gaokao",
        title="GAOKAO-Bench",
        data_path="GAOKAO-BENCH/data",
        subjects=subjects,
        groups=(Group("GaokaoBench", members, "weighted_average"),),
        abbr_prefix="GaokaoBench_",
        shot_split="test",  # zero-shot: never read
        test_split="test",
        question_field="question",
        answer_field="answer",
        file_name=lambda key, split: f"{BY_KEYWORD[key].folder}/{key}.json",
        read=read_paper,
        metric="score",
    )
