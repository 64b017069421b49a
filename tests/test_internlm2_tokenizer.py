"""Our C-Eval prompts through the real InternLM2 tokenizer, where the shared data folder sits beside the checkout.

What a prompt costs in tokens decides how many shots survive ``--llm-max-seq-len`` (spec §2.3), and a doubled or
missing BOS, or a ``<|im_start|>`` split into pieces, silently changes every answer. The toy tokenizers of the
other tests cannot show any of that, so this module checks, on the real tokenizer and the real C-Eval files:

- base prompts (the seed command) and chat prompts (the InternLM2 preset's ChatML meta template and
  ``--llm-hf-type chat`` with the tokenizer's own template) carry BOS once, at the start, and the chat markers
  as single ids; the two chat routes give the same ids;
- the ids equal a plain sentencepiece encoding, so the stand-in tokenizer class below is checked, not assumed;
- the number of shots kept for every val question, pinned in ``tests/data/internlm2_shots.tsv``.

InternLM2's tokenizer is remote code we do not ship. Its encode path is plain sentencepiece with BOS added and the
special tokens split out first, which is what transformers 4.x's slow ``LlamaTokenizer`` does with
``legacy=True``; the module loads a copy of the folder configured that way. Skips without the tokenizer, the
data or sentencepiece (the ``internlm2`` extra), and on transformers 5. ``LLMEVAL_SHARED`` points elsewhere;
``LLMEVAL_WRITE_SHOTS=1`` rewrites the pinned table.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest

from pytest_llmeval.datasets.plan import SubjectPlan, plan_subjects
from pytest_llmeval.datasets.suite import make_spec
from pytest_llmeval.runner import build_prompts, renderer
from pytest_llmeval.settings import Settings

pytestmark = pytest.mark.second_line  # CI runs this file again on the transformers 4.48 line

SHARED = Path(os.environ.get("LLMEVAL_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"
SOURCE = DATA / "tokenizers" / "internlm2"
PINNED = Path(__file__).with_name("data") / "internlm2_shots.tsv"

if not (SOURCE / "tokenizer.model").is_file() or not (DATA / "ceval" / "formal_ceval").is_dir():
    pytest.skip(f"no InternLM2 tokenizer or C-Eval data under {DATA}", allow_module_level=True)
if int(version("transformers").split(".")[0]) >= 5:
    # transformers 5 has no slow LlamaTokenizer: its replacement prepends "▁" to the text and gives
    # <|im_start|> a new id past the vocabulary, so it is not InternLM2's tokenizer.
    pytest.skip(
        f"transformers {version('transformers')}: InternLM2 runs on transformers 4.48.x (the internlm2 extra)",
        allow_module_level=True,
    )
sentencepiece = pytest.importorskip("sentencepiece", reason="the InternLM2 tokenizer needs the internlm2 extra")

BOS, IM_START, IM_END = 1, 92543, 92542  # spec §2.1 and §2.2
SHOTS = 5
# Subjects for the id checks: the first one, one with very long prompts (Chinese texts), and one with code.
SUBJECTS = ["computer_network", "high_school_chinese", "college_programming"]
# Pinned columns: (meta template, --llm-max-seq-len).
COLUMNS = {
    "base_2048": (None, 2048),
    "base_1024": (None, 1024),
    "chatml_2048": ("chatml", 2048),
    "chatml_1024": ("chatml", 1024),
}


def settings(**overrides: object) -> Settings:
    """Run settings; prompt building reads only ``max_seq_len``, ``meta_template`` and ``hf_type``."""
    return Settings(model=None, tokenizer=None, model_abbr="internlm2-chat-1.8b-hf", **overrides)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory):
    """The shared folder, copied and pointed at transformers' slow LlamaTokenizer instead of the remote code."""
    from transformers import AutoTokenizer

    folder = tmp_path_factory.mktemp("internlm2") / "tokenizer"
    shutil.copytree(SOURCE, folder)
    config_file = folder / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config.pop("auto_map", None)
    config.update(tokenizer_class="LlamaTokenizer", legacy=True)
    config_file.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    loaded = AutoTokenizer.from_pretrained(str(folder), use_fast=False)
    # A fast tokenizer would be a conversion of the model, not sentencepiece itself.
    assert not loaded.is_fast
    return loaded


@pytest.fixture(scope="module")
def backend(tokenizer):
    from pytest_llmeval.backends.hf import TokenizerOnly

    return TokenizerOnly(tokenizer)


@pytest.fixture(scope="module")
def reference() -> Callable[[str], list[int]]:
    """InternLM2's encoding written out from the untouched files: BOS, then each special token as its id and
    each stretch between them as sentencepiece encodes it."""
    model = sentencepiece.SentencePieceProcessor(model_file=str(SOURCE / "tokenizer.model"))
    config = json.loads((SOURCE / "tokenizer_config.json").read_text(encoding="utf-8"))
    special = {entry["content"]: int(number) for number, entry in config["added_tokens_decoder"].items()}
    splitter = re.compile("(" + "|".join(map(re.escape, special)) + ")")

    def encode(text: str) -> list[int]:
        ids = [BOS]
        for segment in splitter.split(text):
            if segment in special:
                ids.append(special[segment])
            elif segment:
                ids += model.encode(segment)
        return ids

    return encode


@pytest.fixture(scope="module")
def plans() -> list[SubjectPlan]:
    return plan_subjects(make_spec("internlm2", "ceval_gen"), DATA, None)


def plan_of(plans: list[SubjectPlan], key: str) -> SubjectPlan:
    return next(plan for plan in plans if plan.subject.key == key)


def ids_of(backend, text: str) -> list[int]:
    """The ids the model is fed: the package's backend calls its tokenizer exactly like this."""
    return backend.tokenizer(text)["input_ids"]


def assert_one_bos(ids: list[int]) -> None:
    assert ids[0] == BOS
    assert ids.count(BOS) == 1


@pytest.mark.parametrize("subject", SUBJECTS)
def test_base_prompts_have_one_bos_and_sentencepiece_ids(subject, plans, backend, reference):
    """The seed command: no chat template, every piece joined by a newline, BOS added by the tokenizer."""
    plan = plan_of(plans, subject)
    for prompt in build_prompts(plan, backend, settings()):
        assert prompt.shots == SHOTS
        assert prompt.text.endswith("答案: ")
        ids = ids_of(backend, prompt.text)
        assert_one_bos(ids)
        assert ids == reference(prompt.text)
        assert len(ids) == prompt.tokens


@pytest.mark.parametrize("subject", SUBJECTS)
def test_both_chat_routes_give_the_same_ids(subject, plans, backend, reference, tokenizer):
    """The preset's ChatML meta template and ``--llm-hf-type chat`` (the tokenizer's own template) must agree."""
    plan = plan_of(plans, subject)
    open_turn = reference("<|im_start|>assistant\n")[1:]  # the generation slot the prompt ends with
    chatml = build_prompts(plan, backend, settings(meta_template="chatml"))
    chat = build_prompts(plan, backend, settings(hf_type="chat"))
    for meta, own in zip(chatml, chat, strict=True):
        assert meta.shots == own.shots == SHOTS
        ids = ids_of(backend, meta.text)
        assert ids == ids_of(backend, own.text)
        assert ids == reference(meta.text)
        assert len(ids) == meta.tokens == own.tokens
        assert_one_bos(ids)
        # A user and an assistant turn per shot, the question, and the open assistant turn; the open turn
        # has no end marker.
        assert ids.count(IM_START) == 2 * SHOTS + 2
        assert ids.count(IM_END) == 2 * SHOTS + 1
        assert ids[-len(open_turn) :] == open_turn
    # The tokenizer's template starts with the BOS text: only stripping it keeps the BOS single.
    messages = [{"role": "user", "content": "1+1="}]
    assert tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True).startswith("<s>")
    assert not chat[0].text.startswith("<s>")


def shots_kept(plans: list[SubjectPlan], backend, meta_template: str | None, max_seq_len: int) -> list[int]:
    """Shots kept per val question, in plan order, by the package's own prompt building (spec §2.3)."""
    chosen = settings(meta_template=meta_template, max_seq_len=max_seq_len)
    return [prompt.shots for plan in plans for prompt in build_prompts(plan, backend, chosen)]


@pytest.fixture(scope="module")
def kept(plans, backend) -> dict[tuple[str, int], tuple[int, ...]]:
    """(subject, question index) -> shots kept in each of ``COLUMNS``."""
    keys = [(plan.subject.key, question.index) for plan in plans for question in plan.questions]
    columns = [shots_kept(plans, backend, meta, length) for meta, length in COLUMNS.values()]
    return dict(zip(keys, zip(*columns, strict=True), strict=True))


def table_text(kept: dict[tuple[str, int], tuple[int, ...]]) -> str:
    """The pinned file: a few comment lines, the header, and one row per question that lost a shot anywhere."""
    totals = ", ".join(f"{name} {sum(row[n] < SHOTS for row in kept.values())}" for n, name in enumerate(COLUMNS))
    lines = [
        "# Shots kept (of 5) per C-Eval val question with the InternLM2 tokenizer: the last shot is dropped while",
        "# the prompt, BOS included, is longer than --llm-max-seq-len (base: no chat template; chatml: the",
        "# hf_internlm2_chat_1_8b preset). Only questions with a column below 5 are listed.",
        f"# Questions below 5 of {len(kept)}: {totals}.",
        "# Rewrite with LLMEVAL_WRITE_SHOTS=1 (tests/test_internlm2_tokenizer.py, transformers 4.48.x).",
        "\t".join(["subject", "index", *COLUMNS]),
    ]
    lines += ["\t".join(map(str, [*key, *row])) for key, row in kept.items() if min(row) < SHOTS]
    return "\n".join(lines) + "\n"


def test_shots_kept_match_the_pinned_table(kept):
    computed = table_text(kept)
    if os.environ.get("LLMEVAL_WRITE_SHOTS") == "1":
        PINNED.parent.mkdir(exist_ok=True)
        PINNED.write_text(computed, encoding="utf-8")
        pytest.skip(f"LLMEVAL_WRITE_SHOTS=1: wrote {PINNED}; check its diff and run again without it")
    if not PINNED.is_file():
        pytest.fail(f"{PINNED} is missing; write it with LLMEVAL_WRITE_SHOTS=1", pytrace=False)
    pinned = PINNED.read_text(encoding="utf-8")
    if computed != pinned:
        diff = difflib.unified_diff(pinned.splitlines(), computed.splitlines(), str(PINNED), "computed", lineterm="")
        pytest.fail(
            "shots kept differ from the pinned table (rewrite it with LLMEVAL_WRITE_SHOTS=1 if the change is meant):\n"
            + "\n".join(diff),
            pytrace=False,
        )


def test_shots_kept_are_plausible(kept):
    assert len(kept) == 1346
    assert len({subject for subject, _ in kept}) == 52
    columns = list(COLUMNS)
    for key, row in kept.items():
        assert all(0 <= shots <= SHOTS for shots in row), key
        by_name = dict(zip(columns, row, strict=True))
        # A shorter limit can only drop more shots.
        assert by_name["base_1024"] <= by_name["base_2048"], key
        assert by_name["chatml_1024"] <= by_name["chatml_2048"], key


def test_shots_kept_are_the_most_that_fit_by_sentencepiece(plans, backend, reference, kept):
    """Recount with sentencepiece alone: each kept prompt fits, and one more shot would not."""
    for number, (column, (meta_template, max_seq_len)) in enumerate(COLUMNS.items()):
        chosen = settings(meta_template=meta_template, max_seq_len=max_seq_len)
        for plan in plans:
            for question in plan.questions:
                where = (column, plan.subject.key, question.index)
                shots = kept[plan.subject.key, question.index][number]
                render = renderer(plan, backend, chosen, question, None)
                assert shots == 0 or len(reference(render(shots))) <= max_seq_len, where
                assert shots == SHOTS or len(reference(render(shots + 1))) > max_seq_len, where


def test_hf_type_chat_drops_shots_like_the_chatml_preset(plans, backend):
    """``--llm-hf-type chat`` renders with the tokenizer's template; on InternLM2 it must cost the same tokens."""
    limit = 1024  # the length where shots are dropped
    for plan in plans:
        chatml = build_prompts(plan, backend, settings(meta_template="chatml", max_seq_len=limit))
        chat = build_prompts(plan, backend, settings(hf_type="chat", max_seq_len=limit))
        assert chat == chatml, plan.subject.key
