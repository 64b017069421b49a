"""Code suites: a completion becomes the program OpenCompass runs, the program runs in the sandbox, the outcome is
the verdict (``opencompass-suites.md`` §11-§12).

Nothing a model wrote is evaluated here: post-processing is text work (``judging/code.py``) and every program runs
in its own sandboxed child process (``judging/execution.py``), and only with the user's consent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.judging.code import humaneval_postprocess_v2, humaneval_program, mbpp_process_answer, mbpp_program
from pytest_llmeval.judging.execution import Limits, Run, run_programs
from pytest_llmeval.records import Outcome, Question

# The timer each evaluator gives a program: HumanEval's 3.0 s; MBPP's ``timeout - 1`` with timeout 3.
CODE_RULES: dict[str, Limits] = {"humaneval": Limits(seconds=3.0), "mbpp": Limits(seconds=2.0)}

CONSENT = "runs model-written code: pass --llm-allow-code-exec (ini llm_allow_code_exec = true) to allow it"
# Why a code item was not run, and the fix: its skip reason, and its line under the summary table.
NOT_RUN = "model-written code needs --llm-allow-code-exec (ini llm_allow_code_exec = true)"


@dataclass(frozen=True, slots=True)
class Judged:
    """One completion judged by running it: the code that ran, its outcome and the verdict."""

    answer: str  # the completion after the evaluator's post-processing: the code the program holds
    ran: str  # "passed", "failed: <the exception's last line>", "timed out", "killed: <why>"
    passed: bool


def program_of(rule: str, question: Question, completion: str) -> tuple[str, str]:
    """(the processed completion, the whole program) for ``completion`` of ``question`` under ``rule``."""
    columns = dict(question.columns)
    if rule == "humaneval":
        code = humaneval_postprocess_v2(completion)
        return code, humaneval_program(columns["prompt"], code, columns["test"], columns["entry_point"])
    code = mbpp_process_answer(completion)
    return code, mbpp_program(code, columns["test_list_2"])


def outcome_text(run: Run) -> str:
    """A ``Run`` as the one phrase predictions files and reports show."""
    if run.status in ("failed", "killed"):
        return f"{run.status}: {run.detail}" if run.detail else run.status
    return run.status


def judge_programs(
    rule: str, questions: Sequence[Question], completions: Sequence[str], allowed: bool, workers: int | None = None
) -> list[Judged]:
    """Every completion's program run in the sandbox, in parallel; results in input order.

    ``allowed`` is the user's ``--llm-allow-code-exec``: items are skipped without it, and this refuses too, so
    no path reaches the sandbox without consent.
    """
    if not allowed:
        raise LlmEvalError(f"{rule}: {CONSENT}")
    built = [program_of(rule, q, c) for q, c in zip(questions, completions, strict=True)]
    runs = run_programs([program for _, program in built], CODE_RULES[rule], workers)
    return [Judged(code, outcome_text(run), run.status == "passed") for (code, _), run in zip(built, runs, strict=True)]


# MBPPEvaluator's four counts, in its result order. A program that dies without reporting makes 0.2.4's evaluator
# raise instead of scoring; it is counted as failed here.
MBPP_COUNTS = ("pass", "timeout", "failed", "wrong_answer")


def mbpp_category(ran: str) -> str:
    """MBPPEvaluator's name for one outcome: pass, timeout, wrong_answer (an AssertionError) or failed."""
    if ran == "passed":
        return "pass"
    if ran == "timed out":
        return "timeout"
    return "wrong_answer" if re.match(r"failed: AssertionError(:|$)", ran) else "failed"


def mbpp_counts(outcomes: Sequence[Outcome]) -> dict[str, int]:
    """How many of ``outcomes`` fall in each of MBPPEvaluator's categories, in its order."""
    counts = dict.fromkeys(MBPP_COUNTS, 0)
    for outcome in outcomes:
        counts[mbpp_category(outcome.ran)] += 1
    return counts


def programs_line(abbr: str, outcomes: Sequence[Outcome]) -> str | None:
    """One line on what a code subject's programs did, failures by exception, most common first; None where no
    program ran (not a code subject)."""
    ran = [o.ran for o in outcomes if o.ran]
    if not ran:
        return None
    states = {
        state: sum(r.split(":")[0] == state for r in ran) for state in ("passed", "failed", "timed out", "killed")
    }
    kinds: dict[str, int] = {}
    for r in ran:
        if r.startswith("failed: "):
            kind = r.removeprefix("failed: ").split(":")[0]
            kinds[kind] = kinds.get(kind, 0) + 1
    common = sorted(kinds.items(), key=lambda item: (-item[1], item[0]))[:3]
    why = f" ({', '.join(f'{kind} {count}' for kind, count in common)})" if common else ""
    return (
        f"{abbr} programs: {states['passed']} passed, {states['failed']} failed{why}, "
        f"{states['timed out']} timed out, {states['killed']} killed"
    )
