"""Answer extraction and program assembly for the code suites (HumanEval, MBPP), reproducing OpenCompass 0.2.4 exactly.

Each function is a pure re-implementation of one OpenCompass 0.2.4 step, written to give the same text on every input
so that the programs run (and so the scores) match; upstream quirks are kept on purpose and flagged where they occur.

One step is deliberately not reproduced as written: both upstream postprocessors start with ``eval(text)`` on the
model's whole output and use the result when it is a ``str``. Here that step is ``literal_string``, which never runs
model text: it parses it and computes only expressions built from string constants. It gives ``eval``'s result for
every such expression, and ``None`` wherever ``eval`` fails or gives a non-``str``. Known divergences, where upstream
would get a ``str`` and this module goes on with the raw text instead:

- expressions that reach a ``str`` through names, calls, subscripts, attributes, comparisons or ``%`` formatting, for
  example ``__name__`` (upstream: the evaluator module's name), ``str(1)``, ``"".join(...)``, ``"ab"[0]``,
  ``"%s" % "a"``; also upstream's own local ``text``, so ``text + "x"`` would be the raw output plus ``x`` there;
- f-string fields with a format spec (``f"{'a':>3}"``), and integer arithmetic other than ``+``, ``-``, ``*`` and
  unary ``-``, ``+``, ``~`` (``"a" * 2 ** 3``, ``"a" * (7 // 2)``);
- repetitions whose result would exceed ``MAX_LITERAL_LENGTH`` characters, and integers (literals included) beyond
  ``MAX_INTEGER_BITS`` bits;
- nesting deep enough to exhaust the parser or compiler (thousands of operators), where the exact limit depends on
  the caller's stack depth in both implementations.

Calls such as ``exit()`` or ``__import__("os").system(...)`` are therefore inert here, where upstream runs them while
scoring (``exit()`` ends an OpenCompass evaluation with ``SystemExit``).
"""

from __future__ import annotations

import ast
import operator
import re
import sys
from collections.abc import Callable

# Longest string ``literal_string`` builds; a repetition beyond it is treated as not a string, so that a short text
# such as "'a' * 10**9"-style products cannot make scoring allocate gigabytes.
MAX_LITERAL_LENGTH = 1 << 20

# Largest integer magnitude (in bits) ``literal_string`` computes with; any repetition count that fits in memory is far
# below it, and products of long literals stay cheap.
MAX_INTEGER_BITS = 256

# Integer operations ``literal_string`` computes (a bool operand is an int, as in Python).
_INT_OPERATIONS: dict[type[ast.operator], Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
}

# eval() of a str skips leading spaces and tabs (and nothing else) before compiling; compile() itself would reject
# them as an unexpected indent.
_EVAL_SKIPPED_PREFIX = " \t"

_FENCE = "```"
_FIRST_FENCED_BLOCK = re.compile(r"```(.*?)```", re.DOTALL)

# MBPP's markers. The optional quote and whitespace before DONE, and after BEGIN, go with the marker; whitespace before
# DONE without a quote does not (the later strip() removes it anyway).
_MBPP_DONE = re.compile(r"('\s*|)(\[DONE\]|DONE)")
_MBPP_BEGIN = re.compile(r"(\[BEGIN\]|BEGIN)('\s*|)")
# Greedy up to the last fence, then cut at the first one again: the result is the text up to the first closing fence.
# Only reachable when deleting backslashes forms a fence (two backticks, a backslash, a backtick): the block rule
# has removed every other one.
_MBPP_PYTHON_BLOCK = re.compile(r"```python(.*)```", re.DOTALL)

_HUMANEVAL_INDENT = "    "


class _NotLiteral(Exception):
    """Raised inside ``literal_string`` when an expression is not built from constants alone."""


def literal_string(text: str) -> str | None:
    """Return the ``str`` that ``eval(text)`` would give when *text* is a constant string expression, else ``None``."""
    try:
        tree = ast.parse(text.lstrip(_EVAL_SKIPPED_PREFIX), mode="eval")
    except Exception:  # noqa: BLE001 - every parse failure (syntax, null byte, surrogate, depth) is eval's failure too
        return None
    try:
        value = _constant_value(tree.body)
    except _NotLiteral:
        return None
    return value if isinstance(value, str) else None


def _constant_value(root: ast.expr) -> str | int:
    """Compute a constant expression tree iteratively, since parseable trees can be deeper than Python's stack."""
    # Post-order walk: a node is pushed once to schedule its operands and once more to combine their values.
    pending: list[tuple[ast.AST, bool]] = [(root, False)]
    values: list[str | int] = []
    while pending:
        node, operands_done = pending.pop()
        operands = _operands(node)
        if not operands_done:
            pending.append((node, True))
            pending.extend((operand, False) for operand in reversed(operands))
            continue
        count = len(operands)
        arguments = values[len(values) - count :] if count else []
        del values[len(values) - count :]
        values.append(_combine(node, arguments))
    return values[0]


def _operands(node: ast.AST) -> list[ast.AST]:
    """List the sub-expressions of an accepted node, refusing any node kind that is not a constant form."""
    if isinstance(node, ast.Constant):
        return []
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub, ast.Invert)):
        return [node.operand]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
        return [node.left, node.right]
    if isinstance(node, ast.JoinedStr):
        return list(node.values)
    if isinstance(node, ast.FormattedValue) and node.format_spec is None:
        return [node.value]
    raise _NotLiteral


def _combine(node: ast.AST, arguments: list[str | int]) -> str | int:
    """Give one node's value from its operands' values, as Python would, or refuse it."""
    if isinstance(node, ast.Constant):
        # bool is an int to Python ("a" * True == "a"); bytes, floats, None and the rest are not handled.
        if isinstance(node.value, str):
            return node.value
        if isinstance(node.value, int):
            return _bounded(node.value)
        raise _NotLiteral
    if isinstance(node, ast.UnaryOp):
        (operand,) = arguments
        if not isinstance(operand, int):
            raise _NotLiteral  # -"a" is a TypeError under eval
        if isinstance(node.op, ast.USub):
            return -operand
        return ~operand if isinstance(node.op, ast.Invert) else +operand
    if isinstance(node, ast.BinOp):
        left, right = arguments
        if isinstance(left, int) and isinstance(right, int):
            return _bounded(_INT_OPERATIONS[type(node.op)](left, right))
        if isinstance(node.op, ast.Mult):
            return _repeat(left, right)
        if isinstance(node.op, ast.Add) and isinstance(left, str) and isinstance(right, str):
            return _capped(left + right)
        raise _NotLiteral  # "a" + 1 and "a" - "b" are TypeErrors under eval
    if isinstance(node, ast.JoinedStr):
        if not all(isinstance(part, str) for part in arguments):
            raise _NotLiteral
        return _capped("".join(arguments))
    if isinstance(node, ast.FormattedValue):
        (value,) = arguments
        return _capped(_converted(value, node.conversion))
    raise _NotLiteral


def _repeat(left: str | int, right: str | int) -> str:
    """Give ``left * right`` for one str and one int operand, within the length cap."""
    if isinstance(left, str) and isinstance(right, int):
        string, times = left, right
    elif isinstance(left, int) and isinstance(right, str):
        string, times = right, left
    else:
        raise _NotLiteral  # "a" * "b" is a TypeError under eval
    # Sequence repetition needs an index-sized count, even for an empty string: beyond it eval raises OverflowError.
    if not -sys.maxsize - 1 <= times <= sys.maxsize:
        raise _NotLiteral
    if times <= 0:
        return ""
    if len(string) * times > MAX_LITERAL_LENGTH:
        raise _NotLiteral
    return string * times


def _converted(value: str | int, conversion: int) -> str:
    """Format one f-string field without a format spec, applying its ``!s``, ``!r`` or ``!a`` conversion."""
    if conversion == ord("r"):
        return repr(value)
    if conversion == ord("a"):
        return ascii(value)
    # No conversion and ``!s`` agree for str and int: format(x, "") is str(x).
    return str(value)


def _bounded(value: int) -> int:
    """Pass an integer through unless it exceeds the bit cap, which keeps products of long literals cheap."""
    if value.bit_length() > MAX_INTEGER_BITS:
        raise _NotLiteral
    return value


def _capped(value: str) -> str:
    """Pass a built string through unless it exceeds the length cap."""
    if len(value) > MAX_LITERAL_LENGTH:
        raise _NotLiteral
    return value


def _evaluated_string(text: str) -> str:
    """Apply both postprocessors' first step: a prediction that is a string expression is replaced by its value."""
    value = literal_string(text)
    return text if value is None else value


def first_fenced_block(text: str) -> str:
    """Return the first three-backtick block of *text* without its opening line, or *text* when it has no fence."""
    if _FENCE not in text:
        return text
    match = _FIRST_FENCED_BLOCK.search(text)
    if match is None:
        # A single fence: everything after it.
        return text.split(_FENCE)[1]
    block = match.group(1)
    if block.startswith("\n"):
        return block
    # Drop the opening line (a language tag such as "python"); a block with no newline at all is kept whole.
    return block[block.find("\n") + 1 :]


def humaneval_postprocess_v2(text: str) -> str:
    """Turn a HumanEval completion into the function body OpenCompass 0.2.4's ``humaneval_postprocess_v2`` gives."""
    text = _evaluated_string(text)
    text = text.lstrip("\n")
    text = first_fenced_block(text)
    if text.strip().startswith(("from", "import")):
        # "def" is searched as a plain substring, so it may sit inside a word such as "default" (upstream quirk).
        def_index = text.find("def")
        if def_index != -1:
            # With no newline after it, find() gives -1 and the slice keeps the whole text.
            text = text[text.find("\n", def_index) + 1 :]
    text = "\n".join(line for line in text.split("\n") if line != "")
    if text.strip().startswith("def"):
        # The first line goes even when it is only whitespace and "def" starts the second one (upstream quirk).
        text = "\n".join(text.split("\n")[1:])
    if text.startswith(" "):
        # All leading whitespace goes, newlines and tabs included; later lines keep their own indentation.
        text = _HUMANEVAL_INDENT + text.lstrip()
    else:
        text = "\n".join(_HUMANEVAL_INDENT + line for line in text.split("\n"))
    return _cut_at_dedent(text.split("\n"))


def _cut_at_dedent(lines: list[str]) -> str:
    """Keep the lines before the first code line indented less than the first code line, rejoined with newlines."""
    first_indent: int | None = None
    for index, line in enumerate(lines):
        content = line.strip()
        # Blank lines and lines starting a string or a comment never set nor end the block.
        if content == "" or content[0] in "'\"#":
            continue
        indent = len(line.rstrip()) - len(content)
        if first_indent is None:
            first_indent = indent
        elif indent < first_indent:
            return "\n".join(lines[:index])
    return "\n".join(lines)


def humaneval_program(prompt: str, completion: str, test: str, entry_point: str) -> str:
    """Assemble the program human-eval runs for one problem from its prompt, the processed completion and its test."""
    return prompt + completion + "\n" + test + "\n" + "check(" + entry_point + ")"


def mbpp_process_answer(text: str) -> str:
    """Turn an MBPP prediction into the code OpenCompass 0.2.4's ``MBPPEvaluator._process_answer`` gives."""
    text = _evaluated_string(text)
    text = first_fenced_block(text)
    text = text.strip()
    done = _MBPP_DONE.search(text)
    if done is not None:
        text = text[: done.start()]
    begin = _MBPP_BEGIN.search(text)
    if begin is not None:
        text = text[begin.end() :]
    text = text.strip()
    # One quote at each end at most, removed one after the other: a lone "'" becomes "".
    text = text.removeprefix("'").removesuffix("'")
    # Every backslash goes, including those of escapes inside string literals and of line continuations (upstream quirk).
    text = text.replace("\\", "")
    block = _MBPP_PYTHON_BLOCK.search(text)
    if block is not None:
        text = block.group(1).strip().split(_FENCE)[0].strip()
    return text


def mbpp_program(answer: str, tests: str) -> str:
    """Assemble the program MBPP's evaluator runs from a processed answer and the task's newline-joined asserts."""
    return answer + "\n" + tests
