"""HellaSwag, ARC, Winogrande, PIQA, SIQA, RACE and BoolQ rows, built as OpenCompass 0.2.4's loaders build them.

Prompts are filled from a row's columns in column order, so each reader keeps its loader's column names, order and
quirks (``opencompass-suites.md`` §4-§10). A row the loader would crash on, or silently give a gold no option can
match, is refused here with one line naming the file, the line and the row, before any model loads.
"""

from __future__ import annotations

import json
from pathlib import Path

from pytest_llmeval.datasets.gsm8k import read_jsonl
from pytest_llmeval.datasets.readers import LETTERS, read_text
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question

Columns = tuple[tuple[str, str], ...]

_KINDS = {str: "a string", list: "a list", dict: "an object", int: "an integer", object: "a value"}


def _shown(value: object) -> str:
    """A value as the JSON file writes it (``1`` and ``"1"`` differ), cut short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _need(row: dict, where: str, dataset: str, **kinds: type) -> list:
    """The values of the named fields, each of its kind; one line naming the first missing or mistyped field."""
    missing = [name for name in kinds if name not in row]
    if missing:
        need = ", ".join(f'"{name}"' for name in kinds)
        raise LlmEvalError(f'{where} has no "{missing[0]}"; {dataset} rows need {need}')
    for name, kind in kinds.items():
        value = row[name]
        # JSON true/false are Python ints: refuse them where a number is meant.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise LlmEvalError(f'{where}: "{name}" is {_shown(value)}; {dataset} rows need {_KINDS[kind]} there')
    return [row[name] for name in kinds]


def _texts(values: list, where: str, what: str) -> tuple[str, ...]:
    """Option texts that must be strings: they are pasted into prompts."""
    for number, value in enumerate(values):
        if not isinstance(value, str):
            raise LlmEvalError(f"{where}: {what} {number} is {_shown(value)}, not a string")
    return tuple(values)


def _columns(pairs: dict) -> Columns:
    return tuple((name, str(value)) for name, value in pairs.items())


# --- HellaSwag (§4) -----------------------------------------------------------------------------------------------


def _hellaswag(path: Path, splits: int, gen: bool) -> tuple[Question, ...]:
    questions = []
    for number, row in read_jsonl(path):
        where = f"{path}:{number}: row {len(questions)}"
        query, choices, gold = _need(row, where, "hellaswag", query=str, choices=list, gold=int)
        if len(choices) != 4:
            raise LlmEvalError(f"{where} has {len(choices)} choices; hellaswag rows have 4")
        endings = _texts(choices, where, "choice")
        if not 0 <= gold <= 3:
            raise LlmEvalError(f"{where} has gold {gold}; hellaswag golds are 0-3, the index of the right ending")
        # The ppl loader splits at most twice, so a context holding ": " itself loses its start (218 real rows).
        ctx = query.split(": ", splits)[-1]
        label = LETTERS[gold] if gen else str(gold)
        columns = {"ctx": ctx, **dict(zip(LETTERS, endings)), "label": label}
        questions.append(Question(len(questions), ctx, endings, label, _columns(columns), "label"))
    return tuple(questions)


def read_hellaswag(path: Path, split: str) -> tuple[Question, ...]:
    """``hellaswag.jsonl`` as hellaswagDataset (ppl) reads it: the gold is the ending's index, "0"-"3"."""
    return _hellaswag(path, 2, gen=False)


def read_hellaswag_gen(path: Path, split: str) -> tuple[Question, ...]:
    """``hellaswag.jsonl`` as hellaswagDataset_V2 (gen) reads it: the whole context, the gold a letter."""
    return _hellaswag(path, 1, gen=True)


# --- ARC (§5) -----------------------------------------------------------------------------------------------------


def read_arc(path: Path, split: str) -> tuple[Question, ...]:
    """An ARC ``*-Dev.jsonl``; rows without exactly 4 choices are dropped, as ARCDataset drops them."""
    try:
        # ARCDataset opens the file with errors="ignore": bytes that are not UTF-8 vanish instead of failing.
        text = path.read_text(encoding="utf-8", errors="ignore")
    except FileNotFoundError:
        raise LlmEvalError(f"{path}: file not found") from None
    questions = []
    for number, row in read_jsonl(path, text):
        where = f"{path}:{number}: row {len(questions)}"
        (item,) = _need(row, where, "ARC", question=dict)
        (choices,) = _need(item, f'{where}: "question"', "ARC questions", choices=list)
        if len(choices) != 4:
            continue  # the loader's own filter, before it looks at anything else in the row
        (stem,) = _need(item, f'{where}: "question"', "ARC questions", stem=str)
        for place, choice in enumerate(choices):
            if not isinstance(choice, dict) or "label" not in choice or not isinstance(choice.get("text"), str):
                raise LlmEvalError(
                    f'{where}: choice {place} needs a "label" and a "text" string (has {_shown(choice)})'
                )
        labels = [choice["label"] for choice in choices]
        if "answerKey" not in row:
            raise LlmEvalError(f'{where} has no "answerKey"; ARC rows need "question" and "answerKey"')
        key = row["answerKey"]
        if key not in labels:
            shown = ", ".join(_shown(label) for label in labels)
            raise LlmEvalError(
                f"{where} has answerKey {_shown(key)}, not one of its choices' labels ({shown}); "
                "set it to the right choice's label"
            )
        # By position among the labels, so rows labelled 1-4 get A-D too.
        answer = LETTERS[labels.index(key)]
        texts = tuple(choice["text"] for choice in choices)
        columns = {"question": stem, "answerKey": answer, **{f"text{x}": t for x, t in zip(LETTERS, texts)}}
        questions.append(Question(len(questions), stem, texts, answer, _columns(columns), "answerKey"))
    if not questions:
        raise LlmEvalError(f"{path}: no rows with 4 choices (ARC drops the others)")
    return tuple(questions)


# --- Winogrande (§6) ----------------------------------------------------------------------------------------------


def _winogrande(path: Path, gen: bool) -> tuple[Question, ...]:
    questions = []
    for number, row in read_jsonl(path):
        where = f"{path}:{number}: row {len(questions)}"
        sentence, option1, option2, answer = _need(
            row, where, "winogrande", sentence=str, option1=str, option2=str, answer=str
        )
        blanks = sentence.count("_")
        if blanks != 1:
            # The loader fills every "_" but scores only the text between the first two as the continuation.
            raise LlmEvalError(
                f'{where}: the sentence has {blanks} blanks ("_"); winogrande sentences have exactly one, '
                "where the options go"
            )
        if answer not in ("1", "2") and not (gen and answer == ""):
            allowed = '"1", "2" or "" (unlabelled)' if gen else '"1" or "2"'
            raise LlmEvalError(f"{where} has answer {_shown(answer)}; winogrande answers are {allowed}")
        if gen:
            answer = " AB"[int(answer)] if answer else "NULL"
        opt1, opt2 = sentence.replace("_", option1), sentence.replace("_", option2)
        columns = {"opt1": opt1, "opt2": opt2, "answer": answer, "cont": sentence.split("_")[1]}
        questions.append(Question(len(questions), sentence, (opt1, opt2), answer, _columns(columns), "answer"))
    return tuple(questions)


def read_winogrande(path: Path, split: str) -> tuple[Question, ...]:
    """``winogrande/dev.jsonl`` as winograndeDataset (ll) reads it: the gold is "1" or "2"."""
    return _winogrande(path, gen=False)


def read_winogrande_gen(path: Path, split: str) -> tuple[Question, ...]:
    """``winogrande/dev.jsonl`` as winograndeDataset_V2 (gen) reads it: the gold is "A" or "B"."""
    return _winogrande(path, gen=True)


# --- PIQA and SIQA (§7, §8): labels in a file beside the data ------------------------------------------------------


def _lines(text: str) -> list[str]:
    """A file's lines as ``readlines`` gives them, less blank lines at the end (editors add them; nothing is lost)."""
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _labelled(
    path: Path, dataset: str, fields: tuple[str, ...], options: tuple[str, ...], labels: tuple[int, ...]
) -> tuple[Question, ...]:
    """``<split>.jsonl`` rows, each given the label on the same line of ``<split>-labels.lst``; ``fields`` are the
    row's texts the prompts need, the question text first, then the ``options``."""
    # OpenCompass also reads train.jsonl and train-labels.lst, which no prompt here uses.
    data = read_text(path)
    labels_path = path.with_name(f"{path.stem}-labels.lst")
    if not labels_path.is_file():
        raise LlmEvalError(
            f"{labels_path}: file not found; {dataset} keeps the labels of {path.name} beside it in "
            f"{labels_path.name}, one per line"
        )
    label_lines = _lines(read_text(labels_path))
    data_count = len(_lines(data))
    if data_count != len(label_lines):
        raise LlmEvalError(
            f"{path} has {data_count} lines but {labels_path} has {len(label_lines)}; "
            f"line N of {labels_path.name} is the label of line N of {path.name}"
        )
    allowed = " or ".join(map(str, labels))
    questions = []
    for number, row in read_jsonl(path, data):
        where = f"{path}:{number}: row {len(questions)}"
        question, *_ = _need(row, where, dataset, **dict.fromkeys((*fields, *options), str))
        text = label_lines[number - 1].strip()
        try:
            label = int(text)
        except ValueError:
            label = None
        if label not in labels:
            raise LlmEvalError(
                f"{labels_path}:{number}: row {len(questions)} has label {text!r}; {dataset} labels are {allowed}"
            )
        # A "label" key of the row itself is overwritten where it stands, as the loader's dict assignment does.
        columns = _columns({**row, "label": label})
        texts = tuple(row[name] for name in options)
        questions.append(Question(len(questions), question, texts, str(label), columns, "label"))
    return tuple(questions)


def read_piqa(path: Path, split: str) -> tuple[Question, ...]:
    """``piqa/dev.jsonl`` with ``dev-labels.lst``: every field of the row, then ``label`` 0 or 1."""
    return _labelled(path, "PIQA", ("goal",), ("sol1", "sol2"), (0, 1))


def read_siqa(path: Path, split: str) -> tuple[Question, ...]:
    """``siqa/dev.jsonl`` with ``dev-labels.lst``: every field of the row, then ``label`` 1, 2 or 3."""
    return _labelled(path, "SIQA", ("question", "context"), ("answerA", "answerB", "answerC"), (1, 2, 3))


# --- RACE (§9) ----------------------------------------------------------------------------------------------------


def read_race(path: Path, split: str) -> tuple[Question, ...]:
    """``race/test/<middle|high>.jsonl``: article, question, the four options as A-D, the answer letter."""
    questions = []
    for number, row in read_jsonl(path):
        where = f"{path}:{number}: row {len(questions)}"
        article, question, options, answer = _need(
            row, where, "RACE", article=str, question=str, options=list, answer=str
        )
        if len(options) != 4:
            raise LlmEvalError(f"{where} has {len(options)} options; RACE rows have 4")
        texts = _texts(options, where, "option")
        if answer not in LETTERS:
            raise LlmEvalError(f"{where} has answer {_shown(answer)}; RACE answers are A, B, C or D")
        columns = {"article": article, "question": question, **dict(zip(LETTERS, texts)), "answer": answer}
        questions.append(Question(len(questions), question, texts, answer, _columns(columns), "answer"))
    return tuple(questions)


# --- BoolQ (§10) --------------------------------------------------------------------------------------------------


def read_boolq(path: Path, split: str) -> tuple[Question, ...]:
    """``SuperGLUE/BoolQ/val.jsonl``: every field of the row, then ``answer``: "1" for label "true", else "0".

    A JSON boolean label is refused although OpenCompass accepts it: its loader compares the label with the string
    "true", so ``true`` would make every gold "0" (No) and the score meaningless.
    """
    questions = []
    for number, row in read_jsonl(path):
        where = f"{path}:{number}: row {len(questions)}"
        question, _, _ = _need(row, where, "BoolQ", question=str, passage=str, label=object)
        label = row["label"]
        if isinstance(label, bool):
            raise LlmEvalError(
                f"{where} has label {_shown(label)}, a JSON boolean; OpenCompass compares labels with the string "
                f'"true", so this row\'s gold would be "0" (No) whatever it says: write "true" or "false"'
            )
        if label not in ("true", "false"):
            raise LlmEvalError(f'{where} has label {_shown(label)}; BoolQ labels are "true" or "false"')
        answer = "1" if label == "true" else "0"
        # A row's own "answer" key is overwritten where it stands, as the loader's map does.
        columns = _columns({**row, "answer": answer})
        questions.append(Question(len(questions), question, ("No", "Yes"), answer, columns, "answer"))
    return tuple(questions)
