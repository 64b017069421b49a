"""When an extraction rule's answer is final, so generation may stop early (OpenCompass 0.2.4 itself never stops early).

Contract: for a rule with extraction function ``extract`` and predicate ``fixed``, whenever ``fixed(t)`` is true then
``extract(t + s) == extract(t)`` for every string ``s``, and ``fixed(t + s)`` stays true. ``t`` is the decoded
generated text so far, the very string the extraction function would receive; the guarantee is about appending
characters, so a caller must only feed texts that later texts extend (hold back a trailing partial character of an
incomplete multi-byte token, for instance). The predicates are deliberately conservative: they may say "not yet" when
the answer is in fact final, never "final" when a continuation could still change it. Each condition is derived from
the extraction function itself (``pytest_llmeval.judging.reasoning``, and ``scoring.first_capital``), not only from the
reference notes, and the property tests in ``tests/unit/test_stop_rules.py`` check it.

For ``pred_role="BOT"`` rules (BBH) the guarantee is about the text the postprocessor receives, i.e. after
``reasoning.bot_turn``; with special tokens skipped in decoding the chat markers never appear and the two coincide.
"""

from __future__ import annotations

from pytest_llmeval.records import StopRule, partial_suffix

# The marker both BBH postprocessors split on. It has no border (no proper prefix equal to a suffix), and neither has
# any prefix of it, so occurrences never overlap and at most one suffix of a text can be an unfinished start of it.
_ANSWER_IS = "answer is "


def first_capital_fixed(text: str) -> bool:
    """``first_capital`` returns the first ``str.isupper()`` character: once one exists, later text cannot precede it."""
    return any(char.isupper() for char in text)


def gsm8k_fixed(text: str) -> bool:
    """``gsm8k_postprocess`` reads only the text before the first "Question:"; once that marker is in, it is settled."""
    # An earlier occurrence created by appending would have to end inside the text already there, so the first
    # occurrence - and the part before it - can no longer move. Before the marker, any digit may still extend or follow
    # the last number (and "\d" matches Unicode digits), so nothing else is final.
    return "Question:" in text


def math_fixed(text: str) -> bool:
    """``math_postprocess`` returns the first "."-piece containing "final answer": final once such a piece is closed."""
    # Appending only ever extends the last piece of text.split("."); every earlier piece (each followed by a ".") is
    # final, and so is the first of them to match. The test is the extraction's own (piece.lower()), so no Unicode
    # case-mapping subtlety can make the two disagree; an unterminated last piece may still grow or lose its match.
    return any("final answer" in piece.lower() for piece in text.split(".")[:-1])


def _after_first_answer_is(text: str) -> tuple[int, str] | None:
    # How many "answer is " the text holds (capped at 2) and what follows the first one; None without any.
    parts = text.split(_ANSWER_IS, 2)
    if len(parts) == 1:
        return None
    return len(parts) - 1, parts[1]


def _without_unfinished_marker(after: str) -> str:
    # A continuation can complete a second "answer is " that starts in the tail of the text, which would cut the
    # postprocessor's window there. Drop that tail (a suffix that is a proper prefix of the marker) before deciding.
    return after[: len(after) - partial_suffix(after, _ANSWER_IS)]


def bbh_mcq_fixed(text: str) -> bool:
    """``bbh_mcq_postprocess``: final once a second "answer is " closes the window, or the window has a "(" + capital."""
    found = _after_first_answer_is(text)
    if found is None:
        # Without "answer is " the whole text is searched, and a later "answer is " would replace it.
        return False
    count, after = found
    if count >= 2:
        return True
    # The first "(X" (X in A-Z) after the marker is the answer. Neither "(" nor a capital occurs in "answer is ", so a
    # second marker completed later cannot start before that "(X"; strip() only trims whitespace, and no earlier match
    # can appear because everything before "(X" is already there.
    return _has_paren_capital(after)


def _has_paren_capital(window: str) -> bool:
    return any(window[i] == "(" and "A" <= window[i + 1] <= "Z" for i in range(len(window) - 1))


def bbh_freeform_fixed(text: str) -> bool:
    """``bbh_freeform_postprocess``: final once a second "answer is " appears, or the first answer line is complete."""
    found = _after_first_answer_is(text)
    if found is None:
        # Without "answer is " the raw first line is the answer, and a later "answer is " would replace it.
        return False
    count, after = found
    if count >= 2:
        return True
    # The answer is window.strip().split("\n")[0] minus one trailing ".", where the window runs from the marker to a
    # second marker (or the end). Only what is surely inside every future window counts.
    window = _without_unfinished_marker(after)
    start = next((i for i, char in enumerate(window) if not char.isspace()), None)
    if start is None:
        return False  # strip() would still skip this whitespace, including newlines: the answer has not begun
    newline = window.find("\n", start)
    if newline < 0:
        return False  # the first line can still grow
    # strip() must not eat back into the first line: safe if the line ends in a non-space (rstrip stops there at worst)
    # or if something non-space already follows the newline (rstrip never reaches it). Otherwise "5 \n" + "Q" keeps
    # "5 " but "5 \n" alone gives "5".
    if not window[newline - 1].isspace():
        return True
    return any(not char.isspace() for char in window[newline + 1 :])


# Keyed by scoring-rule name. Rules without a guarantee are deliberately absent, so nothing ever stops early on them:
# - first_option (OpenCompass's first_option_postprocess, HellaSwag/ARC/Winogrande gen): a pattern earlier in its list
#   can still match later text, and several patterns are anchored at the end of the text;
# - option_sim (Levenshtein option matching): the closest option depends on the whole text;
# - exact: the whole text is compared, so any continuation changes it;
# - regex, list (user-defined extraction): an arbitrary pattern or list gives no general guarantee;
# - math_v2 (math_postprocess_v2): the *last* "\boxed{" wins, so a later one always replaces the answer;
# - theoremqa (TheoremQA_postprocess_v2): the answer is read from the last line, which any later line replaces.
# (HumanEval's and MBPP's postprocessors are no scoring rules here; they would not qualify either: both first try
# eval() on the whole text, and a later code fence switches them to code-block extraction.)
# - GAOKAO-Bench's rules (judging.gaokao): single choice reads the *last* A-D of the whole text, multiple choice the
#   last 10 characters (without a tag), the others the first few capitals or a count of 【答案】 tags that one more tag
#   changes; later text can always change each of them, and the cloze papers score 0 whatever is written.
STOPS: dict[str, StopRule] = {
    "first_capital": StopRule("first_capital", first_capital_fixed),
    # gsm8k_fixed is exactly the marker's presence, so a server can stop on it as a stop string.
    "gsm8k": StopRule("gsm8k", gsm8k_fixed, markers=("Question:",)),
    "math": StopRule("math", math_fixed),
    "bbh_mcq": StopRule("bbh_mcq", bbh_mcq_fixed),
    "bbh_freeform": StopRule("bbh_freeform", bbh_freeform_fixed),
}
