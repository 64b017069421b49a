"""HellaSwag 10-shot, Winogrande 5-shot and the core sets' RACE configs render OpenCompass 0.2.4's prompts byte for
byte, take their shots from their pool files, and hash to its versions.

Expected prompts are written out from the layouts ``opencompass-core.md`` §0.4 and §3-§5 records from running
OpenCompass, filled from the raw JSON lines of the real data (skipped where it is absent); the pool files' errors
from small files made here.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.datasets.templates import flatten_chatml, flatten_plain, render_pieces
from pytest_llmeval.errors import LlmEvalError

SHARED = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[3] / "shared"))
DATA = SHARED / "data"

HELLASWAG_PPL = "hellaswag_10shot_ppl_59c85e"
HELLASWAG_GEN = "hellaswag_10shot_gen_e42710"
WINOGRANDE_LL = "winogrande_5shot_ll_252f01"
WINOGRANDE_GEN = "winogrande_5shot_gen_6447e6"
RACE_PPL = "race_ppl_abed12"
RACE_GEN = "race_gen_69ee4f"

# name -> (mode, {abbr: version}) as opencompass-core.md §0.2 lists them.
VERSIONS = {
    HELLASWAG_PPL: ("ppl", {"hellaswag": "59c85e"}),
    HELLASWAG_GEN: ("gen", {"hellaswag": "e42710"}),
    WINOGRANDE_LL: ("ll", {"winogrande": "252f01"}),
    WINOGRANDE_GEN: ("gen", {"winogrande": "6447e6"}),
    RACE_PPL: ("ppl", {"race-middle": "6e27c0", "race-high": "6e27c0"}),
    RACE_GEN: ("gen", {"race-middle": "9a54b6", "race-high": "9a54b6"}),
}


@pytest.mark.parametrize("name", sorted(VERSIONS))
def test_versions_modes_and_file_name_suffixes(name: str) -> None:
    mode, versions = VERSIONS[name]
    config = CONFIGS[name]
    assert config.hashed_name == name
    subjects = config.benchmark.subjects
    assert {config.abbr(s): config.version(s) for s in subjects} == versions
    assert {config.mode_of(s) for s in subjects} == {mode}
    # The name's suffix: one dataset's version, or the hash of the datasets' full hashes joined by commas (§0.3).
    full = [
        hashlib.sha256(json.dumps(config.infer_config(s).to_json(), sort_keys=True).encode()).hexdigest()
        for s in subjects
    ]
    combined = full[0][:6] if len(full) == 1 else hashlib.sha256(",".join(full).encode()).hexdigest()[:6]
    assert name.endswith("_" + combined)


def test_only_race_gen_has_a_short_alias() -> None:
    assert CONFIGS["race_gen"] is CONFIGS[RACE_GEN]
    assert [CONFIGS[name].name for name in VERSIONS] == [*list(VERSIONS)[:-1], "race_gen"]
    # The older race_ppl alias keeps naming the suites' config.
    assert CONFIGS["race_ppl"].hashed_name == "race_ppl_a138cd"


# --- prompts, from the raw rows -----------------------------------------------------------------------------------


def raw(*parts: str) -> list[dict]:
    path = DATA.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} not found (set LLMEVAL_SHARED to the shared folder)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def rendered(name: str, row: int, chat: bool = False) -> tuple[str, ...]:
    """Every label's prompt (gen: the one prompt) of one real test row, with all its shots."""
    plan = next(iter(plan_subjects(make_spec("test", name), DATA, row + 1)))
    config = plan.spec.config
    infer = config.infer_config(plan.subject)
    benchmark = config.benchmark
    shots = [(benchmark.fields(q, q.answer), q.answer) for q in plan.shots]
    question = plan.questions[row]
    fields = benchmark.fields(question, "" if infer.mode == "gen" else question.answer)
    pieces = [render_pieces(infer, shots, fields, label) for label in infer.labels or (None,)]
    return tuple(flatten_chatml(p, infer.mode) if chat else flatten_plain(p) for p in pieces)


HEADER = "Continue the following text without adding any additional information or formatting:\n"


def hellaswag_block(row: dict) -> str:
    a, b, c, d = row["choices"]
    ctx = row["query"].split(": ", 1)[-1]  # the whole context after the activity label
    return f"{ctx}\nA) {a}\nB) {b}\nC) {c}\nD) {d}\nWhat is the right option?"


def gold(row: dict) -> str:
    return "ABCD"[row["gold"]]


def test_hellaswag_10shot_ppl_is_ten_pool_rows_with_their_own_golds_then_the_row() -> None:
    pool, test = raw("hellaswag", "hellaswag_train_sampled25.jsonl")[:10], raw("hellaswag", "hellaswag.jsonl")[0]
    shots = "\n".join(f"{hellaswag_block(r)}\n{gold(r)}\n" for r in pool) + "\n"
    expected = tuple(f"{HEADER}{shots}{hellaswag_block(test)}\n{x}" for x in "ABCD")
    assert rendered(HELLASWAG_PPL, 0) == expected
    assert expected[1].endswith(
        "What is the right option?\nB\n\nA man is sitting on a roof. He\nA) is using wrap to wrap a pair of skis."
        "\nB) is ripping level tiles off.\nC) is holding a rubik's cube.\nD) starts pulling up roofing on a roof."
        "\nWhat is the right option?\nB"
    )
    # Plain strings: a chat meta template leaves them as they are.
    assert rendered(HELLASWAG_PPL, 0, chat=True) == expected


def test_hellaswag_10shot_gen_base_and_chat() -> None:
    pool, test = raw("hellaswag", "hellaswag_train_sampled25.jsonl")[:10], raw("hellaswag", "hellaswag.jsonl")[0]
    base = HEADER + "\n" + "".join(f"{hellaswag_block(r)}\n{gold(r)}\n\n" for r in pool) + hellaswag_block(test)
    assert rendered(HELLASWAG_GEN, 0) == (base + "\n\n",)
    chat = (
        f"<|im_start|>user\n{HEADER}<|im_end|>\n"
        + "".join(
            f"<|im_start|>user\n{hellaswag_block(r)}<|im_end|>\n<|im_start|>assistant\n{gold(r)}\n<|im_end|>\n"
            for r in pool
        )
        + f"<|im_start|>user\n{hellaswag_block(test)}<|im_end|>\n<|im_start|>assistant\n"
    )
    assert rendered(HELLASWAG_GEN, 0, chat=True) == (chat,)


def winogrande_filled(row: dict, option: str) -> str:
    return row["sentence"].replace("_", row[f"option{option}"])


def test_winogrande_5shot_ll_shots_are_the_correct_sentences_of_rows_0_2_4_6_8() -> None:
    pool, test = raw("winogrande", "train_xs.jsonl"), raw("winogrande", "dev.jsonl")[0]
    chosen = [pool[i] for i in (0, 2, 4, 6, 8)]
    assert [r["answer"] for r in chosen] == ["2", "1", "2", "2", "2"]
    shots = "".join(winogrande_filled(r, r["answer"]) + "\n" for r in chosen)
    assert rendered(WINOGRANDE_LL, 0) == (shots + winogrande_filled(test, "1"), shots + winogrande_filled(test, "2"))
    assert rendered(WINOGRANDE_LL, 0)[0].startswith(
        "Ian volunteered to eat Dennis's menudo after already having a bowl because Dennis despised eating intestine."
        "\nHe never comes"
    )
    assert rendered(WINOGRANDE_LL, 0)[0].endswith(
        "\nSarah was a much better surgeon than Maria so Sarah always got the easier cases."
    )
    assert rendered(WINOGRANDE_LL, 0, chat=True) == rendered(WINOGRANDE_LL, 0)


def winogrande_human(row: dict) -> str:
    a, b = winogrande_filled(row, "1"), winogrande_filled(row, "2")
    return f"Which of the following is a good sentence:\nA. {a}\nB. {b}\nAnswer:"


def test_winogrande_5shot_gen_base_and_chat() -> None:
    pool, test = raw("winogrande", "train_xs.jsonl"), raw("winogrande", "dev.jsonl")[0]
    chosen = [(pool[i], " AB"[int(pool[i]["answer"])]) for i in (0, 2, 4, 6, 8)]
    base = "".join(f"{winogrande_human(r)}\n{g}\n" for r, g in chosen) + winogrande_human(test)
    assert rendered(WINOGRANDE_GEN, 0) == (base,)
    chat = "".join(
        f"<|im_start|>user\n{winogrande_human(r)}<|im_end|>\n<|im_start|>assistant\n{g}<|im_end|>\n" for r, g in chosen
    )
    chat += f"<|im_start|>user\n{winogrande_human(test)}<|im_end|>\n<|im_start|>assistant\n"
    assert rendered(WINOGRANDE_GEN, 0, chat=True) == (chat,)


def test_race_core_prompts() -> None:
    row = raw("race", "test", "middle.jsonl")[0]
    a, b, c, d = row["options"]
    hint = "Read the article, and answer the question by replying A, B, C or D.\n\n"
    question = f"Q: {row['question']}\n\nA. {a}\nB. {b}\nC. {c}\nD. {d}"
    ppl = tuple(f"{hint}{row['article']}\n\n{question}\n\nAnswer: {x}" for x in "ABCD")
    assert rendered(RACE_PPL, 0) == ppl
    assert rendered(RACE_PPL, 0, chat=True) == ppl
    human = f"{hint}Article:\n{row['article']}\n\n{question}"
    assert rendered(RACE_GEN, 0) == (human,)
    assert rendered(RACE_GEN, 0, chat=True) == (f"<|im_start|>user\n{human}<|im_end|>\n<|im_start|>assistant\n",)


def test_winogrande_rows_whose_continuation_also_ends_shot_5() -> None:
    """LLInferencer's context is the prompt with *every* copy of the continuation deleted: for the dev rows whose
    continuation is " ." that includes the end of shot 5, so their context loses it too (opencompass-core.md §4)."""
    rows = raw("winogrande", "dev.jsonl")
    plans = plan_subjects(make_spec("test", WINOGRANDE_LL), DATA, None)
    questions = plans[0].questions
    dots = [q for q in questions if dict(q.columns)["cont"] == " ."]
    assert len(dots) == 33 == sum(r["sentence"].endswith("_ .") for r in rows)
    assert dict(plans[0].shots[-1].columns)["opt2"].endswith("as Patricia was on the ramp .")
    prompt = rendered(WINOGRANDE_LL, dots[0].index)[0]
    assert prompt.count(" .") == 2  # shot 5's and the row's own


# --- the pool files -----------------------------------------------------------------------------------------------


def hellaswag_row(gold: int = 0) -> str:
    return json.dumps({"query": "Act: ctx", "choices": ["a", "b", "c", "d"], "gold": gold})


def winogrande_row(answer: str = "1") -> str:
    return json.dumps({"sentence": "A _ b.", "option1": "x", "option2": "y", "answer": answer})


def data_dir(tmp_path: Path, folder: str, files: dict[str, list[str]]) -> Path:
    for name, lines in files.items():
        path = tmp_path / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return tmp_path


def plan_error(name: str, data: Path) -> str:
    with pytest.raises(LlmEvalError) as caught:
        plan_subjects(make_spec("test", name), data, None)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_shots_are_the_listed_pool_rows_in_list_order(tmp_path: Path) -> None:
    pool = [winogrande_row(answer) for answer in "1122112211"]
    pool = [line.replace('"x"', f'"x{i}"') for i, line in enumerate(pool)]
    data = data_dir(tmp_path, "winogrande", {"train_xs.jsonl": pool, "dev.jsonl": [winogrande_row()]})
    (plan,) = plan_subjects(make_spec("test", WINOGRANDE_GEN), data, None)
    assert [dict(s.columns)["opt1"] for s in plan.shots] == ["A x0 b.", "A x2 b.", "A x4 b.", "A x6 b.", "A x8 b."]
    assert [s.answer for s in plan.shots] == ["A", "B", "A", "B", "A"]


def test_a_pool_shorter_than_the_highest_listed_row_is_refused(tmp_path: Path) -> None:
    data = data_dir(tmp_path, "winogrande", {"train_xs.jsonl": [winogrande_row()] * 8, "dev.jsonl": [winogrande_row()]})
    assert plan_error(WINOGRANDE_LL, data) == (
        f"{data / 'winogrande' / 'train_xs.jsonl'}: 8 row(s), but {WINOGRANDE_LL} takes rows 0, 2, 4, 6, 8 as shots "
        "(row 8 is past the end) from it; add rows"
    )
    data = data_dir(
        tmp_path,
        "hellaswag",
        {"hellaswag_train_sampled25.jsonl": [hellaswag_row()] * 9, "hellaswag.jsonl": [hellaswag_row()]},
    )
    assert plan_error(HELLASWAG_PPL, data) == (
        f"{data / 'hellaswag' / 'hellaswag_train_sampled25.jsonl'}: 9 row(s), but {HELLASWAG_PPL} takes 10 shots "
        "from it; add rows"
    )


def test_a_malformed_or_unlabelled_pool_row_is_refused(tmp_path: Path) -> None:
    pool = [hellaswag_row()] * 3 + [hellaswag_row(gold=7)] + [hellaswag_row()] * 21
    data = data_dir(
        tmp_path, "hellaswag", {"hellaswag_train_sampled25.jsonl": pool, "hellaswag.jsonl": [hellaswag_row()]}
    )
    assert plan_error(HELLASWAG_GEN, data) == (
        f"{data / 'hellaswag' / 'hellaswag_train_sampled25.jsonl'}:4: row 3 has gold 7; hellaswag golds are 0-3, "
        "the index of the right ending"
    )
    # winograndeDataset_V3 reads an empty answer as "NULL": a test row may be unlabelled, a shot may not.
    pool = [winogrande_row()] * 4 + [winogrande_row("")] + [winogrande_row()] * 5
    data = data_dir(tmp_path, "winogrande", {"train_xs.jsonl": pool, "dev.jsonl": [winogrande_row()]})
    assert plan_error(WINOGRANDE_LL, data) == (
        f"{data / 'winogrande' / 'train_xs.jsonl'}: row 4 has gold 'NULL', but {WINOGRANDE_LL} uses it as a shot "
        "and its shots need one of A, B; label the row or use another pool file"
    )
