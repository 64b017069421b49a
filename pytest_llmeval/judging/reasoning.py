"""Answer extraction and equality for the reasoning suites (GSM8K, MATH, BBH), reproducing OpenCompass 0.2.4 exactly.

Every function here is a pure, from-scratch re-implementation of one OpenCompass 0.2.4 postprocessor or evaluator
step, written to give byte-for-byte the same output on every input (the scores must match OpenCompass's), so the
upstream quirks are kept on purpose and flagged where they occur: GSM8K reads ``1,000`` as ``000``, MATH cuts an
answer at its first ``.`` and turns ``\\dfrac`` into ``\\df\\frac``, BBH does not recognise ``answer is`` without a
following space, and ``strip_string`` raises where upstream's ``_strip_string`` raises, because ``math_equal`` (like
upstream's ``is_equiv``) relies on those exceptions to skip a comparison step.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

# GSM8K: a number is an optional minus, digits, and optionally one decimal part. ``\d`` is Unicode-aware here, as in
# OpenCompass, so other scripts' digits count too; the decimal alternative comes first so "2.5" is one match.
_GSM8K_NUMBER = re.compile(r"-?\d+\.\d+|-?\d+")

# InternLM2's chat meta template: the BOT role's begin and end strings (``pred_role="BOT"`` cuts between them).
_BOT_BEGIN = "<|im_start|>assistant\n"
_BOT_END = "<|im_end|>\n"

# normalize_final_answer, step 1: plain replacements, applied in this order. The first two delete "an " and "a "
# anywhere (inside words too, e.g. "banana " loses "an "); "\le" -> "<" also hits "\left" (so "\left[" becomes "<ft["
# before "ft" is deleted in step 2) - upstream behaviour, kept.
_SUBSTITUTIONS: tuple[tuple[str, str], ...] = (
    ("an ", ""),
    ("a ", ""),
    (".$", "$"),
    ("\\$", ""),
    ("\\ ", ""),
    (" ", ""),
    ("mbox", "text"),
    (",\\text{and}", ","),
    ("\\text{and}", ","),
    ("\\text{m}", "\\text{}"),
    ("\\le", "<"),
)

# normalize_final_answer, step 2: substrings deleted, in this order. Unit words are deleted anywhere, even inside other
# words ("ft" from "\infty" leaves "\iny"); the order matters ("\text{}^2" must go before "\text{}").
_REMOVED = (
    "square",
    "ways",
    "integers",
    "dollars",
    "mph",
    "inches",
    "ft",
    "hours",
    "km",
    "units",
    "\\ldots",
    "sue",
    "points",
    "feet",
    "minutes",
    "digits",
    "cents",
    "degrees",
    "cm",
    "gm",
    "pounds",
    "meters",
    "meals",
    "edges",
    "students",
    "childrentickets",
    "multiples",
    "\\text{s}",
    "\\text{.}",
    "\\text{\ns}",
    "\\text{}^2",
    "\\text{}^3",
    "\\text{\n}",
    "\\text{}",
    "\\mathrm{th}",
    "^\\circ",
    "^{\\circ}",
    "\\;",
    ",\\!",
    "{,}",
    '"',
    "\\dots",
    "\n",
    "\r",
    "\f",
)

# normalize_final_answer, step 3: unwrap these commands, keeping the inside (group 2). All lazy but the last: a greedy
# "\boxed{...}" keeps everything up to the final "}" of the string.
_UNWRAP = tuple(
    re.compile(pattern)
    for pattern in (
        r"(\\text\{)\((.*?)\)(\})",
        r"(\\text\{)(.*?)(\})",
        r"(\\textbf\{)(.*?)(\})",
        r"(\\overline\{)(.*?)(\})",
        r"(\\boxed\{)(.*)(\})",
    )
)

# normalize_final_answer, step 4: each pattern, when it matches, replaces the text with its last capture. "answer?is"
# is upstream's typo-tolerant pattern ("answeis" matches too), kept.
_LAST_CAPTURE = tuple(
    re.compile(pattern) for pattern in (r"finalansweris(.*)", r"answer?is:?(.*)", r"oxed\{(.*?)\}", r"\$(.*?)\$")
)

_SHORT_FRAC = re.compile(r"(frac)([^{])(.)")
_SHORT_SQRT = re.compile(r"(sqrt)([^{])")

# bbh_mcq_postprocess: a "(" followed by an ASCII capital (the optional ")" repetitions do not change which letter is
# captured), else any ASCII capital.
_BBH_PAREN_LETTER = re.compile(r"\(([A-Z])\)*")
_BBH_LETTER = re.compile(r"([A-Z])")


def gsm8k_postprocess(text: str) -> str:
    """OpenCompass's ``gsm8k_postprocess``: the last number before the first "Question:", or "NULL" if there is none."""
    # Only the first "Question:" (case-sensitive) cuts: a model that goes on to invent the next question is ignored.
    # The last number wins, so "1,000" gives "000" and "5-3" ends in "-3"; both are upstream behaviour, kept.
    numbers = _GSM8K_NUMBER.findall(text.split("Question:")[0])
    return numbers[-1] if numbers else "NULL"


def gsm8k_gold(answer: str) -> str:
    """OpenCompass's ``gsm8k_dataset_postprocess``: the text after the first "#### " with every comma removed."""
    # Indexing [1] raises on an answer without "#### ", as upstream does; every GSM8K answer has exactly one.
    return answer.split("#### ")[1].replace(",", "")


def gsm8k_equal(pred: str, ref: str) -> bool:
    """OpenCompass's ``Gsm8kEvaluator.is_equal``: equal strings, or a float prediction within 1e-6 of the integer gold."""
    try:
        # int(ref) on purpose: a gold with a decimal point would never match numerically (GSM8K has none).
        return pred == ref or abs(float(pred) - int(ref)) < 1e-6
    except Exception:  # noqa: BLE001 - upstream swallows every error ("NULL", a non-integer gold) as "wrong"
        return False


def normalize_final_answer(answer: str) -> str:
    """OpenCompass's ``normalize_final_answer`` (from Minerva's MATH normalisation), step for step."""
    for before, after in _SUBSTITUTIONS:
        answer = answer.replace(before, after)
    for expression in _REMOVED:
        answer = answer.replace(expression, "")
    for pattern in _UNWRAP:
        answer = pattern.sub(r"\2", answer)
    # Upstream asserts here that no "\n", "\r" or "\f" is left; step 2 deleted them all, so the asserts never fire.
    for pattern in _LAST_CAPTURE:
        captures = pattern.findall(answer)
        if captures:
            answer = captures[-1]
    answer = answer.strip()
    # "rac" without "\frac" is taken for a fraction missing its "\f" and every "rac" becomes "\frac", inside words
    # too; "\dfrac" has no "\frac" either, hence "\dfrac{9}{7}" -> "\df\frac{9}{7}" - upstream behaviour, kept.
    if "rac" in answer and "\\frac" not in answer:
        answer = answer.replace("rac", "\\frac")
    answer = _SHORT_FRAC.sub(r"frac{\2}{\3}", answer)
    answer = _SHORT_SQRT.sub(r"sqrt{\2}", answer)
    answer = answer.replace("$", "")
    # str.isdigit is Unicode-aware (superscripts count as digits), as upstream.
    if answer.replace(",", "").isdigit():
        answer = answer.replace(",", "")
    return answer


def math_postprocess(text: str) -> str:
    """OpenCompass's ``math_postprocess``: the first "."-separated piece mentioning "final answer", normalised."""
    # Splitting on every "." is upstream's: "The final answer is $2.5$." yields "2", decimals lose their fraction.
    pieces = text.split(".")
    for piece in pieces:
        if "final answer" in piece.lower():
            return normalize_final_answer(piece)
    return normalize_final_answer(pieces[0])


def _fix_sqrt(text: str) -> str:
    # "\sqrt3" -> "\sqrt{3}". A "\sqrt" with nothing after it (at the end, or directly followed by another "\sqrt")
    # raises IndexError, exactly where upstream's ``_fix_sqrt`` does.
    if "\\sqrt" not in text:
        return text
    head, *tails = text.split("\\sqrt")
    out = [head]
    for tail in tails:
        if tail[0] != "{":
            out.append("\\sqrt{" + tail[0] + "}" + tail[1:])
        else:
            out.append("\\sqrt" + tail)
    return "".join(out)


def fix_fracs(text: str) -> str:
    # "\frac12" -> "\frac{1}{2}", "\frac1{72}" -> "\frac{1}{72}". A "\frac" with fewer than two characters after it
    # makes upstream give up and return its input unchanged (even the parts it had already fixed).
    head, *tails = text.split("\\frac")
    out = [head]
    for tail in tails:
        out.append("\\frac")
        if tail[:1] == "{":
            out.append(tail)
            continue
        if len(tail) < 2:
            return text
        first, second, rest = tail[0], tail[1], tail[2:]
        if second != "{":
            out.append("{" + first + "}{" + second + "}" + rest)
        else:
            out.append("{" + first + "}" + second + rest)
    return "".join(out)


def fix_a_slash_b(text: str) -> str:
    # "1/2" -> "\frac{1}{2}" when both sides are integers written canonically. int() raising ValueError on a
    # non-integer side is NOT caught (upstream only catches the canonical-form check), so "1/x" raises here.
    parts = text.split("/")
    if len(parts) != 2:
        return text
    numerator, denominator = int(parts[0]), int(parts[1])
    if text != f"{numerator}/{denominator}":
        return text
    return "\\frac{" + str(numerator) + "}{" + str(denominator) + "}"


def lead_zero_and_value(text: str) -> str:
    """A leading "." gets its 0, and "k = 3" becomes "3" (a left side of at most two characters is taken for a
    variable name): the step both MATH normalisations share. ``text`` is not empty."""
    if text[0] == ".":
        text = "0" + text
    sides = text.split("=")
    return sides[1] if len(sides) == 2 and len(sides[0]) <= 2 else text


def strip_string(text: str) -> str:
    """OpenCompass's ``MATHEvaluator._strip_string`` (version v1), raising where it raises (``math_equal`` needs that)."""
    text = text.replace("\n", "")
    text = text.replace("\\!", "")
    text = text.replace("\\\\", "\\")
    text = text.replace("tfrac", "frac")
    text = text.replace("dfrac", "frac")
    text = text.replace("\\left", "")
    text = text.replace("\\right", "")
    text = text.replace("^{\\circ}", "")
    text = text.replace("^\\circ", "")
    text = text.replace("\\$", "")
    # Units after "\text{ " are cut off; upstream asserts there is only one such occurrence, so two raise here.
    if "\\text{ " in text:
        parts = text.split("\\text{ ")
        if len(parts) != 2:
            raise ValueError("more than one '\\text{ ' in a MATH answer (upstream's assertion)")
        text = parts[0]
    # Upstream deletes "\%" twice (its second pattern was meant as "%" but is the same string); a bare "%" stays. The
    # second pass matters: "\\%%" -> "\%" after the first (the deletion joins a "\" and a "%"), "" after the second.
    text = text.replace("\\%", "")
    text = text.replace("\\%", "")
    text = text.replace(" .", " 0.")
    text = text.replace("{.", "{0.")
    if not text:
        return text
    text = lead_zero_and_value(text)
    text = _fix_sqrt(text)
    text = text.replace(" ", "")
    text = fix_fracs(text)
    if text == "0.5":
        text = "\\frac{1}{2}"
    return fix_a_slash_b(text)


def _stripped_equal(pred: str, ref: str, strip: Callable[[str], str]) -> bool:
    # Step (a): the stripped forms are equal, or their normalisations are.
    stripped_pred, stripped_ref = strip(pred), strip(ref)
    return stripped_pred == stripped_ref or normalize_final_answer(stripped_pred) == normalize_final_answer(
        stripped_ref
    )


def _normalized_equal(pred: str, ref: str) -> bool:
    # Step (b): the raw strings normalise alike; this is how math_postprocess's "\df\frac{9}{7}" meets "\dfrac{9}{7}".
    return normalize_final_answer(pred) == normalize_final_answer(ref)


def _quietly(step: Callable[[str, str], bool], pred: str, ref: str) -> bool:
    try:
        return step(pred, ref)
    except Exception:  # noqa: BLE001 - upstream's try blocks turn any failure (strip_string's raises) into "not equal"
        return False


def math_equal(pred: str | None, ref: str | None, strip: Callable[[str], str] = strip_string) -> bool:
    """OpenCompass's ``MATHEvaluator.is_equiv``: three ways to be equal, each skipped if it raises.

    ``strip`` is the version's ``_strip_string``: v1's ``strip_string`` by default; v2 passes its own
    (``postprocess_v2.strip_string_v2``) and is otherwise the same function.
    """
    if pred is None and ref is None:
        return True
    if pred is None or ref is None:
        return False
    # An exception anywhere in step (a) skips the rest of (a) - upstream's single try block - then (b), then (c) plain
    # string equality.
    return (
        _quietly(functools.partial(_stripped_equal, strip=strip), pred, ref)
        or _quietly(_normalized_equal, pred, ref)
        or pred == ref
    )


def bbh_mcq_postprocess(text: str) -> str:
    """OpenCompass's ``bbh_mcq_postprocess``: the option letter after the first "answer is ", else in the whole text."""
    # Only the text between the first and a second "answer is " (with the space) is searched; "answer is:" or a
    # missing space falls back to the whole text. Golds go through this too: "(A)" -> "A", "Monsters, Inc" -> "M".
    parts = text.split("answer is ")
    answer = parts[1].strip() if len(parts) > 1 else text
    match = _BBH_PAREN_LETTER.search(answer) or _BBH_LETTER.search(answer)
    # No capital at all: the (possibly stripped) text itself is the answer, e.g. "(b)." stays "(b).".
    return match.group(1) if match else answer


def bbh_freeform_postprocess(text: str) -> str:
    """OpenCompass's ``bbh_freeform_postprocess``: the first line after the first "answer is ", minus one final "."."""
    parts = text.split("answer is ")
    # Stripped only when "answer is " was found, so "5 \nQ" keeps its trailing space while "5 \n" (stripped first)
    # does not; without "answer is " the raw first line is the answer.
    answer = parts[1].strip() if len(parts) > 1 else text
    answer = answer.split("\n")[0]
    # Exactly one "." is dropped: "Yes.." gives "Yes.".
    return answer.removesuffix(".")


def bot_turn(text: str) -> str:
    """OpenCompass's ``extract_role_pred`` for ``pred_role="BOT"`` with InternLM2's chat meta template."""
    # Text after the first "<|im_start|>assistant\n" (if any), up to the next "<|im_end|>\n" after it (if any).
    start = text.find(_BOT_BEGIN)
    start = 0 if start < 0 else start + len(_BOT_BEGIN)
    end = text.find(_BOT_END, start)
    return text[start:] if end < 0 else text[start:end]
