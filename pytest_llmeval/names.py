"""Text from users' files and models' outputs, made safe to name files with and to print.

Names (a custom dataset's abbr, the model's abbr) become file and folder names under the run folder
and are printed in the table, so they are refused at start-up when they could leave the folder or
steer a terminal. Model output is never refused, only shown with its control characters spelled out.
"""

from __future__ import annotations

import unicodedata

# Explicit direction controls: printed raw they reorder the rest of the line (the "Trojan Source" trick).
# Right-to-left letters themselves (Hebrew, Arabic) are ordinary text and are printed as they are.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MAX_NAME = 200


def _hidden(char: str) -> bool:
    """A character a terminal acts on instead of showing: C0/C1 controls (ESC, CR, BEL, ...) and bidi controls."""
    return unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a results file, or None when it can."""
    if not name:
        return "it is empty"
    if "/" in name or "\\" in name:
        return "it holds a path separator"
    if name.startswith("."):
        return "it starts with a dot"
    if any(_hidden(char) for char in name):
        return "it holds a control character"
    if len(name) > MAX_NAME:
        return f"it is longer than {MAX_NAME} characters"
    return None


def literal(text: str, limit: int = 60) -> str:
    """``text`` quoted for a terminal line: control and direction characters as escapes, long text cut with …."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    shown = "".join(
        char if not _hidden(char) else (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
        for char in cut
    )
    return f"'{shown}'"
