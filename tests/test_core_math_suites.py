"""MATH with MATHEvaluator v2 and TheoremQA end to end on the real data (opencompass-core.md §8, §14, §15).

The data is never part of the project: these tests skip without the shared data folder (``LLMEVAL_SHARED``
points elsewhere). The configs fix 512 or 1024 new tokens, which no option shortens, so the runs use a model
that ends every answer at once: what they prove is the path from config to table row, not a score.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from checkpoints import Store
from odd_models import always_emits
from real_data import DATA, data_link, predictions, summary_rows

from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.datasets.templates import flatten_chatml, flatten_plain, render_pieces

NEEDED = (DATA / "math" / "math.json", DATA / "TheoremQA" / "test.csv")
pytestmark = pytest.mark.skipif(not all(p.is_file() for p in NEEDED), reason=f"no MATH/TheoremQA data at {DATA}")

MATH_TYPES = ("algebra", "counting_and_probability", "geometry", "intermediate_algebra", "number_theory",
              "prealgebra", "precalculus")  # fmt: skip


def plans(config: str, limit: int | None = None):
    return plan_subjects(make_spec("test", config), DATA, limit)


def prompt(plan, row: int, chat: bool) -> str:
    config = plan.spec.config
    pieces = render_pieces(config.infer_config(plan.subject), [], config.benchmark.fields(plan.questions[row], ""))
    return flatten_chatml(pieces, "gen") if chat else flatten_plain(pieces)


def test_rows_and_versions_are_opencompass_s():
    for name, version in (("math_evaluatorv2_gen_9d2049", "9d2049"), ("math_evaluatorv2_gen_cecb31", "cecb31")):
        math = plans(name)
        assert [(p.abbr, p.version) for p in math] == [(f"math-{t}", version) for t in MATH_TYPES]
        assert sum(len(p.questions) for p in math) == 5000
    for name, version in (("TheoremQA_post_v2_gen_2c2583", "2c2583"), ("TheoremQA_post_v2_gen_ef26ca", "ef26ca")):
        (theoremqa,) = plans(name)
        assert (theoremqa.abbr, theoremqa.version, len(theoremqa.questions)) == ("TheoremQA", version, 800)
    # Answers are the file's text, never numbers: "0.0" and "924.0" keep their decimals.
    assert [q.answer for q in theoremqa.questions[:6]] == ["0.02", "0.0", "924.0", "5", "1.0", "True"]
    assert sum("\n" in q.question for q in theoremqa.questions) == 14  # quoted newlines kept


def test_real_prompts_end_as_opencompass_s():
    base = plans("math_evaluatorv2_gen_9d2049", 1)[0]
    problem = base.questions[0].question
    assert prompt(base, 0, chat=True) == prompt(base, 0, chat=False)
    assert prompt(base, 0, chat=False).endswith(f"I hope it is correct.\n\nProblem:\n{problem}\nSolution:")
    chat = prompt(plans("math_evaluatorv2_gen_cecb31", 1)[0], 0, chat=True)
    assert chat.endswith(f"<|im_start|>user\nProblem:\n{problem}\nSolution:\n<|im_end|>\n<|im_start|>assistant\n")
    theoremqa = plans("TheoremQA_post_v2_gen_ef26ca", 1)[0]
    question = theoremqa.questions[0].question
    assert prompt(theoremqa, 0, chat=True).endswith(
        f"Question: {question}\nLet's think step by step.<|im_end|>\n<|im_start|>assistant\n"
    )


@pytest.fixture(scope="session")
def silent_model(tiny_model: Path, checkpoints: Store) -> Path:
    """Ends every answer at once (its first token is the end of text); the fault catalog's model, shared."""
    return checkpoints.get("silent", always_emits, tiny_model, "</s>")


def test_math_v2_runs_and_reports_the_math_row(project, run_llm, silent_model, last_run):
    result = run_llm(silent_model, data_link(project), "--llm-limit", "2", "--llm-datasets",
                     "math_evaluatorv2_gen_9d2049")  # fmt: skip
    assert result.ret == 0, result.stdout.str()
    rows = summary_rows(last_run())
    assert rows == [[f"math-{t}", "9d2049", "accuracy", "gen"] for t in MATH_TYPES] + [
        ["math", "9d2049", "accuracy", "gen"]
    ]
    written = predictions(last_run())
    assert written["math-algebra"]["0"]["gold"] == plans("math_evaluatorv2_gen_9d2049", 1)[0].questions[0].answer


def test_theoremqa_runs_and_reports_its_row(project, run_llm, silent_model, last_run):
    result = run_llm(silent_model, data_link(project), "--llm-limit", "2", "--llm-datasets",
                     "TheoremQA_post_v2_gen_ef26ca")  # fmt: skip
    assert result.ret == 0, result.stdout.str()
    assert summary_rows(last_run()) == [["TheoremQA", "ef26ca", "accuracy", "gen"]]
    written = predictions(last_run())["TheoremQA"]
    assert [written[i]["gold"] for i in ("0", "1")] == ["0.02", "0.0"]
