"""HellaSwag, ARC, Winogrande, PIQA, SIQA, RACE and BoolQ rows as OpenCompass 0.2.4 builds them, and bad files refused
in one line naming the file, the line and the row (``opencompass-suites.md`` §4-§10)."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_llmeval.datasets.choices import (
    read_arc,
    read_boolq,
    read_hellaswag,
    read_hellaswag_gen,
    read_piqa,
    read_race,
    read_siqa,
    read_winogrande,
    read_winogrande_gen,
)
from pytest_llmeval.datasets.gsm8k import read_jsonl
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question

Reader = Callable[[Path, str], tuple[Question, ...]]


def shared_file(*parts: str) -> Path:
    """A file of the shared data folder (``LLMEVAL_SHARED`` or the checkout's sibling ``shared``); skip when absent."""
    root = Path(os.environ.get("LLMEVAL_SHARED") or Path(__file__).resolve().parents[3] / "shared")
    path = root.joinpath("data", *parts)
    if not path.is_file():
        pytest.skip(f"{path} not found (set LLMEVAL_SHARED to the shared folder)")
    return path


def raw_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def names(question: Question) -> list[str]:
    return [name for name, _ in question.columns]


# --- the real files (skipped when the shared data folder is absent) -----------------------------------------------


@pytest.mark.parametrize(
    ("reader", "parts", "count", "columns", "output"),
    [
        (read_hellaswag, ("hellaswag", "hellaswag.jsonl"), 10042, "ctx A B C D label", "label"),
        (read_hellaswag_gen, ("hellaswag", "hellaswag.jsonl"), 10042, "ctx A B C D label", "label"),
        (read_arc, ("ARC", "ARC-c", "ARC-Challenge-Dev.jsonl"), 295, "question answerKey textA textB textC textD",
         "answerKey"),
        (read_arc, ("ARC", "ARC-e", "ARC-Easy-Dev.jsonl"), 567, "question answerKey textA textB textC textD",
         "answerKey"),
        (read_winogrande, ("winogrande", "dev.jsonl"), 1267, "opt1 opt2 answer cont", "answer"),
        (read_winogrande_gen, ("winogrande", "dev.jsonl"), 1267, "opt1 opt2 answer cont", "answer"),
        (read_piqa, ("piqa", "dev.jsonl"), 1838, "id goal sol1 sol2 label", "label"),
        (read_siqa, ("siqa", "dev.jsonl"), 1954, "context question answerA answerB answerC label", "label"),
        (read_race, ("race", "test", "middle.jsonl"), 1436, "article question A B C D answer", "answer"),
        (read_race, ("race", "test", "high.jsonl"), 3498, "article question A B C D answer", "answer"),
        (read_boolq, ("SuperGLUE", "BoolQ", "val.jsonl"), 3270, "question passage idx label answer", "answer"),
    ],
)  # fmt: skip
def test_real_rows_counts_and_column_order(reader, parts, count, columns, output):
    questions = reader(shared_file(*parts), "test")
    assert len(questions) == count
    assert [q.index for q in questions] == list(range(count))
    for question in questions:
        assert names(question) == columns.split() and question.output_column == output
        assert dict(question.columns)[output] == question.answer


def test_real_golds_by_dataset():
    def golds(reader: Reader, *parts: str) -> set[str]:
        return {q.answer for q in reader(shared_file(*parts), "test")}

    assert golds(read_hellaswag, "hellaswag", "hellaswag.jsonl") == set("0123")
    assert golds(read_hellaswag_gen, "hellaswag", "hellaswag.jsonl") == set("ABCD")
    assert golds(read_winogrande, "winogrande", "dev.jsonl") == {"1", "2"}
    assert golds(read_winogrande_gen, "winogrande", "dev.jsonl") == {"A", "B"}
    assert golds(read_piqa, "piqa", "dev.jsonl") == {"0", "1"}
    assert golds(read_siqa, "siqa", "dev.jsonl") == {"1", "2", "3"}
    boolq = read_boolq(shared_file("SuperGLUE", "BoolQ", "val.jsonl"), "test")
    assert Counter(q.answer for q in boolq) == {"1": 2033, "0": 1237}
    assert all(q.choices == ("No", "Yes") for q in boolq)


def test_hellaswag_ppl_cuts_the_context_at_a_second_colon():
    path = shared_file("hellaswag", "hellaswag.jsonl")
    ppl, gen = read_hellaswag(path, "test"), read_hellaswag_gen(path, "test")
    assert ppl[2826].question.startswith("focus on the low point of the implement trajectory.")
    assert gen[2826].question.startswith("A black screen appears again with red and white words that say")
    assert sum(p.question != g.question for p, g in zip(ppl, gen)) == 218
    first = ppl[0]
    assert first.question == "A man is sitting on a roof. He"
    assert first.choices[0] == "is using wrap to wrap a pair of skis." and first.answer == "3"


def test_arc_drops_rows_without_four_choices_and_maps_numeric_labels():
    dropped = {
        ("ARC-c", "ARC-Challenge-Dev.jsonl"): {
            "NYSEDREGENTS_2014_4_4",
            "NYSEDREGENTS_2014_4_19",
            "NYSEDREGENTS_2014_4_28",
            "TIMSS_2003_8_pg29",
        },
        ("ARC-e", "ARC-Easy-Dev.jsonl"): {"TIMSS_1995_8_J5", "TIMSS_2003_4_pg29", "WASL_2005_5_11"},
    }
    numeric = {"ARC-c": 4, "ARC-e": 21}
    for (folder, name), ids in dropped.items():
        path = shared_file("ARC", folder, name)
        raw = raw_rows(path)
        kept = [row for row in raw if len(row["question"]["choices"]) == 4]
        assert {row["id"] for row in raw} - {row["id"] for row in kept} == ids
        questions = read_arc(path, "test")
        assert [q.question for q in questions] == [row["question"]["stem"] for row in kept]
        by_number = [
            (q, row)
            for q, row in zip(questions, kept)
            if [c["label"] for c in row["question"]["choices"]] == list("1234")
        ]
        assert len(by_number) == numeric[folder]
        for question, row in by_number:
            assert question.answer == "ABCD"[int(row["answerKey"]) - 1]
            assert question.choices == tuple(c["text"] for c in row["question"]["choices"])


def test_winogrande_fills_the_blank_and_keeps_the_continuation():
    questions = read_winogrande(shared_file("winogrande", "dev.jsonl"), "test")
    first = dict(questions[0].columns)
    assert first["opt1"] == "Sarah was a much better surgeon than Maria so Sarah always got the easier cases."
    assert first["opt2"] == "Sarah was a much better surgeon than Maria so Maria always got the easier cases."
    assert first["cont"] == " always got the easier cases."
    assert all(dict(q.columns)["cont"].startswith(" ") for q in questions)


def test_piqa_siqa_race_rows_follow_their_files():
    piqa = read_piqa(shared_file("piqa", "dev.jsonl"), "test")[0]
    assert piqa.question == "How do I ready a guinea pig cage for it's new occupants?" and piqa.answer == "0"
    siqa = read_siqa(shared_file("siqa", "dev.jsonl"), "test")[0]
    assert (siqa.question, siqa.choices, siqa.answer) == (
        "What does Tracy need to do before this?",
        ("make a new plan", "Go home and see Riley", "Find somewhere to go"),
        "3",
    )
    race = read_race(shared_file("race", "test", "middle.jsonl"), "test")[0]
    assert (race.question, race.choices, race.answer) == (
        'In which country is the prom called a "formal"?',
        ("America.", "Canada.", "Britain.", "Australia."),
        "B",
    )


# --- small files --------------------------------------------------------------------------------------------------


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def jsonl(*rows: object) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def refused(reader: Reader, path: Path, where: str, *fragments: str) -> str:
    """The one-line message ``reader`` gives for ``path``: it starts at ``where`` and holds every fragment."""
    with pytest.raises(LlmEvalError) as info:
        reader(path, "test")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(where), message
    for fragment in fragments:
        assert fragment in message, message
    return message


def hellaswag_row(**fields: object) -> dict:
    return {"query": "Label: He sat. He", "choices": ["a", "b", "c", "d"], "gold": 2, **fields}


def arc_row(key: str = "B", labels: str = "ABCD", **fields: object) -> dict:
    choices = [{"text": f"t{label}", "label": label} for label in labels]
    return {"id": "x", "question": {"stem": "Why?", "choices": choices}, "answerKey": key, **fields}


def winogrande_row(**fields: object) -> dict:
    return {"qID": "q", "sentence": "A beat B so _ won.", "option1": "A", "option2": "B", "answer": "1", **fields}


def race_row(**fields: object) -> dict:
    return {"example_id": "e", "article": "Art.", "answer": "C", "question": "Q?", "options": list("wxyz"), **fields}


def boolq_row(**fields: object) -> dict:
    return {"question": "is it", "passage": "T -- it is", "idx": 0, "label": "true", **fields}


def test_hellaswag_columns_ppl_and_gen(tmp_path):
    path = write(tmp_path / "h.jsonl", jsonl(hellaswag_row(query="A: b: c: d")))
    (ppl,) = read_hellaswag(path, "test")
    (gen,) = read_hellaswag_gen(path, "test")
    assert ppl.columns == (("ctx", "c: d"), ("A", "a"), ("B", "b"), ("C", "c"), ("D", "d"), ("label", "2"))
    assert (ppl.question, ppl.choices, ppl.answer, ppl.output_column) == ("c: d", ("a", "b", "c", "d"), "2", "label")
    assert gen.columns[0] == ("ctx", "b: c: d") and gen.columns[-1] == ("label", "C") and gen.answer == "C"


@pytest.mark.parametrize("reader", [read_hellaswag, read_hellaswag_gen])
@pytest.mark.parametrize(
    ("row", "fragments"),
    [
        (hellaswag_row(choices=["a", "b", "c"]), ["has 3 choices; hellaswag rows have 4"]),
        (hellaswag_row(choices=["a", "b", "c", "d", "e"]), ["has 5 choices"]),
        (hellaswag_row(gold=4), ["has gold 4; hellaswag golds are 0-3"]),
        (hellaswag_row(gold=-1), ["has gold -1"]),
        (hellaswag_row(gold="1"), ['"gold" is "1"', "an integer"]),
        (hellaswag_row(gold=True), ['"gold" is true', "an integer"]),
        (hellaswag_row(choices=["a", "b", 3, "d"]), ["choice 2 is 3, not a string"]),
        (hellaswag_row(choices="abcd"), ['"choices" is "abcd"', "a list"]),
        ({"choices": ["a", "b", "c", "d"], "gold": 0}, ['has no "query"', '"query", "choices", "gold"']),
    ],
)
def test_hellaswag_bad_rows(tmp_path, reader, row, fragments):
    path = write(tmp_path / "hellaswag.jsonl", jsonl(hellaswag_row(), row))
    refused(reader, path, f"{path}:2: row 1", *fragments)


@pytest.mark.parametrize(
    ("text", "where", "fragment"),
    [
        ("", "", "no rows"),
        ("\n  \n", "", "no rows"),
        (jsonl(hellaswag_row()) + "{not json\n", ":2", "not a JSON object"),
        (jsonl(hellaswag_row()) + "[1, 2]\n", ":2", "not a JSON object"),
    ],
)
def test_hellaswag_bad_files(tmp_path, text, where, fragment):
    path = write(tmp_path / "hellaswag.jsonl", text)
    refused(read_hellaswag, path, f"{path}{where}: ", fragment)


def test_a_missing_file_is_named(tmp_path):
    for reader in (read_hellaswag, read_arc, read_winogrande, read_piqa, read_siqa, read_race, read_boolq):
        refused(reader, tmp_path / "absent.jsonl", f"{tmp_path / 'absent.jsonl'}: file not found")


def test_lines_end_where_file_iteration_ends_them(tmp_path):
    # U+2028, U+2029 and U+0085 may stand unescaped inside JSON strings; reading a file line by line does not
    # split there, while str.splitlines would. "\r" and "\r\n" do end lines, as in text-mode iteration.
    odd = hellaswag_row(query="L: a\u2028b\u2029c\x85d\x0ce")
    text = json.dumps(odd, ensure_ascii=False) + "\r\n" + json.dumps(hellaswag_row()) + "\r" + jsonl(hellaswag_row())
    path = write(tmp_path / "h.jsonl", text)
    questions = read_hellaswag(path, "test")
    assert len(questions) == 3 and questions[0].question == "a\u2028b\u2029c\x85d\x0ce"
    assert [number for number, _ in read_jsonl(path)] == [1, 2, 3]
    bad = write(tmp_path / "bad.jsonl", text + "\u2028{\n")
    refused(read_hellaswag, bad, f"{bad}:4: not a JSON object")


def test_arc_rows(tmp_path):
    rows = [arc_row("C"), arc_row("A", "ABC"), arc_row("3", "1234"), arc_row("E", "ABCDE"), arc_row("D")]
    path = write(tmp_path / "ARC-Challenge-Dev.jsonl", jsonl(*rows))
    questions = read_arc(path, "test")
    assert [q.answer for q in questions] == ["C", "C", "D"] and [q.index for q in questions] == [0, 1, 2]
    assert questions[1].columns == (
        ("question", "Why?"),
        ("answerKey", "C"),
        ("textA", "t1"),
        ("textB", "t2"),
        ("textC", "t3"),
        ("textD", "t4"),
    )
    assert questions[1].choices == ("t1", "t2", "t3", "t4") and questions[1].output_column == "answerKey"


def test_arc_ignores_bytes_that_are_not_utf8(tmp_path):
    # ARCDataset opens its files with errors="ignore".
    line = json.dumps(arc_row()).replace("Why?", "Wh\\u00e9y?").encode().replace(b"\\u00e9", b"\xff\xc3\xa9")
    (question,) = read_arc(write(tmp_path / "a.jsonl", line + b"\n"), "test")
    assert question.question == "Wh\u00e9y?"


@pytest.mark.parametrize(
    ("row", "fragments"),
    [
        (arc_row("E"), ['has answerKey "E", not one of its choices\' labels ("A", "B", "C", "D")']),
        (arc_row("1"), ['has answerKey "1"']),
        ({"id": "x", "question": arc_row()["question"]}, ['has no "answerKey"']),
        ({"id": "x", "answerKey": "A"}, ['has no "question"']),
        (arc_row(question="Why?"), ['"question" is "Why?"', "an object"]),
        (arc_row(question={"stem": "Why?"}), ['"question" has no "choices"']),
        (arc_row(question={"choices": arc_row()["question"]["choices"]}), ['"question" has no "stem"']),
        (arc_row(question={"stem": "W", "choices": [{"label": "A"}, 2, 3, 4]}), ['choice 0 needs a "label"']),
    ],
)
def test_arc_bad_rows(tmp_path, row, fragments):
    path = write(tmp_path / "ARC-Easy-Dev.jsonl", jsonl(arc_row(), arc_row("A", "ABC"), row))
    refused(read_arc, path, f"{path}:3: row 1", *fragments)


def test_arc_with_no_four_choice_row(tmp_path):
    path = write(tmp_path / "a.jsonl", jsonl(arc_row("A", "ABC")))
    refused(read_arc, path, f"{path}: no rows with 4 choices")


def test_winogrande_ll_and_gen(tmp_path):
    path = write(tmp_path / "dev.jsonl", jsonl(winogrande_row(), winogrande_row(answer="2")))
    ll, gen = read_winogrande(path, "test"), read_winogrande_gen(path, "test")
    assert ll[0].columns == (
        ("opt1", "A beat B so A won."),
        ("opt2", "A beat B so B won."),
        ("answer", "1"),
        ("cont", " won."),
    )
    assert ll[0].choices == ("A beat B so A won.", "A beat B so B won.") and ll[0].question == "A beat B so _ won."
    assert [q.answer for q in ll] == ["1", "2"] and [q.answer for q in gen] == ["A", "B"]
    assert dict(gen[1].columns)["answer"] == "B"
    (unlabelled,) = read_winogrande_gen(write(tmp_path / "u.jsonl", jsonl(winogrande_row(answer=""))), "test")
    assert unlabelled.answer == "NULL"


@pytest.mark.parametrize(
    ("reader", "row", "fragments"),
    [
        (read_winogrande, winogrande_row(sentence="No blank."), ['has 0 blanks ("_")', "have exactly one"]),
        (read_winogrande_gen, winogrande_row(sentence="_ and _"), ["has 2 blanks"]),
        (read_winogrande, winogrande_row(answer="3"), ['has answer "3"; winogrande answers are "1" or "2"']),
        (read_winogrande, winogrande_row(answer=""), ['has answer ""; winogrande answers are "1" or "2"']),
        (read_winogrande_gen, winogrande_row(answer="0"), ['has answer "0"', '"" (unlabelled)']),
        (read_winogrande, winogrande_row(answer=1), ['"answer" is 1', "a string"]),
        (read_winogrande, {"sentence": "_ x", "option1": "a", "answer": "1"}, ['has no "option2"']),
    ],
)
def test_winogrande_bad_rows(tmp_path, reader, row, fragments):
    path = write(tmp_path / "winogrande" / "dev.jsonl", jsonl(winogrande_row(), row))
    refused(reader, path, f"{path}:2: row 1", *fragments)


def piqa_files(folder: Path, rows: list[dict], labels: str, name: str = "dev") -> Path:
    write(folder / f"{name}-labels.lst", labels)
    return write(folder / f"{name}.jsonl", jsonl(*rows))


def piqa_row(**fields: object) -> dict:
    return {"id": "p", "goal": "Open a jar", "sol1": "twist", "sol2": "hammer", **fields}


def siqa_row(**fields: object) -> dict:
    return {"context": "C.", "question": "Q?", "answerA": "a", "answerB": "b", "answerC": "c", **fields}


def test_piqa_and_siqa_rows(tmp_path):
    own_label = {"id": "p", "goal": "G", "label": 7, "sol1": "a", "sol2": "b"}
    path = piqa_files(tmp_path / "piqa", [piqa_row(), own_label], "1\n0\n\n")
    first, second = read_piqa(path, "validation")
    assert first.columns == (("id", "p"), ("goal", "Open a jar"), ("sol1", "twist"), ("sol2", "hammer"), ("label", "1"))
    assert (first.question, first.choices, first.answer, first.output_column) == (
        "Open a jar",
        ("twist", "hammer"),
        "1",
        "label",
    )
    # A row's own "label" is overwritten where it stands, as the loader's dict assignment does.
    assert names(second) == ["id", "goal", "label", "sol1", "sol2"] and second.answer == "0"
    (siqa,) = read_siqa(piqa_files(tmp_path / "siqa", [siqa_row()], " 2 \n"), "validation")
    assert siqa.columns[-1] == ("label", "2") and siqa.choices == ("a", "b", "c") and siqa.question == "Q?"


def test_piqa_labels_pair_with_data_lines_by_position(tmp_path):
    # A blank data line keeps its place: the label on line 3 belongs to the row on line 3.
    write(tmp_path / "dev-labels.lst", "0\n1\n1\n")
    path = write(tmp_path / "dev.jsonl", json.dumps(piqa_row()) + "\n\n" + json.dumps(piqa_row(goal="G")) + "\n")
    assert [q.answer for q in read_piqa(path, "validation")] == ["0", "1"]


def test_piqa_and_siqa_need_their_labels_file(tmp_path):
    path = write(tmp_path / "piqa" / "dev.jsonl", jsonl(piqa_row()))
    labels = tmp_path / "piqa" / "dev-labels.lst"
    refused(read_piqa, path, f"{labels}: file not found", "PIQA keeps the labels of dev.jsonl beside it")
    path = write(tmp_path / "siqa" / "dev.jsonl", jsonl(siqa_row()))
    refused(read_siqa, path, f"{tmp_path / 'siqa' / 'dev-labels.lst'}: file not found", "SIQA keeps")


def test_piqa_line_counts_must_match(tmp_path):
    path = piqa_files(tmp_path, [piqa_row(), piqa_row()], "0\n1\n1\n")
    refused(read_piqa, path, f"{path} has 2 lines but {tmp_path / 'dev-labels.lst'} has 3")
    path = piqa_files(tmp_path, [piqa_row(), piqa_row()], "0\n")
    refused(read_piqa, path, f"{path} has 2 lines but", "has 1")


@pytest.mark.parametrize(
    ("reader", "row", "label", "fragments"),
    [
        (read_piqa, piqa_row(), "2", ["has label '2'; PIQA labels are 0 or 1"]),
        (read_piqa, piqa_row(), "one", ["has label 'one'"]),
        (read_piqa, piqa_row(), "", ["has label ''"]),
        (read_siqa, siqa_row(), "0", ["has label '0'; SIQA labels are 1 or 2 or 3"]),
        (read_siqa, siqa_row(), "1.0", ["has label '1.0'"]),
    ],
)
def test_piqa_and_siqa_bad_labels(tmp_path, reader, row, label, fragments):
    path = piqa_files(tmp_path, [row, row, row], f"1\n{label}\n1\n")
    refused(reader, path, f"{tmp_path / 'dev-labels.lst'}:2: row 1", *fragments)


@pytest.mark.parametrize(
    ("reader", "row", "fragments"),
    [
        (read_piqa, {"goal": "g", "sol1": "a"}, ['has no "sol2"; PIQA rows need "goal", "sol1", "sol2"']),
        (read_piqa, piqa_row(goal=None), ['"goal" is null']),
        (read_siqa, {k: v for k, v in siqa_row().items() if k != "context"}, ['has no "context"']),
    ],
)
def test_piqa_and_siqa_bad_rows(tmp_path, reader, row, fragments):
    first = piqa_row() if reader is read_piqa else siqa_row()
    path = piqa_files(tmp_path, [first, row], "1\n1\n")
    refused(reader, path, f"{path}:2: row 1", *fragments)


def test_race_rows(tmp_path):
    (question,) = read_race(write(tmp_path / "middle.jsonl", jsonl(race_row())), "test")
    assert question.columns == (
        ("article", "Art."),
        ("question", "Q?"),
        ("A", "w"),
        ("B", "x"),
        ("C", "y"),
        ("D", "z"),
        ("answer", "C"),
    )
    assert (question.question, question.choices, question.answer) == ("Q?", ("w", "x", "y", "z"), "C")


@pytest.mark.parametrize(
    ("row", "fragments"),
    [
        (race_row(options=["a", "b", "c"]), ["has 3 options; RACE rows have 4"]),
        (race_row(answer="E"), ['has answer "E"; RACE answers are A, B, C or D']),
        (race_row(answer="a"), ['has answer "a"']),
        (race_row(options=["a", "b", None, "d"]), ["option 2 is null, not a string"]),
        ({k: v for k, v in race_row().items() if k != "article"}, ['has no "article"']),
    ],
)
def test_race_bad_rows(tmp_path, row, fragments):
    path = write(tmp_path / "race" / "test" / "high.jsonl", jsonl(race_row(), row))
    refused(read_race, path, f"{path}:2: row 1", *fragments)


def test_boolq_rows(tmp_path):
    rows = [boolq_row(), boolq_row(label="false", idx=1), boolq_row(answer="x", extra=[1])]
    questions = read_boolq(write(tmp_path / "val.jsonl", jsonl(*rows)), "test")
    assert [q.answer for q in questions] == ["1", "0", "1"]
    assert questions[0].columns == (
        ("question", "is it"),
        ("passage", "T -- it is"),
        ("idx", "0"),
        ("label", "true"),
        ("answer", "1"),
    )
    assert questions[0].choices == ("No", "Yes") and questions[0].output_column == "answer"
    # A row's own "answer" is overwritten where it stands, as the loader's map does.
    assert names(questions[2]) == ["question", "passage", "idx", "label", "answer", "extra"]


@pytest.mark.parametrize(
    ("row", "fragments"),
    [
        (boolq_row(label=True), ["has label true, a JSON boolean", 'write "true" or "false"']),
        (boolq_row(label=False), ["has label false, a JSON boolean"]),
        (boolq_row(label=1), ['has label 1; BoolQ labels are "true" or "false"']),
        (boolq_row(label="True"), ['has label "True"']),
        ({"question": "q", "passage": "p"}, ['has no "label"']),
    ],
)
def test_boolq_bad_rows(tmp_path, row, fragments):
    path = write(tmp_path / "val.jsonl", jsonl(boolq_row(), row))
    refused(read_boolq, path, f"{path}:2: row 1", *fragments)


OTHERS = (None, 7, True, "s", [], ["a", "b", "c", "d"], {}, {"label": "A"})
GOOD = [
    (read_hellaswag, hellaswag_row()),
    (read_hellaswag_gen, hellaswag_row()),
    (read_arc, arc_row()),
    (read_winogrande, winogrande_row()),
    (read_winogrande_gen, winogrande_row()),
    (read_race, race_row()),
    (read_boolq, boolq_row()),
    (read_piqa, piqa_row()),
    (read_siqa, siqa_row()),
]


@pytest.mark.parametrize(("reader", "row"), GOOD, ids=lambda value: getattr(value, "__name__", ""))
def test_no_field_change_escapes_as_a_traceback(tmp_path, reader, row):
    # Every field removed or replaced by a value of another kind: the reader either copes or says which row.
    variants = []
    for key in row:
        variants.append({k: v for k, v in row.items() if k != key})
        variants.extend({**row, key: other} for other in OTHERS)
    if reader is read_arc:
        choices = row["question"]["choices"]
        for place in range(4):
            for other in OTHERS:
                changed = [*choices[:place], other, *choices[place + 1 :]]
                variants.append({**row, "question": {**row["question"], "choices": changed}})
    for number, variant in enumerate(variants):
        folder = tmp_path / str(number)
        if reader in (read_piqa, read_siqa):
            path = piqa_files(folder, [variant], "1\n")
        else:
            path = write(folder / "data.jsonl", jsonl(variant))
        try:
            reader(path, "test")
        except LlmEvalError as error:
            assert "\n" not in str(error) and str(path) in str(error)
