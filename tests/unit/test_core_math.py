"""MATH with MATHEvaluator v2 and TheoremQA, the core collections' math configs (opencompass-core.md §8, §14):
versions, prompts byte for byte in both styles, every worked example of their answer rules, and the TheoremQA
reader. The expected texts are written out here from the reference, not from the code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.datasets.math_problems import read_math
from pytest_llmeval.datasets.templates import flatten_chatml, flatten_plain, render_pieces
from pytest_llmeval.datasets.theoremqa import read_theoremqa
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.judging.postprocess_v2 import math_equal_v2, math_postprocess_v2, theoremqa_postprocess_v2
from pytest_llmeval.judging.scoring import RULES
from pytest_llmeval.judging.stopping import STOPS
from pytest_llmeval.records import Question

MATH_V2 = ("math_evaluatorv2_gen_9d2049", "math_evaluatorv2_gen_cecb31")
THEOREMQA = ("TheoremQA_post_v2_gen_2c2583", "TheoremQA_post_v2_gen_ef26ca")

# math_gen_265cce's nine items (opencompass-suites.md §2), as the reference writes them.
H1 = "Problem:\nFind the domain of the expression $\\frac{{\\sqrt{{x-2}}}}{{\\sqrt{{5-x}}}}$.}}\nSolution:"
B1 = "The expressions inside each square root must be non-negative. Therefore, $x-2 \\ge 0$, so $x\\ge2$, and $5 - x \\ge 0$, so $x \\le 5$. Also, the denominator cannot be equal to zero, so $5-x>0$, which gives $x<5$. Therefore, the domain of the expression is $\\boxed{{[2,5)}}$.\nFinal Answer: The final answer is $[2,5)$. I hope it is correct.\n"
H2 = "Problem:\nIf $\\det \\mathbf{{A}} = 2$ and $\\det \\mathbf{{B}} = 12,$ then find $\\det (\\mathbf{{A}} \\mathbf{{B}}).$\nSolution:"
B2 = "We have that $\\det (\\mathbf{{A}} \\mathbf{{B}}) = (\\det \\mathbf{{A}})(\\det \\mathbf{{B}}) = (2)(12) = \\boxed{{24}}.$\nFinal Answer: The final answer is $24$. I hope it is correct.\n"
H3 = "Problem:\nTerrell usually lifts two 20-pound weights 12 times. If he uses two 15-pound weights instead, how many times must Terrell lift them in order to lift the same total weight?\nSolution:"
B3 = "If Terrell lifts two 20-pound weights 12 times, he lifts a total of $2\\cdot 12\\cdot20=480$ pounds of weight. If he lifts two 15-pound weights instead for $n$ times, he will lift a total of $2\\cdot15\\cdot n=30n$ pounds of weight. Equating this to 480 pounds, we can solve for $n$: \\begin{{align*}} 30n&=480\\\\ \\Rightarrow\\qquad n&=480/30=\\boxed{{16}} \\end{{align*}}\nFinal Answer: The final answer is $16$. I hope it is correct.\n"
H4 = "Problem:\nIf the system of equations: \\begin{{align*}} 6x-4y&=a,\\\\ 6y-9x &=b. \\end{{align*}}has a solution $(x, y)$ where $x$ and $y$ are both nonzero, find $\\frac{{a}}{{b}},$ assuming $b$ is nonzero.\nSolution:"
B4 = "If we multiply the first equation by $-\\frac{{3}}{{2}}$, we obtain $$6y-9x=-\\frac{{3}}{{2}}a.$$Since we also know that $6y-9x=b$, we have $$-\\frac{{3}}{{2}}a=b\\Rightarrow\\frac{{a}}{{b}}=\\boxed{{-\\frac{{2}}{{3}}}}.$$\nFinal Answer: The final answer is $-\\frac{{2}}{{3}}$. I hope it is correct.\n"
SHOTS = ((H1, B1), (H2, B2), (H3, B3), (H4, B4))

THEOREMQA_TEXT = 'You are a mathematician, you are supposed to answer the given question. You need to output the answer in your final sentence like "Therefore, the answer is ...". The answer can only be one of the following forms:\n1. a numerical value like 0.1, no symbol and no unit at all.\n2. a list of number like [2, 3, 4].\n3. True/False.\n4. an option like (a), (b), (c), (d)\nQuestion: {Question}\nLet\'s think step by step.'


@pytest.mark.parametrize(
    ("name", "version", "max_out_len"),
    [
        ("math_evaluatorv2_gen_9d2049", "9d2049", 512),
        ("math_evaluatorv2_gen_cecb31", "cecb31", 1024),
        ("TheoremQA_post_v2_gen_2c2583", "2c2583", 512),
        ("TheoremQA_post_v2_gen_ef26ca", "ef26ca", 512),
    ],
)
def test_versions_and_lengths(name, version, max_out_len):
    config = CONFIGS[name]
    # No short alias in 0.2.4: the hashed name is the only one.
    assert config.name == config.hashed_name == name
    assert {config.version(subject) for subject in config.benchmark.subjects} == {version}
    assert config.max_out_len == max_out_len


def test_one_math_row_and_one_theoremqa_row():
    for name in MATH_V2:
        benchmark = CONFIGS[name].benchmark
        # The same items as math_gen's, pooled into OpenCompass's one "math" accuracy (100 * correct / count).
        assert benchmark is CONFIGS["math_gen"].benchmark
        ((group),) = benchmark.groups
        assert (group.name, group.metric, benchmark.percent_of_count) == ("math", "accuracy", True)
        assert CONFIGS[name].scoring_of(benchmark.subjects[0]) == "math_v2"
    for name in THEOREMQA:
        benchmark = CONFIGS[name].benchmark
        assert [benchmark.abbr(s.key) for s in benchmark.subjects] == ["TheoremQA"]
        # AccEvaluator: the mean of right answers times 100.
        assert (benchmark.groups, benchmark.metric, benchmark.percent_of_count) == ((), "accuracy", False)
        assert (benchmark.data_path, benchmark.file_name("TheoremQA", "test")) == ("TheoremQA", "test.csv")
        assert CONFIGS[name].scoring_of(benchmark.subjects[0]) == "theoremqa"


def rendered(name: str, question: Question) -> tuple[str, str]:
    config = CONFIGS[name]
    pieces = render_pieces(config.infer_config(config.benchmark.subjects[0]), [], config.benchmark.fields(question, ""))
    return flatten_plain(pieces), flatten_chatml(pieces, "gen")


# Doubled braces stay; "{solution}" is a column, the gold's, blanked before the prompt is filled.
PROBLEM = "What is $\\frac{{1}}{2}$ of {solution}x?"
FILLED = "What is $\\frac{{1}}{2}$ of x?"
MATH_ROW = Question(0, PROBLEM, (), "4", (("problem", PROBLEM), ("solution", "4")), "solution")


def test_9d2049_is_one_plain_string_without_the_stray_braces_in_both_styles():
    h1 = H1.replace("$.}}\nSolution:", "$.\nSolution:")
    expected = "\n".join((h1, B1, H2, B2, H3, B3, H4, B4, f"Problem:\n{FILLED}\nSolution:"))
    assert rendered("math_evaluatorv2_gen_9d2049", MATH_ROW) == (expected, expected)


def test_cecb31_is_265cce_s_round():
    plain, chat = rendered("math_evaluatorv2_gen_cecb31", MATH_ROW)
    test = f"Problem:\n{FILLED}\nSolution:\n"
    assert plain == f"{H1}\n{B1}\n{H2}\n{B2}\n{H3}\n{B3}\n{H4}\n{B4}\n{test}"
    turns = "".join(f"<|im_start|>user\n{h}<|im_end|>\n<|im_start|>assistant\n{b}<|im_end|>\n" for h, b in SHOTS)
    assert chat == turns + f"<|im_start|>user\n{test}<|im_end|>\n<|im_start|>assistant\n"


def theoremqa_row(question: str) -> Question:
    columns = (("Question", question), ("Answer", "0.5"), ("Answer_type", "float"), ("Picture", "None"))
    return Question(0, question, (), "0.5", columns, "Answer")


@pytest.mark.parametrize("name", THEOREMQA)
def test_theoremqa_prompts(name):
    question = "What is {Answer_type} of 1/2?\nGive {Answer}."  # later columns are filled in too; Answer blank
    text = THEOREMQA_TEXT.replace("{Question}", "What is float of 1/2?\nGive .")
    plain, chat = rendered(name, theoremqa_row(question))
    assert plain == text
    assert chat == (text if name.endswith("2c2583") else f"<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n")


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("so $x=\\boxed{3}$ and then \\boxed{4}.", "4"),
        ("\\boxed{{7}}", "7"),
        ("The final answer is $\\frac{1}{2}$. I hope", "\\frac{1}{2}"),
        ("We get 2.5 so the answer is 2.5.", "2"),
        ("No answer here. Final answer: 9", "Finalanswer:9"),
        ("\\fbox{12}", "\\fbox{12}"),
        ("Thus 17 apples", "Thus17apples"),
        ("\\boxed{}. The answer is 5", "5"),  # an empty box is no answer: on to the pieces
        ("\\boxed{ 2\\text{ cm} }", " 2\\text{ cm} "),  # a boxed answer is returned as written
    ],
)
def test_math_postprocess_v2(text, answer):
    assert math_postprocess_v2(text) == answer


@pytest.mark.parametrize(
    ("pred", "gold", "equal"),
    [
        ("\\frac{3}{4}", "\\dfrac34", True),
        ("3/4", "\\frac{3}{4}", True),
        ("0.75", "\\frac{3}{4}", False),
        ("12\\text{ cm}", "12", True),
        ("45%", "45", True),
        ("7.000", "7", True),
        ("7.50", "7.5", False),
        ("x \\in [1,2]", "[1,2]", False),
        ("1 and 2", "1,2", True),
        ("\\sqrt3", "\\sqrt{3}", True),
        ("k=5", "5", True),
        ("(-\\infty,0)", "(-infinity,0)", True),
        ("2j", "2i", True),
        (None, None, True),
        ("5", None, False),
    ],
)
def test_math_is_equiv_v2(pred, gold, equal):
    assert math_equal_v2(pred, gold) is equal


def test_math_v2_rule_scores_the_last_box_against_the_loader_s_gold():
    question = Question(0, "p", (), "\\frac{1}{2}", (("problem", "p"), ("solution", "\\frac{1}{2}")), "solution")
    assert RULES["math_v2"]("First \\boxed{3}, then \\boxed{\\dfrac12}.", question) == ("\\dfrac12", True)
    assert RULES["math_v2"]("\\boxed{0.5}", question) == ("0.5", False)  # v1's "0.5" -> \frac{1}{2} is gone in v2


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Step 1.\nTherefore, the answer is 3.5.", "3.5"),
        ("So the result is: [1, 2]", "[1, 2]"),
        ("Thus the answer is (b)", "(b)"),
        ("The value is 10 m/s.", "10 m/s"),
        ("First line\nAnswer: True", "True"),
        ("It equals 42", "It equals 42"),
        ("Therefore, the answer is  7.", "7"),
    ],
)
def test_theoremqa_postprocess_v2(text, answer):
    assert theoremqa_postprocess_v2(text) == answer


def test_theoremqa_rule_is_an_exact_string_match():
    question = theoremqa_row("q")
    assert RULES["theoremqa"]("So the answer is 0.5.", question) == ("0.5", True)
    assert RULES["theoremqa"]("So the answer is 0.50.", question) == ("0.50", False)  # no numeric tolerance


def test_neither_rule_stops_early():
    # The last \boxed and the last line are open until the text ends.
    assert "math_v2" not in STOPS and "theoremqa" not in STOPS


# --- the TheoremQA reader ---

HEADER = "Question,Answer,Answer_type,Picture,source,id,theorem,subfield,field,theorem_def\n"


def csv_file(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "test.csv"
    path.write_bytes((header + body).encode("utf-8"))
    return path


def test_reader_keeps_cells_as_written(tmp_path):
    body = (
        '"Line one\nline two, with a comma",0.02,float,null,,a.json,t,s,f,"def\n\nmore"\n'
        "\n"  # a blank line is no row
        "Is it?,True,bool,pic.png,src,b.json,t,s,f,d\n"
        'Which?,"[1, 2]",list of integer,null,src,c.json,t,s,f,d\n'
        'Pick one,(c),option,null,src,"d.json",t,s,f,"say ""hi"""\n'
    )
    questions = read_theoremqa(csv_file(tmp_path, body), "test")
    assert [q.answer for q in questions] == ["0.02", "True", "[1, 2]", "(c)"]
    first = questions[0]
    assert first.question == "Line one\nline two, with a comma"
    assert dict(first.columns)["Picture"] == dict(first.columns)["source"] == "None"  # pandas' missing values
    assert dict(first.columns)["theorem_def"] == "def\n\nmore"
    assert dict(questions[3].columns)["theorem_def"] == 'say "hi"'
    assert [name for name, _ in first.columns] == HEADER.strip().split(",")
    assert first.output_column == "Answer"


@pytest.mark.parametrize(
    ("header", "body", "message"),
    [
        ("Question,Answer_type\n", "q,float\n", "test.csv: the header has no Answer column"),
        ("", "", "test.csv: the header has no Question, Answer, Answer_type column"),
        (HEADER, "q,1,integer,null,s,i,t,s,f\n", "test.csv:2: row 0 has 9 cell(s) but the header has 10"),
        (HEADER, 'ok,1,integer,null,s,i,t,s,f,d\n"open,1,integer,null,s,i,t,s,f,d\n', "test.csv:3: not valid CSV"),
        (HEADER, "q,,integer,null,s,i,t,s,f,d\n", "test.csv:2: row 0: Answer is '', which OpenCompass reads as"),
        (HEADER, "NA,1,integer,null,s,i,t,s,f,d\n", "test.csv:2: row 0: Question is 'NA'"),
        (HEADER, "", "test.csv: no rows"),
    ],
)
def test_reader_errors_are_one_line_naming_file_and_row(tmp_path, header, body, message):
    with pytest.raises(LlmEvalError) as info:
        read_theoremqa(csv_file(tmp_path, body, header), "test")
    text = str(info.value)
    assert message in text and "\n" not in text


def test_reader_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "test.csv"
    path.write_bytes(HEADER.encode() + b"caf\xe9,1,integer,null,s,i,t,s,f,d\n")
    with pytest.raises(LlmEvalError, match="not UTF-8"):
        read_theoremqa(path, "test")


def test_math_v2_reads_math_gen_s_gold(tmp_path):
    path = tmp_path / "math.json"
    solution = "So $x=\\boxed{\\frac{1}{2}}$, not \\boxed{{3}}... wait: \\boxed{{4}}"
    row = {"problem": "p", "level": "Level 1", "type": "Algebra", "solution": solution}
    path.write_text(json.dumps({"0": row}), encoding="utf-8")
    # The loader takes the last box and keeps its doubled braces (only the postprocessor removes them).
    assert read_math(path, "test")[0].answer == "{4}"
