"""HumanEval and MBPP answer processing against the worked examples of the OpenCompass 0.2.4 reference notes.

The examples come from ``opencompass-suites.md`` §11 (``humaneval_postprocess_v2``) and §12 (MBPP's
``_process_answer``), where each was run on OpenCompass 0.2.4; the other cases pin upstream quirks and the one step
that is deliberately different: model text is parsed, never evaluated.
"""

from __future__ import annotations

import pytest

from pytest_llmeval.judging.code import (
    MAX_INTEGER_BITS,
    MAX_LITERAL_LENGTH,
    first_fenced_block,
    humaneval_postprocess_v2,
    humaneval_program,
    literal_string,
    mbpp_process_answer,
    mbpp_program,
)

# --- literal_string: what eval() gives when it gives a str ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'a'", "a"),
        ('"a"', "a"),
        ("u'a'", "a"),
        ("r'a\\n'", "a\\n"),
        ("'a\\nb'", "a\nb"),
        ("'''\ndef f():\n    return 1\n'''", "\ndef f():\n    return 1\n"),
        # eval() skips leading spaces and tabs only; newlines, form feeds, comments and line ends parse as usual.
        (" 'a'", "a"),
        ("\t 'a'", "a"),
        ("\n'a'", "a"),
        ("\r\n'a'", "a"),
        ("\x0c'a'", "a"),
        ("'a'\n", "a"),
        ("'a'\n\n\n", "a"),
        ("'a'\r\n", "a"),
        ("'a'  ", "a"),
        ("'a' # done", "a"),
        ("# note\n'a'", "a"),
        ("'a'\n  # note", "a"),
        ("\\\n'a'", "a"),
        # Constant expressions.
        ("'a' 'b'", "ab"),
        ("('a'\n 'b')", "ab"),
        ("(('a'))", "a"),
        ("'a' + 'b' + 'c'", "abc"),
        ("'ab' * 2", "abab"),
        ("2 * 'ab'", "abab"),
        ("'a' * 2 * 2", "aaaa"),
        ("'a' * 0", ""),
        ("'a' * -1", ""),
        ("'a' * +1", "a"),
        ("'a' * True", "a"),
        ("'a' * False", ""),
        ("f'x{\"y\"}z'", "xyz"),
        ("f'{1}'", "1"),
        ("f'{-1}'", "-1"),
        ("f'{\"a\"!r}'", "'a'"),
        ("f'{\"é\"!a}'", "'\\xe9'"),
        ("f'{\"a\" * 2}-'", "aa-"),
        ("'a' * (1 + 1)", "aa"),
        ("'a' * (3 - 1) * ~-3", "aaaa"),
        ("'a' * (True + True)", "aa"),
        ("2 * 1 * 'a'", "aa"),
        ("'a' * (99999999999999999999 * 0)", ""),
    ],
)
def test_literal_string_values(text: str, expected: str) -> None:
    """Each string expression gives the value eval() gives on Python 3.11."""
    assert literal_string(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # eval() fails on these.
        "'a'\x00",  # null byte
        "'\ud800'",  # lone surrogate: the source cannot be encoded
        "\ufeff'a'",  # a BOM inside a str source is a non-printable character
        "\xa0'a'",  # only spaces and tabs are skipped
        "\x0b'a'",
        "'a'\n  ",  # trailing indented blank line: IndentationError
        "'a';",
        "'a' \\\n",
        "'a' b'b'",
        "'a' + 1",
        "'a' * 'b'",
        "'a' * 2.0",
        "-'a'",
        "'' * 100000000000000000000000",  # the count must fit an index, even for the empty string
        "'a' - 'b'",
        "",
        "   ",
        # eval() succeeds but gives no str.
        "b'a'",
        "1",
        "None",
        "('a', 'b')",
        "['a']",
        # Known divergences: eval() would give a str, these are not computed.
        "__name__",
        "text",
        "str(1)",
        "''.join(['a'])",
        "'ab'[0]",
        "'a'.upper()",
        "'%s' % 'a'",
        "'a' if 1 else 'b'",
        "'a' * 2 ** 3",
        "'a' * (7 // 2)",
        "f'{\"a\":>3}'",
        f"'a' * {MAX_LITERAL_LENGTH + 1}",
        f"'a' * ({2**MAX_INTEGER_BITS} * 0)",
    ],
)
def test_literal_string_refusals(text: str) -> None:
    """Texts whose eval() fails, gives a non-str, or that are not constant string expressions give None."""
    assert literal_string(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "-" * 100_000 + "1",
        "(" * 1_000 + "'a'" + ")" * 1_000,
        "+".join(["'a'"] * 10_000),
        "[" * 100_000,
        "f'{" * 1_000,
    ],
)
def test_literal_string_survives_pathological_nesting(text: str) -> None:
    """Nesting deeper than the parser takes gives None, as eval() fails there too, instead of raising."""
    assert literal_string(text) is None


def test_literal_string_handles_long_chains_beyond_the_python_stack() -> None:
    """A chain the parser accepts is computed even when it is deeper than Python's recursion limit."""
    assert literal_string("+".join(["'a'"] * 1_500)) == "a" * 1_500
    assert literal_string("'a'" + " * 1" * 1_500) == "a"


# --- model text is never run ----------------------------------------------------------------------------------------


def test_humaneval_does_not_run_the_completion(tmp_path) -> None:
    """A completion that would run a shell command under eval() is processed as text and runs nothing."""
    marker = tmp_path / "ran"
    text = f"__import__('os').system('touch {marker}')"
    assert humaneval_postprocess_v2(text) == "    " + text
    assert not marker.exists()


def test_mbpp_does_not_run_the_answer(tmp_path) -> None:
    """An answer that would write a file under eval() is processed as text and writes nothing."""
    marker = tmp_path / "ran"
    text = f"open({str(marker)!r}, 'w').write('x')"
    assert mbpp_process_answer(text) == text.replace("\\", "")
    assert not marker.exists()


@pytest.mark.parametrize("text", ["exit()", "quit()", "raise SystemExit", "__import__('sys').exit(1)", "input()"])
def test_process_continues_after_exit_calls(text: str) -> None:
    """Texts that would end or block the process under eval() are refused and processing goes on."""
    assert literal_string(text) is None
    assert humaneval_postprocess_v2(text) == "    " + text
    assert mbpp_process_answer(text) == text


# --- the shared fence rule ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no fence", "no fence"),
        ("```python\nx = 1\n```", "x = 1\n"),
        ("```\nx = 1\n```", "\nx = 1\n"),  # a block starting with a newline keeps it
        ("a```x = 1```b", "x = 1"),  # no newline in the block: nothing is dropped
        ("```python\nx = 1", "python\nx = 1"),  # a single fence: all after it, opening line included
        ("```a\nb```c\nd```", "b"),  # the first block only
        ("````", "`"),
        ("``````", ""),
    ],
)
def test_first_fenced_block(text: str, expected: str) -> None:
    """Both postprocessors take the first fenced block the same way."""
    assert first_fenced_block(text) == expected


# --- HumanEval (§11) ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # §11, ran on OpenCompass 0.2.4.
        (
            "    for i in range(3):\n        pass\n    return True\n\ndef helper():\n    pass\n",
            "    for i in range(3):\n        pass\n    return True",
        ),
        ("```python\ndef f(x):\n    return x + 1\n```", "    return x + 1"),
        ("  return 1\n  # done", "    return 1\n  # done"),
        ("return 1\nprint(2)", "    return 1\n    print(2)"),
        ("\"    return 'ok'\"", "    return 'ok'"),
        ("    x = 1\n  y = 2\n    return x", "    x = 1"),
    ],
)
def test_humaneval_worked_examples(text: str, expected: str) -> None:
    """Every worked example of §11 gives the text OpenCompass 0.2.4 gave."""
    assert humaneval_postprocess_v2(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A quoted completion is unquoted first (step 1), escapes included.
        ('"def f():\\n    return 1\\n"', "    return 1"),
        ("\n\n    return 1", "    return 1"),
        ("import math\ndef f(x):\n    return math.sqrt(x)", "    return math.sqrt(x)"),
        # "def" is found inside "default": the text up to the end of that line goes.
        ("import os\nx = default\n  return x", "    return x"),
        # No newline after "def": nothing is dropped by that step.
        ("from a import b; def", "    from a import b; def"),
        # A whitespace-only first line is the one dropped when "def" starts the second line.
        ("   \ndef f():\n  return 1", "    def f():\n      return 1"),
        # Leading whitespace of the first line, newlines and tabs included, becomes four spaces.
        (" \n\tx = 1\n    return x", "    x = 1\n    return x"),
        # A single fence keeps its opening line as code.
        ("```python\n    return 1", "    python\n        return 1"),
        # Comment and string lines neither set nor end the block.
        ("# note\n  return 1\nfoo()", "    # note\n      return 1"),
        ("  return 1\n'doc'\n#c\nfoo()", "    return 1\n'doc'\n#c"),
        ("", "    "),
    ],
)
def test_humaneval_quirks(text: str, expected: str) -> None:
    """Upstream quirks of ``humaneval_postprocess_v2`` are kept."""
    assert humaneval_postprocess_v2(text) == expected


def test_humaneval_program() -> None:
    """The program is the prompt, the completion, the test and the check call, joined as human-eval joins them."""
    prompt = 'def f(x):\n    """Add one."""\n'
    test = "def check(candidate):\n    assert candidate(1) == 2\n"
    assert humaneval_program(prompt, "    return x + 1", test, "f") == (
        prompt + "    return x + 1\n" + test + "\ncheck(f)"
    )


# --- MBPP (§12) -----------------------------------------------------------------------------------------------------

# The first few-shot answer's code as the MBPP template holds it, real \r\n line ends included.
_SHOT_CODE = (
    "def similar_elements(test_tup1, test_tup2):\r\n  res = tuple(set(test_tup1) & set(test_tup2))\r\n  return (res)"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # §12, ran on OpenCompass 0.2.4.
        (
            " 'def remove_Occ(s,ch): \r\n    return …' \n[DONE] \n\n \nYou are…",
            "def remove_Occ(s,ch): \r\n    return …",
        ),
        ('def g():\n    return "a\\nb"', 'def g():\n    return "anb"'),
    ],
)
def test_mbpp_worked_examples(text: str, expected: str) -> None:
    """Every worked example of §12 gives the text OpenCompass 0.2.4 gave."""
    assert mbpp_process_answer(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The few-shot answer format, with its real \r\n line ends.
        (f"[BEGIN]\n '{_SHOT_CODE}' \n[DONE] \n\n ", _SHOT_CODE),
        ("[BEGIN]'x = 1'[DONE]", "x = 1"),
        ("BEGIN 'x = 1' DONE", "x = 1"),
        # A quoted answer is unquoted first (step 1), so its escapes become real characters before backslashes go.
        ("'def f():\\n    return 1'", "def f():\n    return 1"),
        ("```python\ndef f():\n    return 1\n```\n[DONE]", "def f():\n    return 1"),
        # Markers are found inside words.
        ("def DONEx(): pass", "def"),
        ("BEGINNER = 1", "NER = 1"),
        ("'", ""),
        ("''", ""),
        ('print("a\\tb")', 'print("atb")'),
        # A fence only appears once backslashes are deleted, so the last step still finds it.
        ("``\\`python\nx = 1\n``\\`", "x = 1"),
    ],
)
def test_mbpp_quirks(text: str, expected: str) -> None:
    """Upstream quirks of ``_process_answer`` are kept."""
    assert mbpp_process_answer(text) == expected


def test_mbpp_program() -> None:
    """The program is the processed answer, a newline, and the task's asserts."""
    tests = "assert f(1) == 2\nassert f(2) == 3"
    assert mbpp_program("def f(x):\n    return x + 1", tests) == "def f(x):\n    return x + 1\n" + tests
