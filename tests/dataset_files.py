"""Small original data files in MMLU's and CMMLU's layouts, written by the tests (no real data is shipped).

Each subject gets 5 dev rows (the shots) and a few test rows; the texts exercise what the real files
hold: quoted fields with commas and line breaks, CRLF line ends, a UTF-8 BOM.
"""

from __future__ import annotations

from pathlib import Path

MMLU = ("anatomy", "philosophy", "marketing")
CMMLU = ("agronomy", "ancient_chinese", "arts")


def _csv(rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text

    return "".join(",".join(cell(c) for c in row) + "\r\n" for row in rows)


def _rows(subject: str, count: int, start: int) -> list[list[str]]:
    letters = "ABCD"
    return [
        [
            f"{subject} question {i}, part one\nline two",
            f"opt {i}a",
            f"opt {i}b",
            f"opt {i}c",
            f"opt {i}d",
            letters[i % 4],
        ]
        for i in range(start, start + count)
    ]


def write_mmlu(data: Path, tests: int = 3) -> Path:
    """``data/mmlu/{dev,test}/<subject>_<split>.csv``, no header row."""
    for subject in MMLU:
        for split, rows in (("dev", _rows(subject, 5, 0)), ("test", _rows(subject, tests, 100))):
            path = data / "mmlu" / split / f"{subject}_{split}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_csv(rows), encoding="utf-8", newline="")
    return data


def write_cmmlu(data: Path, tests: int = 3) -> Path:
    """``data/cmmlu/{dev,test}/<subject>.csv`` with the ``,Question,A,B,C,D,Answer`` header and a BOM."""
    for subject in CMMLU:
        for split, rows in (("dev", _rows(subject, 5, 0)), ("test", _rows(subject, tests, 100))):
            path = data / "cmmlu" / split / f"{subject}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            indexed = [["", "Question", "A", "B", "C", "D", "Answer"]] + [[str(n), *r] for n, r in enumerate(rows)]
            path.write_text("\ufeff" + _csv(indexed), encoding="utf-8", newline="")
    return data
