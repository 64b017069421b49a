"""Answer extraction and accuracy: pure functions, each rule named for its origin."""

from __future__ import annotations


def first_capital(text: str) -> str:
    """OpenCompass's ``first_capital_postprocess``: the first character for which ``str.isupper()`` holds.

    Reproduced as is, weakness included: "The answer is B" yields "T".
    """
    for char in text:
        if char.isupper():
            return char
    return ""


POSTPROCESSORS = {"first_capital": first_capital}
