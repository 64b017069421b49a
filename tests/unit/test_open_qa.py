"""TriviaQA and NQ-open: prompts byte for byte, versions, readers and both evaluators, against
``opencompass-core.md`` §0.3, §11 and §12 (each example there was run on OpenCompass 0.2.4)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.datasets.open_qa import read_nq_open, read_triviaqa
from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.datasets.templates import flatten_chatml, flatten_plain, render_pieces
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.judging.open_qa import general_postprocess
from pytest_llmeval.judging.scoring import RULES
from pytest_llmeval.records import Question, StopRule
from pytest_llmeval.runner import stop_rule
from pytest_llmeval.settings import Settings

SHARED = Path(os.environ.get("LLMEVAL_SHARED") or Path(__file__).resolve().parents[3] / "shared")
DATA = SHARED / "data"

TRIVIA_SHOT = "Q: Which American-born Sinclair won the Nobel Prize for Literature in 1930?"
NQ_SHOT = "Q: where did they film hot tub time machine"


@pytest.mark.parametrize(
    ("name", "abbr", "version"),
    [
        ("triviaqa_wiki_1shot_gen_20a989", "triviaqa_wiki_1shot", "20a989"),
        ("triviaqa_wiki_1shot_gen_eaf81e", "triviaqa_wiki_1shot", "eaf81e"),
        ("nq_open_1shot_gen_20a989", "nq_open_1shot", "20a989"),
        ("nq_open_1shot_gen_01cf41", "nq_open_1shot", "01cf41"),
    ],
)
def test_names_abbrs_versions(name, abbr, version):
    config = CONFIGS[name]
    (subject,) = config.benchmark.subjects
    assert config.name == name and config.abbr(subject) == abbr and config.version(subject) == version
    assert config.max_out_len == 50 and config.shots == 1 and config.bot_turn
    assert config.benchmark.metric == "score"


def test_the_base_version_dict_is_the_spec_example():
    infer = CONFIGS["triviaqa_wiki_1shot_gen_20a989"].infer("")
    assert json.dumps(infer.to_json(), sort_keys=True) == (
        '{"ice_template": {"template": "Q: {question}\\nA: {answer}.\\n", "type": '
        '"opencompass.openicl.icl_prompt_template.PromptTemplate"}, "inferencer": {"fix_id_list": [0], '
        '"max_out_len": 50, "stopping_criteria": ["Q:", "\\n"], "type": '
        '"opencompass.openicl.icl_inferencer.GenInferencer"}, "prompt_template": {"ice_token": "</E>", '
        '"template": "</E>Q: {question}\\nA: ", "type": "opencompass.openicl.icl_prompt_template.PromptTemplate"}, '
        '"retriever": {"type": "opencompass.openicl.icl_retriever.FixKRetriever"}}'
    )


def test_stopping_criteria_is_hashed_only_where_set():
    assert "stopping_criteria" not in CONFIGS["ceval_gen"].infer("x").to_json()["inferencer"]


def prompts(name: str) -> tuple[str, str, str]:
    """Row 0's prompt without and with the ChatML meta template, and the test question, from the real data."""
    if not DATA.is_dir():
        pytest.skip(f"no shared data at {DATA}")
    plan = plan_subjects(make_spec("test", name), DATA, 1)[0]
    config, question = plan.spec.config, plan.questions[0]
    benchmark, infer = config.benchmark, config.infer_config(plan.subject)
    shots = [(benchmark.fields(q, q.answer), q.answer) for q in plan.shots]
    pieces = render_pieces(infer, shots, benchmark.fields(question, ""))
    return flatten_plain(pieces), flatten_chatml(pieces, "gen"), question.question


def test_triviaqa_20a989_prompt_is_plain_text_in_both_styles():
    plain, chat, question = prompts("triviaqa_wiki_1shot_gen_20a989")
    assert plain == f"{TRIVIA_SHOT}\nA: Sinclair Lewis.\n\nQ: {question}\nA: " == chat


def test_triviaqa_eaf81e_prompt():
    plain, chat, question = prompts("triviaqa_wiki_1shot_gen_eaf81e")
    assert plain == f"{TRIVIA_SHOT}\nA: Sinclair Lewis.\n\nQ: {question}\nA:"
    assert chat == (
        f"<|im_start|>user\n{TRIVIA_SHOT}<|im_end|>\n<|im_start|>assistant\nA: Sinclair Lewis.\n<|im_end|>\n"
        f"<|im_start|>user\nQ: {question}<|im_end|>\n<|im_start|>assistant\n"
    )


def test_nq_prompts():
    plain, chat, question = prompts("nq_open_1shot_gen_20a989")
    assert plain == f"{NQ_SHOT}\nA: Fernie Alpine Resort.\n\nQ: {question}\nA: " == chat
    plain, chat, question = prompts("nq_open_1shot_gen_01cf41")
    assert plain == f"{NQ_SHOT}?\nA: Fernie Alpine Resort.\n\nQ: {question}?\nA:"
    assert chat == (
        f"<|im_start|>user\n{NQ_SHOT}?<|im_end|>\n<|im_start|>assistant\nA: Fernie Alpine Resort.\n<|im_end|>\n"
        f"<|im_start|>user\nQ: {question}?<|im_end|>\n<|im_start|>assistant\n"
    )


# --- readers --------------------------------------------------------------------------------------------------------


def write(path: Path, *rows: object) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_golds_are_alias_arrays_and_shot_answers_are_pasted_as_opencompass_pastes_them(tmp_path):
    (row,) = read_triviaqa(write(tmp_path / "v.jsonl", {"question": "Q?", "answer": ["Paris", "Paree"]}), "validation")
    assert json.loads(row.answer) == ["Paris", "Paree"] and row.question == "Q?"
    listed = write(tmp_path / "t.jsonl", {"question": "Q?", "answer": ["x", "y"]})
    assert read_triviaqa(listed, "train")[0].answer == "['x', 'y']"  # str() of a list: its Python literal
    assert read_nq_open(listed, "train")[0].answer == "x"


@pytest.mark.parametrize(
    ("reader", "split", "row", "fragment"),
    [
        (read_triviaqa, "validation", {"question": "Q?"}, 'row 1 has no "answer"'),
        (read_triviaqa, "validation", {"question": "Q?", "answer": "Paris"}, '"answer" is "Paris"; TriviaQA'),
        (read_triviaqa, "validation", {"question": "Q?", "answer": []}, "non-empty list of answer strings"),
        (read_nq_open, "validation", {"question": "Q?", "answer": ["a", 1]}, "NQ-open validation rows need a non-emp"),
        (read_nq_open, "train", {"question": "Q?", "answer": "a"}, "NQ-open train rows need a non-empty list"),
        (read_nq_open, "validation", {"question": 3, "answer": ["a"]}, '"question" is 3'),
    ],
)
def test_bad_rows_are_one_line_naming_file_and_row(tmp_path, reader, split, row, fragment):
    path = write(tmp_path / "data.jsonl", {"question": "ok", "answer": ["ok"]}, row)
    with pytest.raises(LlmEvalError) as info:
        reader(path, split)
    message = str(info.value)
    assert message.startswith(f"{path}:2: row 1") and fragment in message and "\n" not in message


# --- evaluators (§11, §12) --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("The Beatles, obviously", "Beatles"),
        ("U.S.A.", "U"),
        ("Rock-and-roll!", "Rockandroll"),
        ("An apple a day", "apple day"),
        ("  Mount\u00a0Everest  ", "Mount Everest"),
    ],
)
def test_general_postprocess(text, normalised):
    assert general_postprocess(text) == normalised


def judge(rule: str, prediction: str, aliases: list[str]) -> tuple[str, bool]:
    return RULES[rule](prediction, Question(0, "q", (), json.dumps(aliases)))


@pytest.mark.parametrize(
    ("prediction", "aliases", "answer", "correct"),
    [
        ("Paris.", ["Paris"], "paris", True),
        ("I think the answer is London, England", ["London"], "london", True),
        ("A: The Hague\nQ: next", ["The Hague"], "hague", True),
        ("\n\nBerlin wall", ["Berlin"], "berlin wall", True),
        ("Lyon and Paris", ["Paris"], "lyon and paris", True),
        ("Rome", ["Paris", "Lyon"], "rome", False),
        ("anything", ["The"], "anything", True),  # an alias normalised to "" matches everything
        ("Panama: Colon", ["Colon"], "colon", True),  # "panama:" ends in "a:", so the split cuts there
    ],
)
def test_triviaqa_evaluator(prediction, aliases, answer, correct):
    assert judge("triviaqa", prediction, aliases) == (answer, correct)


@pytest.mark.parametrize(
    ("prediction", "aliases", "answer", "correct"),
    [
        ("A: 1969", ["1969"], "1969", True),
        ("the answer is Neil Armstrong.", ["Neil Armstrong"], "neil armstrong", True),
        ("In 1969, July", ["July 1969"], "in 1969", False),
        ("A: Apollo 11", ["apollo 11"], "apollo 11", True),
        ("Panama: Colon", ["Colon"], "panama colon", True),  # no "a:" split in NQ
    ],
)
def test_nq_evaluator(prediction, aliases, answer, correct):
    assert judge("nq_open", prediction, aliases) == (answer, correct)


# --- stop strings ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "kwargs", "cut", "name"),
    [
        ("triviaqa", {}, False, ""),
        ("triviaqa", {"full_output": True}, False, ""),  # OpenCompass's own stop: kept for its raw text
        ("nq_open", {}, True, ""),  # and where the prediction is cut to the chat turn
        ("first_capital", {}, False, "first_capital"),  # a rule's own stop joins them
        ("first_capital", {"full_output": True}, False, ""),
    ],
)
def test_stop_strings_always_apply(rule, kwargs, cut, name):
    settings = Settings(model=None, tokenizer=None, model_abbr="m", **kwargs)  # type: ignore[arg-type]
    stop = stop_rule(rule, settings, cut, ("Q:", "\n"))
    assert stop is not None and stop.name == name and stop.strings == ("Q:", "\n")
    # A stop string ends generation without making the answer "stopped early": OpenCompass stops there too.
    assert stop.reached("Paris\n") is (name == "first_capital")


def test_the_result_cache_keys_on_the_stop_strings(tmp_path):
    from pytest_llmeval.backends.cache import CachedBackend, Store

    asked: list[object] = []

    class Inner:
        device = "cpu"

        def generate_all(self, prompts, max_out_len, max_prompt_tokens, batch_size, on_batch=None, stop=None):
            asked.append(stop.strings if stop else None)
            return list(prompts)

    store = Store(tmp_path)
    backend = CachedBackend(lambda: None, lambda tokens: Inner(), store, "f", "tokens")
    for strings in (("Q:", "\n"), ("Q:", "\n"), ("\n",), ()):
        backend.generate_all(["a prompt"], 50, 100, 4, stop=StopRule("", None, strings) if strings else None)
    assert asked == [("Q:", "\n"), ("\n",), None]  # the repeat came from the cache
