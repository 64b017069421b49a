"""GAOKAO-Bench's two no_subjective configs: versions, prompts, the five scoring kinds with every example of the
reference (opencompass-core.md §13), points per question from a run to its row, the weighted group, bad rows, and
the baseline on points. Expected strings are written out from the reference, not taken from the code."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.datasets.gaokao import PAPERS
from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.datasets.templates import flatten_chatml, flatten_plain, render_pieces
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.judging.baseline import read_baseline, render_baseline
from pytest_llmeval.judging.compare import compare
from pytest_llmeval.judging.gaokao import Marked, mark, paper_score, same_length
from pytest_llmeval.judging.scoring import RULES
from pytest_llmeval.judging.summary import Row, Summary, summarize
from pytest_llmeval.judging.verdict import Verdict, change_line, subject_failure
from pytest_llmeval.records import Outcome, SubjectResult
from pytest_llmeval.reports.console import render_summary
from pytest_llmeval.reports.files import Report, flip_records, results_payload
from pytest_llmeval.reports.html import render_html
from pytest_llmeval.reports.markdown import render_markdown
from pytest_llmeval.runner import evaluate_subject
from pytest_llmeval.settings import Gate, Settings

PLAIN, ROUND = "GaokaoBench_no_subjective_gen_d21e37", "GaokaoBench_no_subjective_gen_4c31db"

# keyword: (kind, rows, version d21e37, version 4c31db), in config order (§13's table).
TABLE = {
    "2010-2022_Math_II_MCQs": ("single_choice", 218, "241b3b", "5b0b29"),
    "2010-2022_Math_I_MCQs": ("single_choice", 214, "241b3b", "5b0b29"),
    "2010-2022_History_MCQs": ("single_choice", 287, "981a42", "3613b5"),
    "2010-2022_Biology_MCQs": ("single_choice", 150, "0e6e9e", "d26e80"),
    "2010-2022_Political_Science_MCQs": ("single_choice", 320, "b78000", "70fce9"),
    "2010-2022_Physics_MCQs": ("multi_choice", 64, "2e88f1", "8a0c30"),
    "2010-2022_Chemistry_MCQs": ("single_choice", 124, "382edb", "852bbd"),
    "2010-2013_English_MCQs": ("single_choice", 105, "2c6a48", "01b50f"),
    "2010-2022_Chinese_Modern_Lit": ("multi_question_choice", 29, "d6ff3d", "e19c31"),
    "2010-2022_English_Fill_in_Blanks": ("multi_question_choice", 30, "c2ece4", "924021"),
    "2012-2022_English_Cloze_Test": ("five_out_of_seven", 26, "d51290", "11f6ce"),
    "2010-2022_Geography_MCQs": ("multi_question_choice", 34, "e80a5b", "862192"),
    "2010-2022_English_Reading_Comp": ("multi_question_choice", 124, "97fcf1", "ffdef4"),
    "2010-2022_Chinese_Lang_and_Usage_MCQs": ("multi_question_choice", 56, "a344bb", "ba10b2"),
    "2010-2022_Math_I_Fill-in-the-Blank": ("cloze", 81, "524c10", "9dd6c7"),
    "2010-2022_Math_II_Fill-in-the-Blank": ("cloze", 86, "524c10", "9dd6c7"),
    "2010-2022_Chinese_Language_Famous_Passages_and_Sentences_Dictation": ("cloze", 28, "6de2e0", "58053d"),
    "2014-2022_English_Language_Cloze_Passage": ("cloze", 23, "4c7ecb", "d431f7"),
}
# The GaokaoBench group's weights (configs/summarizers/groups/GaokaoBench.py): the 14 MCQ papers only.
WEIGHTS = {
    "2010-2022_Math_II_MCQs": 1090,
    "2010-2022_Math_I_MCQs": 1070,
    "2010-2022_History_MCQs": 1148,
    "2010-2022_Biology_MCQs": 900,
    "2010-2022_Political_Science_MCQs": 1280,
    "2010-2022_Physics_MCQs": 384,
    "2010-2022_Chemistry_MCQs": 744,
    "2010-2013_English_MCQs": 105,
    "2010-2022_Chinese_Modern_Lit": 261,
    "2010-2022_English_Fill_in_Blanks": 900.0,
    "2012-2022_English_Cloze_Test": 260,
    "2010-2022_Geography_MCQs": 380,
    "2010-2022_English_Reading_Comp": 940,
    "2010-2022_Chinese_Lang_and_Usage_MCQs": 240,
}

SC_MATH = (
    "请你做一道数学选择题\n请你一步一步思考并将思考过程写在【解析】和<eoe>之间。你将从A，B，C，D中选出正确的答案，并写在【答案】和<eoa>之间。\n"
    "例如：【答案】: A <eoa>\n完整的题目回答的格式如下：\n【解析】 ... <eoe>\n【答案】 ... <eoa>\n请你严格按照上述格式作答。\n题目如下："
)
GEOGRAPHY = (
    "请你做一道地理选择题，其中包含两到三个小题。\n请你一步一步思考。每一题你将从A，B，C，D中选出正确的答案，并写在【答案】和<eoa>之间。\n"
    "例如：（1）【答案】 A <eoa>\n（2）【答案】 B <eoa>\n请你严格按照上述格式作答。\n"
)
PHYSICS = (
    "请你做一道物理选择题。\n请你一步一步思考并将思考过程写在【解析】和<eoe>之间。你将从A，B，C，D中选出所有符合题意的答案，并写在【答案】和<eoa>之间。\n"
    "例如：【答案】 AB <eoa>\n完整的题目回答的格式如下：\n【解析】 ... <eoe>\n【答案】... <eoa>\n请你严格按照上述格式作答。\n"
)
CLOZE_TEST = "请回答下面的问题，将符合题意的五个选项的字母写在【答案】和<eoa>之间，例如“【答案】 A B C D E <eoa>\n请严格按照上述格式作答。\n"
CHINESE_USAGE = (
    "请你做一道语文选择题\n请你一步一步思考并将思考过程写在【解析】和<eoe>之间。你将从A，B，C，D中选出正确的答案，并写在【答案】和<eoa>之间。\n"
    "例如：【答案】: A <eoa>\n完整的题目回答的格式如下：\n（1）【解析】 ... <eoe>\n【答案】 ... <eoa>\n（2）【解析】 ... <eoe>\n"
    "【答案】 ... <eoa>\n请你严格按照上述格式作答。如果不止一道题，请分别作答\n题目如下："
)
MATH_CLOZE = (
    "请解答下面的数学填空题\n仔细阅读题目，解答其中的问题，请你一步步思考并将思考过程写在【解析】和<eoe>之间。请把你的答案写在【答案】和<eoa>之间。\n"
    "完整的题目回答格式如下：\n【解析】 ...<eoe>\n【答案】...<eoa>\n请你严格按照上述格式作答。\n题目如下:"
)
DICTATION = (
    "请回答下面的语文填空题\n请你仔细阅读题目，先找到题目对应的中国名篇，再从名篇中找到合适的句子填写到题目的空白处。请你将思考过程写在【解析】和<eoe>之间，"
    "将最终答案写在【答案】和<eoa>之间。\n完整的题目回答格式如下：\n（1）【解析】 ...<eoe>\n【答案】...<eoa>\n（2）【解析】 ...<eoe>\n"
    "【答案】...<eoa>\n请严格按照上述格式作答，如果不止一道题，请分别作答。\n题目如下:"
)
ENGLISH_CLOZE = (
    "请回答下面的英语短文填词题\n仔细阅读题目，空白处请填入一个适当单词或者括号内单词的正确形式。请你一步步思考，将思考过程写在【解析】和<eoe>之间，"
    "将最终答案写在【答案】和<eoa>之间。\n完整的题目回答格式如下：\n（1）【解析】 ...<eoe>\n【答案】...<eoa>\n（2）【解析】 ...<eoe>\n"
    "【答案】...<eoa>\n请严格按照上述格式作答，如果不止一道题，请分别作答。\n题目如下:"
)
PREFIXES = {
    "2010-2022_Math_II_MCQs": SC_MATH,
    "2010-2022_History_MCQs": SC_MATH.replace("数学", "历史"),
    "2010-2013_English_MCQs": SC_MATH.replace("数学", "英语"),
    "2010-2022_Physics_MCQs": PHYSICS,
    "2010-2022_Geography_MCQs": GEOGRAPHY,
    "2010-2022_English_Fill_in_Blanks": GEOGRAPHY.replace(
        "请你做一道地理选择题，其中包含两到三个小题。", "请你做一道英语完形填空题,其中包含二十个小题。"
    ),
    "2012-2022_English_Cloze_Test": CLOZE_TEST,
    "2010-2022_Chinese_Lang_and_Usage_MCQs": CHINESE_USAGE,
    "2010-2022_Math_I_Fill-in-the-Blank": MATH_CLOZE,
    "2010-2022_Chinese_Language_Famous_Passages_and_Sentences_Dictation": DICTATION,
    "2014-2022_English_Language_Cloze_Passage": ENGLISH_CLOZE,
}
QUESTION = "1．设集合A={1,2}，则（　　）\nA．1\nB．2\nC．3\nD．4\n"


def subject(config: str, keyword: str):
    return CONFIGS[config].benchmark.subject(keyword)


def test_names_order_and_every_version():
    for config, column in ((PLAIN, 2), (ROUND, 3)):
        benchmark = CONFIGS[config].benchmark
        assert [s.key for s in benchmark.subjects] == list(TABLE)
        assert [benchmark.abbr(s.key) for s in benchmark.subjects][:1] == ["GaokaoBench_2010-2022_Math_II_MCQs"]
        assert {s.key: CONFIGS[config].version(s) for s in benchmark.subjects} == {
            k: v[column] for k, v in TABLE.items()
        }
        assert CONFIGS[config].max_out_len == 1024 and CONFIGS[config].bot_turn
        assert {s.scoring for s in benchmark.subjects} == {f"gaokao_{v[0]}" for v in TABLE.values()}


@pytest.mark.parametrize("config", [PLAIN, ROUND])
def test_the_file_name_suffix_is_the_hash_of_the_18_versions(config):
    """OpenCompass names a config file after sha256 of its datasets' full hashes joined by commas (§0.3)."""
    infer = CONFIGS[config].infer
    full = [hashlib.sha256(json.dumps(infer(k).to_json(), sort_keys=True).encode()).hexdigest() for k in TABLE]
    assert hashlib.sha256(",".join(full).encode()).hexdigest()[:6] == config[-6:]


def render(config: str, keyword: str, chat: bool) -> str:
    infer = CONFIGS[config].infer_config(subject(config, keyword))
    pieces = render_pieces(infer, [], (("question", QUESTION), ("answer", "")))
    return flatten_chatml(pieces, "gen") if chat else flatten_plain(pieces)


@pytest.mark.parametrize("keyword", list(PREFIXES))
def test_prompts_base_and_chat(keyword):
    prompt = PREFIXES[keyword] + QUESTION
    assert render(PLAIN, keyword, chat=False) == prompt
    assert render(PLAIN, keyword, chat=True) == prompt  # a plain string ignores the meta template
    assert render(ROUND, keyword, chat=False) == prompt  # no leading newline, no </E> left
    assert render(ROUND, keyword, chat=True) == f"<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n"


# --- the evaluators: every example of §13 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text", "golds", "answer", "points", "possible"),
    [
        ("single_choice", "【解析】因为A错B错 【答案】 C <eoa>", ["C"], "C", 1, 1),
        ("single_choice", "答案是 c", ["C"], "", 0, 1),
        ("single_choice", "选D，因为B不对", ["D"], "B", 0, 1),  # the last letter, not the chosen one
        ("multi_choice", "【解析】……<eoe>\n【答案】 BD <eoa>", ["BD"], "BD", 2, 2),
        ("multi_choice", "【解析】……<eoe>\n【答案】 B <eoa>", ["BD"], "B", 1, 2),
        ("multi_choice", "【解析】……<eoe>\n【答案】 BC <eoa>", ["BD"], "BC", 0, 2),
        # The tag at index 0 does not count: the letters of the last 10 characters ("D因为A错<eoa>").
        ("multi_choice", "【答案】 BD 因为 A 错 <eoa>", ["BD"], "DA", 0, 2),
        ("multi_choice", "no letters", ["BD"], "", 0, 2),
        (
            "multi_question_choice",
            "（1）【答案】 A <eoa>\n（2）【答案】：B <eoa>\n（3）【答案】 D <eoa>",
            ["A", "B", "C"],
            "A,B,D",
            2,
            3,
        ),
        # Two tags for three golds: the capitals anywhere, only two of them: the wrong length, worth nothing.
        ("multi_question_choice", "（1）【答案】 A <eoa>\n（2）【答案】 B <eoa>", ["A", "B", "C"], "A,B", 0, 3),
        # No tags: the first capitals anywhere, the "I" of "I think" included.
        ("multi_question_choice", "I think A, B, C", ["A", "B", "C"], "I,A,B", 0, 3),
        ("multi_question_choice", "A, then B, then D", ["A", "B", "C"], "A,B,D", 2, 3),
        ("five_out_of_seven", "【答案】 F G A B C <eoa>", ["F", "G", "A", "B", "E"], "F,G,A,B,C", 4, 5),
        ("five_out_of_seven", "【答案】 F G A B <eoa>", ["F", "G", "A", "B", "E"], "F,G,A,B", 0, 5),
    ],
)
def test_every_scoring_example(kind, text, golds, answer, points, possible):
    assert mark(kind, text, golds) == Marked(answer, points, possible)


def test_ensure_same_length():
    assert same_length(["A"], ["A", "B"]) == ["Z", "Z"]
    assert same_length(["A", "C"], ["A", "B"]) == ["A", "C"]
    assert same_length([], ["BD"]) == ["Z"]


def test_cloze_is_always_wrong_whatever_is_written():
    assert RULES["gaokao_cloze"]("【答案】 3 <eoa>", None) == ("", False)  # type: ignore[arg-type]


def test_a_paper_sums_points_before_dividing():
    """Partial credit is summed over the paper: 2/2 + 1/2 + 0/2 is 50, not a mean of per-question scores."""
    marks = [Marked("BD", 2, 2), Marked("B", 1, 2), Marked("BC", 0, 2)]
    assert paper_score(marks) == 3 / 6 * 100
    uneven = [Marked("A,B,D", 2, 3), Marked("F,G,A,B,C", 4, 5)]
    assert paper_score(uneven) == 6 / 8 * 100 != (2 / 3 + 4 / 5) / 2 * 100


# --- points from a run to its row -----------------------------------------------------------------------------


def write_paper(data: Path, keyword: str, rows: list[dict]) -> Path:
    folder = "Fill-in-the-blank_Questions" if TABLE[keyword][0] == "cloze" else "Multiple-choice_Questions"
    path = data / "GAOKAO-BENCH" / "data" / folder / f"{keyword}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"keywords": keyword, "example": rows}, ensure_ascii=False), encoding="utf-8")
    return path


def row(question: str, answer: object) -> dict:
    return {
        "year": "2010",
        "category": "（新课标）",
        "question": question,
        "answer": answer,
        "analysis": "",
        "index": 0,
    }


class Scripted:
    """A backend whose output for a prompt is the answer written for the prompt's question."""

    device = "cpu"

    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs

    def count_tokens(self, prompt: str) -> int:
        return len(prompt)

    def generate(self, prompts, max_out_len, max_prompt_tokens, stop=None):
        assert stop is None  # no GAOKAO rule knows when its answer is fixed
        return [next(out for q, out in self.outputs.items() if prompt.endswith(q)) for prompt in prompts]


SETTINGS = Settings(model=None, tokenizer=None, model_abbr="m", max_seq_len=4096, prefix_cache=False)
PHYSICS_ROWS = {"题一\n": (["BD"], "【解析】<eoe>\n【答案】 BD <eoa>"), "题二\n": (["AC"], "【解析】<eoe>\n【答案】 C <eoa>"),
                "题三\n": (["A"], "【解析】<eoe>\n【答案】 AB <eoa>")}  # fmt: skip


def physics_result(tmp_path: Path, outputs: dict[str, str] | None = None) -> SubjectResult:
    write_paper(tmp_path, "2010-2022_Physics_MCQs", [row(q, gold) for q, (gold, _) in PHYSICS_ROWS.items()])
    spec = make_spec("t", PLAIN, ["2010-2022_Physics_MCQs"])
    (plan,) = plan_subjects(spec, tmp_path, None)
    scripted = outputs or {q: out for q, (_, out) in PHYSICS_ROWS.items()}
    return evaluate_subject(plan, Scripted(scripted), SETTINGS, "main").result  # type: ignore[arg-type]


def test_a_run_records_points_and_the_row_is_points_earned_over_possible(tmp_path):
    result = physics_result(tmp_path)
    assert [(o.points, o.possible, o.answer, o.gold) for o in result.outcomes] == [
        (2, 2, "BD", '["BD"]'),
        (1, 2, "C", '["AC"]'),
        (0, 2, "AB", '["A"]'),
    ]
    assert (result.points, result.possible, result.correct, result.total) == (3, 6, 1, 3)
    assert result.accuracy == 50.0 and result.metric == "score"
    assert results_payload(result) == {"score": 50.0, "points": 3, "possible": 6}
    (row_,) = summarize([make_spec("t", PLAIN, ["2010-2022_Physics_MCQs"])], {result.abbr: result}).subject_rows
    assert (row_.value, row_.detail, row_.points, row_.remark) == (50.0, "3/6 points", (3, 6), "3/6 points")
    assert subject_failure(result, 60.0) == "GaokaoBench_2010-2022_Physics_MCQs: score 50.00 < 60.00 (3/6 points)"
    record = result.to_json()
    assert (record["points"], record["possible"], record["outcomes"][1]["points"]) == (3, 6, 1)
    assert SubjectResult.from_json(json.loads(json.dumps(record))) == result


def test_right_or_wrong_records_are_unchanged():
    outcome = Outcome(0, "A", "A", "A", 5, 9)
    assert "points" not in outcome.to_json() and "possible" not in outcome.to_json()
    result = SubjectResult("ceval_gen", "ceval-law", "law", "a110a1", (outcome,), 1.0, "main")
    assert not result.partial and "points" not in result.to_json() and result.detail == "1/1"
    assert results_payload(result) == {"accuracy": 100.0}


def test_the_group_is_the_weighted_average_of_the_14_mcq_papers():
    spec = make_spec("t", PLAIN)
    config = spec.config
    assert {s.key: s.weight for s in config.benchmark.subjects if s.key in WEIGHTS} == WEIGHTS
    (group,) = config.benchmark.groups
    assert (group.name, group.metric, group.members) == ("GaokaoBench", "weighted_average", tuple(WEIGHTS))
    results = {}
    for number, paper in enumerate(PAPERS):
        # Paper n earns n of 20 points: scores 0, 5, 10, ... (cloze papers too: outside the group, they change nothing).
        outcomes = tuple(Outcome(i, "", "", "[]", 0, 1, points=int(i < number), possible=1) for i in range(20))
        abbr = config.benchmark.abbr(paper.keyword)
        results[abbr] = SubjectResult(PLAIN, abbr, paper.keyword, "v", outcomes, 1.0, "main", "score")
    summary = summarize([spec], results)
    expected = sum(min(n, 20) / 20 * 100 * WEIGHTS[p.keyword] for n, p in enumerate(PAPERS) if p.keyword in WEIGHTS)
    (row_,) = summary.group_rows
    assert row_.value == pytest.approx(expected / sum(WEIGHTS.values()), abs=1e-12)
    assert (row_.name, row_.version, row_.metric, row_.mode) == ("GaokaoBench", "-", "weighted_average", "gen")
    cloze = [r for r in summary.subject_rows if r.name.endswith("Fill-in-the-Blank")]
    assert all("always 0" in r.remark for r in cloze)


# --- bad input ------------------------------------------------------------------------------------------------


def test_a_missing_paper_stops_before_any_model_loads(tmp_path):
    write_paper(tmp_path, "2010-2022_Physics_MCQs", [row("题\n", ["A"])])
    with pytest.raises(LlmEvalError, match=r"Multiple-choice_Questions/2010-2022_Math_II_MCQs\.json not found"):
        plan_subjects(make_spec("t", PLAIN), tmp_path, None)


@pytest.mark.parametrize(
    ("answer", "shown"), [("A", '"A"'), ([1], "[1]"), ([], "[]"), (None, "null"), ([["A"]], '[["A"]]')]
)
def test_an_answer_that_is_not_a_list_of_strings_names_file_and_row(tmp_path, answer, shown):
    path = write_paper(tmp_path, "2010-2022_Physics_MCQs", [row("题一\n", ["A"]), row("题二\n", answer)])
    with pytest.raises(LlmEvalError) as info:
        plan_subjects(make_spec("t", PLAIN, ["2010-2022_Physics_MCQs"]), tmp_path, None)
    assert str(info.value) == (
        f"{path}: row 1 has answer {shown}; 2010-2022_Physics_MCQs answers are a list of strings, one per "
        'sub-question (e.g. ["D"] or ["A", "C", "B"]): fix the row'
    )


def test_cloze_answers_are_free_text(tmp_path):
    write_paper(tmp_path, "2010-2022_Math_I_Fill-in-the-Blank", [row("填空\n", "【答案】 3")])
    (plan,) = plan_subjects(make_spec("t", PLAIN, ["2010-2022_Math_I_Fill-in-the-Blank"]), tmp_path, None)
    assert plan.questions[0].answer == '"【答案】 3"'


def test_a_row_without_a_question(tmp_path):
    path = write_paper(tmp_path, "2010-2022_Physics_MCQs", [{"answer": ["A"]}])
    with pytest.raises(LlmEvalError, match=f'^{path}: row 0 has no "question" string'):
        plan_subjects(make_spec("t", PLAIN, ["2010-2022_Physics_MCQs"]), tmp_path, None)


# --- the baseline on points -----------------------------------------------------------------------------------


def test_baseline_holds_points_and_compares_them(tmp_path):
    before = physics_result(tmp_path)  # 2/2, 1/2, 0/2
    path = tmp_path / "base.json"
    path.write_text(render_baseline(SETTINGS, [before], "RUN"), encoding="utf-8")
    saved = json.loads(path.read_text(encoding="utf-8"))["subjects"][before.abbr]
    assert (saved["points"], saved["possible"]) == (3, 6)
    assert sorted(saved["questions"].values()) == [[0, "AB", 2], [1, "C", 2], [2, "BD", 2]]
    baseline = read_baseline(path)
    # Now: the first question drops to 1 point, the second rises to 2, the third stays at 0.
    outputs = {"题一\n": "【答案】 B <eoa>", "题二\n": "【答案】 AC <eoa>", "题三\n": "【答案】 B <eoa>"}
    after = physics_result(tmp_path, outputs)
    spec = make_spec("t", PLAIN, ["2010-2022_Physics_MCQs"])
    comparison = compare(baseline, [spec], {after.abbr: after}, SETTINGS)
    row_ = comparison.row(after.abbr)
    change = row_.change
    assert (change.total, change.possible, change.before, change.after) == (3, 6, 3, 3)
    assert (change.right_to_wrong, change.wrong_to_right, change.p_value) == (1, 1, 1.0)
    assert (row_.before, row_.after, row_.delta) == (50.0, 50.0, 0.0)
    assert sorted(flip.direction for flip in comparison.flips) == ["1→2 of 2 points", "2→1 of 2 points"]
    records = flip_records(tmp_path, "m", comparison.flips)  # no predictions files here: prompts stay empty
    assert sorted(r["points"] for r in records) == [[1, 2, 2], [2, 1, 2]]


def test_a_points_drop_is_a_loss(tmp_path):
    before = physics_result(tmp_path)
    path = tmp_path / "base.json"
    path.write_text(render_baseline(SETTINGS, [before], "RUN"), encoding="utf-8")
    after = physics_result(tmp_path, {"题一\n": "【答案】 B <eoa>", "题二\n": "no", "题三\n": "no"})  # 1, 0, 0 points
    spec = make_spec("t", PLAIN, ["2010-2022_Physics_MCQs"])
    row_ = compare(read_baseline(path), [spec], {after.abbr: after}, SETTINGS).row(after.abbr)
    assert (row_.change.right_to_wrong, row_.change.wrong_to_right) == (2, 0)
    assert row_.delta == pytest.approx((1 - 3) / 6 * 100)
    assert change_line(row_) == (
        "GaokaoBench_2010-2022_Physics_MCQs: 50.00 → 16.67 (-33.33 pts, 2 lost points, 0 gained points, p=0.5000)"
    )


def test_a_baseline_entry_must_be_a_verdict_or_points(tmp_path):
    before = physics_result(tmp_path)
    data = json.loads(render_baseline(SETTINGS, [before], "RUN"))
    first = next(iter(data["subjects"][before.abbr]["questions"]))
    data["subjects"][before.abbr]["questions"][first] = [3, "BD", 2]  # more points than possible
    path = tmp_path / "base.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LlmEvalError, match=r'\[points, "answer", possible\] where a question earns points'):
        read_baseline(path)


def test_reports_show_the_points_and_the_cloze_note():
    physics = Row(
        "GaokaoBench_2010-2022_Physics_MCQs", "2e88f1", "score", "gen", 50.0, None, "3/6 points", (), points=(3, 6)
    )
    note = "always 0: OpenCompass 0.2.4 does not score cloze papers"
    cloze = Row(
        "GaokaoBench_2010-2022_Math_I_Fill-in-the-Blank", "524c10", "score", "gen", 0.0, None, "0/81", note=note
    )
    report = Report(Path("/runs/R"), "m", SETTINGS, Gate(), Summary((physics, cloze), ()), Verdict())
    assert "| score | gen | 50.00 (3/6 points) |" in render_markdown(report)
    assert "0.00 (always 0: OpenCompass 0.2.4 does not score cloze papers)" in render_markdown(report)
    assert ">50.00 (3/6 points)</td>" in render_html(report)
    lines = render_summary(report, color=False).splitlines()
    assert lines[1].split()[-3:] == ["50.00", "3/6", "points"]
    assert lines[2].split()[4] == "0.00" and lines[2].rstrip().endswith(f"0.00       {note}")


def test_reports_beside_points_still_show_rows_that_have_no_value():
    physics = Row(
        "GaokaoBench_2010-2022_Physics_MCQs", "2e88f1", "score", "gen", 50.0, None, "3/6 points", (), points=(3, 6)
    )
    unrun = Row("GaokaoBench_2010-2022_Math_I_MCQs", "241b3b", "score", "gen", None, None, "not run")
    report = Report(Path("/runs/R"), "m", SETTINGS, Gate(), Summary((physics, unrun), ()), Verdict())
    assert "<td>not run</td>" in render_html(report)
    assert "| GaokaoBench\\_2010-2022\\_Math\\_I\\_MCQs | - | - | - | not run |" in render_markdown(report)
