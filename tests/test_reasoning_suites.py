"""GSM8K, MATH and BBH end to end on the real data, and the answer-is-fixed stop against full generation.

The data is never part of the project: these tests skip without the shared data folder (``LLMEVAL_SHARED``
points elsewhere). The model is ``tiny_base``'s: taught on real prompts of the three configs to answer in
their few-shot format and then keep writing, as a base model does, so the stop has something to cut.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from checkpoints import Store

from conftest import run_pytest
from pytest_llmeval.datasets.plan import plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.datasets.templates import flatten_chatml, flatten_plain, render_pieces

SHARED = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"
NEEDED = (DATA / "gsm8k" / "test.jsonl", DATA / "math" / "math.json", DATA / "BBH" / "lib_prompt")
pytestmark = pytest.mark.skipif(not all(p.exists() for p in NEEDED), reason=f"no GSM8K/MATH/BBH data at {DATA}")

# OpenCompass 0.2.4's versions (opencompass-suites.md §3): the prompt files' text is part of each hash.
BBH_VERSIONS = {
    "temporal_sequences": "e43931",
    "disambiguation_qa": "d52c61",
    "date_understanding": "a8000b",
    "tracking_shuffled_objects_three_objects": "7964c0",
    "penguins_in_a_table": "fceb27",
    "geometric_shapes": "503c8f",
    "snarks": "42d6ca",
    "ruin_names": "408de8",
    "tracking_shuffled_objects_seven_objects": "7964c0",
    "tracking_shuffled_objects_five_objects": "7964c0",
    "logical_deduction_three_objects": "45ebc5",
    "hyperbaton": "5e5016",
    "logical_deduction_five_objects": "45ebc5",
    "logical_deduction_seven_objects": "45ebc5",
    "movie_recommendation": "cc2fde",
    "salient_translation_error_detection": "5b5f35",
    "reasoning_about_colored_objects": "1cb761",
    "multistep_arithmetic_two": "30f91e",
    "navigate": "1576d9",
    "dyck_languages": "805bea",
    "word_sorting": "9a3f78",
    "sports_understanding": "d3fa77",
    "boolean_expressions": "612c92",
    "object_counting": "781e5c",
    "formal_fallacies": "eada96",
    "causal_judgement": "89eaa4",
    "web_of_lies": "0c0441",
}
ITEMS = "gsm8k or math-algebra or bbh-navigate or bbh-snarks"


def plans(config: str):
    return plan_subjects(make_spec("test", config), DATA, None)


def test_versions_rows_and_order_are_opencompass_s():
    (gsm8k,) = plans("gsm8k_gen")
    assert (gsm8k.abbr, gsm8k.version, len(gsm8k.questions)) == ("gsm8k", "1d7fe4", 1319)
    math = plans("math_gen")
    assert {p.version for p in math} == {"265cce"}
    assert sum(len(p.questions) for p in math) == 5000
    bbh = plans("bbh_gen")
    assert [p.subject.key for p in bbh] == list(BBH_VERSIONS)  # config order is summary order
    assert {p.subject.key: p.version for p in bbh} == BBH_VERSIONS
    assert sum(len(p.questions) for p in bbh) == 6511


def render(plan, row: int, chat: bool = False) -> str:
    config = plan.spec.config
    pieces = render_pieces(config.infer_config(plan.subject), [], config.benchmark.fields(plan.questions[row], ""))
    return flatten_chatml(pieces, "gen") if chat else flatten_plain(pieces)


def test_prompts_keep_opencompass_s_bytes():
    (gsm8k,) = plans("gsm8k_gen")
    question = gsm8k.questions[0].question
    prompt = render(gsm8k, 0)
    assert prompt.startswith("Question: Angelo and Melanie want to plan")
    assert "free throws.  Their opponents" in prompt  # two spaces, sic
    assert "The answer is 4\n\nQuestion: Mark's basketball team" in prompt  # a blank line between shots
    assert prompt.endswith(f"The answer is 146\n\nQuestion: {question}\nLet's think step by step\nAnswer:")
    chat = render(gsm8k, 0, chat=True)
    assert chat.count("<|im_start|>user\n") == 5 and chat.count("<|im_start|>assistant\n") == 5
    assert "The answer is 4\n<|im_end|>\n<|im_start|>user\n" in chat
    assert chat.endswith("Answer:<|im_end|>\n<|im_start|>assistant\n")

    algebra = plans("math_gen")[0]
    prompt = render(algebra, 0)
    # Doubled braces are literal (fields are filled by plain replacement), stray "}}" included.
    assert prompt.startswith(
        "Problem:\nFind the domain of the expression $\\frac{{\\sqrt{{x-2}}}}{{\\sqrt{{5-x}}}}$.}}"
    )
    assert prompt.endswith(f"I hope it is correct.\n\nProblem:\n{algebra.questions[0].question}\nSolution:\n")

    navigate = next(p for p in plans("bbh_gen") if p.subject.key == "navigate")
    hint = (DATA / "BBH" / "lib_prompt" / "navigate.txt").read_text(encoding="utf-8")
    expected = f"Follow the given examples and answer the question.\n{hint}\n\nQ: {navigate.questions[0].question}"
    assert render(navigate, 0) == expected + "\nA: Let's think step by step."


@pytest.fixture(scope="session")
def base_model(checkpoints: Store) -> Path:
    """A base-like tiny model: answers in each config's format, then writes on (about a minute to train)."""
    from pytest_llmeval.tiny_base import build_base_model

    items = {"gsm8k_gen": ["gsm8k"], "math_gen": ["algebra"], "bbh_gen": ["navigate", "snarks"]}
    return checkpoints.get("base", build_base_model, DATA, per_item=4, items=items, context=400)


@pytest.fixture
def reasoning_run(pytester: pytest.Pytester, base_model: Path):
    pytester.makeini("[pytest]\n")
    (pytester.path / "model").symlink_to(base_model, target_is_directory=True)

    def run(*args: str) -> tuple[pytest.RunResult, dict]:
        time.sleep(1.05)  # run folders are named by the second
        served = any(arg.startswith("--llm-backend") for arg in args)
        result = run_pytest(
            pytester,
            "-p",
            "no:cacheprovider",
            *([] if served else ["--llm-model=model"]),
            f"--llm-data-dir={DATA}",
            "--llm-datasets",
            "gsm8k_gen",
            "math_gen",
            "bbh_gen",
            "--llm-limit=6",
            "--llm-cache-dir=cache",
            "-k",
            ITEMS,
            *args,
        )
        assert result.ret == 0, result.stdout.str() + result.stderr.str()
        folder = max((pytester.path / "outputs" / "llmeval").iterdir())
        return result, json.loads((folder / "llmeval.json").read_text(encoding="utf-8"))

    return run


def outcomes(record: dict) -> dict[tuple[str, int], dict]:
    return {(s["abbr"], o["index"]): o for s in record["subjects"] for o in s["outcomes"]}


def test_early_stop_scores_every_question_as_full_generation_does(reasoning_run, pytester):
    stopped_result, stopped = reasoning_run()
    full_result, full = reasoning_run("--llm-full-output")
    early, whole = outcomes(stopped), outcomes(full)
    assert len(early) == len(whole) == 24
    for key, outcome in whole.items():
        assert (early[key]["answer"], early[key]["correct"]) == (outcome["answer"], outcome["correct"]), key
    assert sum(o["stopped"] for o in early.values()) >= 20  # the model writes on: nearly every answer is cut
    assert not any(o["stopped"] for o in whole.values())
    assert sum(len(o["prediction"]) for o in early.values()) * 3 < sum(len(o["prediction"]) for o in whole.values())
    # The switch is part of the cache key: the full run generated afresh rather than reuse the cut texts.
    full_result.stdout.fnmatch_lines(["main: devices cpu, 1 model load(s)*"])
    # The predictions files mark the cut ones; a warm re-run answers from the cache with the same marks.
    folder = max((pytester.path / "outputs" / "llmeval").iterdir())
    assert "stopped_early" not in (folder / "predictions" / "model" / "gsm8k.json").read_text(encoding="utf-8")
    warm_result, warm = reasoning_run()
    warm_result.stdout.fnmatch_lines(["main: *24 from the result cache*"])
    assert outcomes(warm) == early
    folder = max((pytester.path / "outputs" / "llmeval").iterdir())
    marked = json.loads((folder / "predictions" / "model" / "gsm8k.json").read_text(encoding="utf-8"))
    assert [row.get("stopped_early", False) for row in marked.values()] == [
        early[("gsm8k", i)]["stopped"] for i in range(6)
    ]
    stopped_result.stdout.fnmatch_lines(
        ["gsm8k *1d7fe4 *accuracy *gen *", "bbh-snarks *42d6ca *score *gen *", "bbh-navigate *1576d9 *score *gen *"]
    )


@pytest.fixture(scope="session")
def served_base_model(base_model: Path, tmp_path_factory: pytest.TempPathFactory):
    from conftest import serve

    yield from serve(base_model, tmp_path_factory)


def test_a_server_stops_where_the_local_backend_stops(reasoning_run, served_base_model):
    """GSM8K's rule goes to the server as the stop string "Question:", BBH's is checked on the streamed text and
    the stream closed: the local backend's cut text, marks and scores. --llm-full-output decodes to the end,
    byte for byte the local full text."""
    base, name = served_base_model
    server = ["--llm-backend=openai", f"--llm-api-base={base}", f"--llm-api-model={name}", "--llm-tokenizer=model"]
    few = ["--llm-model-abbr=m", "--llm-limit=2", "-k", "gsm8k or bbh-navigate"]  # the last -k and limit win
    _, full = reasoning_run("--llm-full-output", *few)
    _, local = reasoning_run(*few)
    _, served_full = reasoning_run(*server, "--llm-full-output", *few)
    _, served = reasoning_run(*server, *few)
    whole, early, served_whole, served_early = map(outcomes, (full, local, served_full, served))
    assert len(whole) == 4
    for key, outcome in whole.items():
        assert (served_whole[key]["prediction"], served_whole[key]["stopped"]) == (outcome["prediction"], False), key
        fields = ("prediction", "answer", "correct", "stopped")
        assert [served_early[key][f] for f in fields] == [early[key][f] for f in fields], key
        assert (early[key]["answer"], early[key]["correct"]) == (outcome["answer"], outcome["correct"]), key
    assert sum(o["stopped"] for o in served_early.values()) == 4  # the model writes on: every answer is cut


LONG = 3000  # new tokens: the base model writes on to the limit, seconds of the server's time


def server_backend(api_base: str, name: str, model: Path):
    import transformers

    from pytest_llmeval.backends.hf import TokenizerOnly
    from pytest_llmeval.backends.server import ServerBackend
    from pytest_llmeval.settings import Settings

    settings = Settings(None, None, "m", backend="openai", api_base=api_base, api_model=name, api_timeout=60)
    return ServerBackend(settings, TokenizerOnly(transformers.AutoTokenizer.from_pretrained(str(model))))


def test_a_closed_stream_ends_the_request_on_the_server(served_base_model, base_model):
    """``transformers serve`` runs one generation at a time: a request left running after its stream closed
    would hold the next one back for the rest of its tokens."""
    from pytest_llmeval.records import StopRule

    base, name = served_base_model
    backend = server_backend(base, name, base_model)
    prompt = "Question: How many legs has a cat?\nLet's think step by step\nAnswer:"
    started = time.perf_counter()
    whole = backend.client.completions.create(model=name, prompt=prompt, max_tokens=LONG, temperature=0)
    full_seconds = time.perf_counter() - started
    assert (whole.usage.completion_tokens, whole.choices[0].finish_reason) == (LONG, "length")
    started = time.perf_counter()
    [text] = backend.generate([prompt], LONG, 4096 - LONG, stop=StopRule("first word", lambda t: len(t) > 1))
    backend.client.completions.create(model=name, prompt=prompt, max_tokens=1, temperature=0)
    both = time.perf_counter() - started
    assert whole.choices[0].text.startswith(text) and 1 < len(text) < 20
    assert both < full_seconds / 4, (both, full_seconds)


def test_a_broken_stream_is_retried_whole_never_stitched(served_base_model, base_model, monkeypatch):
    from relay import Relay

    from pytest_llmeval.backends import server
    from pytest_llmeval.errors import ServerError
    from pytest_llmeval.judging.stopping import STOPS

    monkeypatch.setattr(server, "STREAM_BACKOFF", 0.01)
    base, name = served_base_model
    navigate = next(p for p in plans("bbh_gen") if p.subject.key == "navigate")
    prompt = render(navigate, 0)
    [direct] = server_backend(base, name, base_model).generate([prompt], 512, 4096 - 512, stop=STOPS["bbh_mcq"])
    relay = Relay(base, breaks=2, events=5)  # two tries cut off after five tokens each, the third whole
    try:
        [relayed] = server_backend(relay.base, name, base_model).generate(
            [prompt], 512, 4096 - 512, stop=STOPS["bbh_mcq"]
        )
    finally:
        relay.close()
    assert relayed == direct  # the third try's text alone: the broken tries' five tokens are not in it twice
    assert relay.broken == 2 and len(relay.bodies) == 3 and all(b == relay.bodies[0] for b in relay.bodies)
    assert len(direct) > 40 and STOPS["bbh_mcq"].reached(direct)

    relay = Relay(base, breaks=10, events=5)  # a stream that always breaks: one line after the retries
    try:
        with pytest.raises(ServerError) as raised:
            server_backend(relay.base, name, base_model).generate([prompt], 512, 4096 - 512, stop=STOPS["bbh_mcq"])
    finally:
        relay.close()
    assert str(raised.value) == f"{relay.base}/completions: the stream broke (connection failed) after 3 retries"
    assert len(relay.bodies) == 4
