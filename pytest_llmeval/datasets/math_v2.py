"""MATH under OpenCompass 0.2.4's core collections: ``math_evaluatorv2_gen_9d2049`` (base) and
``math_evaluatorv2_gen_cecb31`` (chat), both scored by ``MATHEvaluator(version="v2")``
(``opencompass-core.md`` §8).

The data, its reader and the four worked examples are ``math_gen_265cce``'s (``math_problems.py``). The base
config writes them as one plain string, which no chat template wraps: H1 without 265cce's stray ``}}`` and a
prompt ending ``Solution:``. The chat config is 265cce's round as it stands, stray ``}}`` included, with twice
the generation length.
"""

from __future__ import annotations

from pytest_llmeval.datasets.math_problems import MATH_ROUNDS
from pytest_llmeval.datasets.templates import InferConfig, Rounds, Template, Turn

_STRAY = "$.}}\nSolution:"
_FIRST_PROBLEM = MATH_ROUNDS[0][1]
assert _FIRST_PROBLEM.endswith(_STRAY)

# The nine items of 265cce joined by "\n", H1 mended and the test problem without its final newline.
MATH_V2_PROMPT = "\n".join(
    (
        _FIRST_PROBLEM.removesuffix(_STRAY) + "$.\nSolution:",
        *(text for _, text in MATH_ROUNDS[1:-1]),
        "Problem:\n{problem}\nSolution:",
    )
)


def math_evaluatorv2_gen_9d2049(name: str) -> InferConfig:
    return InferConfig("gen", None, Template(MATH_V2_PROMPT), shots=0, max_out_len=512)


def math_evaluatorv2_gen_cecb31(name: str) -> InferConfig:
    rounds = Rounds(tuple(Turn(role, prompt) for role, prompt in MATH_ROUNDS))
    return InferConfig("gen", None, Template(rounds), shots=0, max_out_len=1024)
