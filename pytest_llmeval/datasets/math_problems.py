"""MATH in OpenCompass's layout: ``math/math.json``, an object of ``{"problem", "level", "type", "solution"}`` rows.

OpenCompass scores all 5000 problems as one dataset; here each problem type is an item of its own (a
regression in geometry shows as geometry), and the ``math`` summary row pools them back into OpenCompass's
single number. The gold is the ``\\boxed{…}`` answer of the worked solution, cut out as OpenCompass's loader
cuts it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from pytest_llmeval.datasets.readers import read_json
from pytest_llmeval.datasets.templates import Role
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question

FIELDS = ("problem", "level", "type", "solution")


@dataclass(frozen=True, slots=True)
class ProblemType:
    key: str  # the item's subject key: math-<key>
    name: str  # the "type" value in math.json


TYPES: tuple[ProblemType, ...] = (
    ProblemType("algebra", "Algebra"),
    ProblemType("counting_and_probability", "Counting & Probability"),
    ProblemType("geometry", "Geometry"),
    ProblemType("intermediate_algebra", "Intermediate Algebra"),
    ProblemType("number_theory", "Number Theory"),
    ProblemType("prealgebra", "Prealgebra"),
    ProblemType("precalculus", "Precalculus"),
)


def extract_boxed_answer(solution: str) -> str | None:
    """OpenCompass's MATH loader: the inside of the last ``\\boxed{…}`` (braces matched), else None.

    The last ``\\boxed`` is taken, or, without one, the last ``\\fbox``; from there braces are counted to the
    one that closes the first. The piece must then read ``\\boxed{…}``, so an ``\\fbox{…}`` or a ``\\boxed 5``
    gives None, as upstream's does.
    """
    start = solution.rfind("\\boxed")
    if start < 0:
        start = solution.rfind("\\fbox")
        if start < 0:
            return None
    depth = 0
    for position in range(start, len(solution)):
        char = solution[position]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                piece = solution[start : position + 1]
                return piece[len("\\boxed{") : -1] if piece.startswith("\\boxed{") else None
    return None


@functools.lru_cache(maxsize=4)
def _rows(path: Path, size: int, mtime: int) -> tuple[Question, ...]:
    """Every problem of the file in its key order, checked; cached per file version (items share one file)."""
    data = read_json(path)
    if not isinstance(data, dict) or not data:
        raise LlmEvalError(
            f'{path}: expected a JSON object of problems ({{"0": {{"problem", "level", "type", "solution"}}, …}}), '
            f"got {type(data).__name__ if data else 'an empty one'}"
        )
    names = {t.name for t in TYPES}
    questions = []
    for key, row in data.items():
        where = f"{path}: problem {key!r}"
        if not isinstance(row, dict) or not all(isinstance(row.get(field), str) for field in FIELDS):
            have = ", ".join(row) if isinstance(row, dict) else type(row).__name__
            raise LlmEvalError(f"{where} needs string fields {', '.join(FIELDS)} (has {have})")
        if row["type"] not in names:
            raise LlmEvalError(f"{where} has type {row['type']!r}; MATH's types are {', '.join(sorted(names))}")
        gold = extract_boxed_answer(row["solution"])
        if gold is None:
            # OpenCompass would keep the row with no gold and count it wrong whatever the model says.
            raise LlmEvalError(f"{where}: its solution has no \\boxed{{…}} answer to score against; fix or remove it")
        columns = (("problem", row["problem"]), ("solution", gold))  # the loader keeps these two, in this order
        questions.append(Question(len(questions), row["problem"], (), gold, columns, "solution", row["type"]))
    return tuple(questions)


def read_math(path: Path, split: str) -> tuple[Question, ...]:
    """All problems of ``math.json`` (every item reads the same file; ``Benchmark.tags`` picks its type)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise LlmEvalError(f"{path}: file not found") from None
    return _rows(path, stat.st_size, stat.st_mtime_ns)


# The four worked examples of the template, then the test problem. The doubled braces are literal: the config
# is no format string and OpenCompass fills fields by plain replacement, so the prompt holds "{{24}}" (and a
# stray "}}" after the first problem).
MATH_ROUNDS: tuple[tuple[Role, str], ...] = (
    (
        "HUMAN",
        ("Problem:\nFind the domain of the expression $\\frac{{\\sqrt{{x-2}}}}{{\\sqrt{{5-x}}}}$.}}\nSolution:"),
    ),  # H1
    (
        "BOT",
        (
            "The expressions inside each square root must be non-negative. Therefore, $x-2 \\ge 0$, so "
            "$x\\ge2$, and $5 - x \\ge 0$, so $x \\le 5$. Also, the denominator cannot be equal to zero, "
            "so $5-x>0$, which gives $x<5$. Therefore, the domain of the expression is $\\boxed{{[2,5)}}$.\n"
            "Final Answer: The final answer is $[2,5)$. I hope it is correct.\n"
        ),
    ),  # B1
    (
        "HUMAN",
        (
            "Problem:\n"
            "If $\\det \\mathbf{{A}} = 2$ and $\\det \\mathbf{{B}} = 12,$ then find $\\det (\\mathbf{{A}} "
            "\\mathbf{{B}}).$\n"
            "Solution:"
        ),
    ),  # H2
    (
        "BOT",
        (
            "We have that $\\det (\\mathbf{{A}} \\mathbf{{B}}) = (\\det \\mathbf{{A}})(\\det \\mathbf{{B}}) = "
            "(2)(12) = \\boxed{{24}}.$\n"
            "Final Answer: The final answer is $24$. I hope it is correct.\n"
        ),
    ),  # B2
    (
        "HUMAN",
        (
            "Problem:\n"
            "Terrell usually lifts two 20-pound weights 12 times. If he uses two 15-pound weights "
            "instead, how many times must Terrell lift them in order to lift the same total weight?\n"
            "Solution:"
        ),
    ),  # H3
    (
        "BOT",
        (
            "If Terrell lifts two 20-pound weights 12 times, he lifts a total of $2\\cdot "
            "12\\cdot20=480$ pounds of weight. If he lifts two 15-pound weights instead for $n$ times, "
            "he will lift a total of $2\\cdot15\\cdot n=30n$ pounds of weight. Equating this to 480 "
            "pounds, we can solve for $n$: \\begin{{align*}} 30n&=480\\\\ \\Rightarrow\\qquad "
            "n&=480/30=\\boxed{{16}} \\end{{align*}}\n"
            "Final Answer: The final answer is $16$. I hope it is correct.\n"
        ),
    ),  # B3
    (
        "HUMAN",
        (
            "Problem:\n"
            "If the system of equations: \\begin{{align*}} 6x-4y&=a,\\\\ 6y-9x &=b. \\end{{align*}}has a "
            "solution $(x, y)$ where $x$ and $y$ are both nonzero, find $\\frac{{a}}{{b}},$ assuming "
            "$b$ is nonzero.\n"
            "Solution:"
        ),
    ),  # H4
    (
        "BOT",
        (
            "If we multiply the first equation by $-\\frac{{3}}{{2}}$, we obtain "
            "$$6y-9x=-\\frac{{3}}{{2}}a.$$Since we also know that $6y-9x=b$, we have "
            "$$-\\frac{{3}}{{2}}a=b\\Rightarrow\\frac{{a}}{{b}}=\\boxed{{-\\frac{{2}}{{3}}}}.$$\n"
            "Final Answer: The final answer is $-\\frac{{2}}{{3}}$. I hope it is correct.\n"
        ),
    ),  # B4
    ("HUMAN", ("Problem:\n{problem}\nSolution:\n")),  # the test problem
)
