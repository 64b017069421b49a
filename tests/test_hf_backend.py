"""The transformers backend on the tiny model: what OpenCompass's HF wrapper does, checked directly."""

from __future__ import annotations

import pytest

from pytest_llmeval.datasets.ceval import SUBJECT_BY_KEY, read_split, split_path
from pytest_llmeval.datasets.configs import CEVAL_GEN
from pytest_llmeval.demo import SAMPLE_DATA
from pytest_llmeval.prompts import chat_messages, render_plain
from pytest_llmeval.settings import Settings

pytestmark = pytest.mark.second_line  # CI runs this file again on the transformers 4.48 line

ROOT = SAMPLE_DATA / "ceval" / "formal_ceval"


@pytest.fixture(scope="module")
def backend(tiny_model):
    from pytest_llmeval.backends.hf import HFBackend

    settings = Settings(model=tiny_model, tokenizer=tiny_model, model_abbr="tiny", hf_type="chat")
    return HFBackend.load(settings)


@pytest.fixture(scope="module")
def law():
    subject = SUBJECT_BY_KEY["law"]
    shots = read_split(split_path(ROOT, "law", "dev"), "dev")
    questions = read_split(split_path(ROOT, "law", "val"), "val")
    return CEVAL_GEN.round_template(subject), shots, questions


def test_tokenizer_pads_left_and_counts_bos(backend):
    assert backend.tokenizer.padding_side == "left"
    ids = backend.tokenizer("答案: ")["input_ids"]
    assert ids[0] == backend.tokenizer.bos_token_id
    assert backend.count_tokens("答案: ") == len(ids)


def test_chat_prompt_is_the_internlm2_format_without_bos(backend, law):
    template, shots, questions = law
    prompt = backend.chat_prompt(chat_messages(template, shots[:1], questions[0]))
    expected = (
        f"<|im_start|>user\n{render_plain(template, [], shots[0])}<|im_end|>\n"
        f"<|im_start|>assistant\n{shots[0].answer}<|im_end|>\n"
        f"<|im_start|>user\n{render_plain(template, [], questions[0])}<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert prompt == expected


def test_batched_left_padded_generation_equals_one_at_a_time(backend, law):
    """Prompts of different lengths in one batch: padding must not change any continuation."""
    template, shots, questions = law
    prompts = [render_plain(template, shots[:k], q) for k, q in zip((5, 1, 3, 0), questions)]
    assert len({backend.count_tokens(p) for p in prompts}) == 4
    batched = backend.generate(prompts, 16, 2032)
    single = [backend.generate([p], 16, 2032)[0] for p in prompts]
    assert batched == single
    assert all(text and "以下是中国" not in text for text in batched), "only the new tokens are decoded"


def test_chat_generation_stops_and_drops_special_tokens(backend, law):
    template, shots, questions = law
    prompt = backend.chat_prompt(chat_messages(template, shots, questions[1]))
    (text,) = backend.generate([prompt], 16, 2032)
    assert text == questions[1].answer, "the trained model answers with the letter, then <|im_end|> stops it"


@pytest.fixture(scope="module")
def untrained_backend(untrained_model):
    from pytest_llmeval.backends.hf import HFBackend

    return HFBackend.load(Settings(model=untrained_model, tokenizer=untrained_model, model_abbr="untrained"))


def test_batched_scores_equal_one_at_a_time_on_an_untrained_model(untrained_backend, law):
    """Every step's logits, not just the argmax: a padding, mask or position-id bug shows on a random model."""
    import copy

    import torch

    backend = untrained_backend
    template, shots, questions = law
    prompts = [render_plain(template, shots[:k], q) for k, q in zip((5, 1, 3, 0), questions)]
    config = copy.copy(backend.generation_config)
    config.max_new_tokens = 6

    def scores(batch: list[str]) -> torch.Tensor:
        with torch.inference_mode():
            out = backend.model.generate(
                **backend.encode(batch, 2032),
                generation_config=config,
                output_scores=True,
                return_dict_in_generate=True,
            )
        return torch.stack(out.scores, dim=1)  # (batch, steps, vocab)

    batched = scores(prompts)
    for row, prompt in enumerate(prompts):
        alone = scores([prompt])[0]
        steps = min(alone.shape[0], batched.shape[1])
        torch.testing.assert_close(batched[row, :steps], alone[:steps], atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("side", ["left", "right"])
def test_prompts_are_cut_to_max_prompt_tokens_on_the_truncation_side(untrained_backend, law, side):
    """max_seq_len - max_out_len, cut where the tokenizer's truncation_side says, BOS kept in front (as OpenCompass)."""
    backend = untrained_backend
    template, shots, questions = law
    prompt = render_plain(template, shots, questions[0])
    full = backend.tokenizer(prompt)["input_ids"]
    limit = 40
    assert len(full) > limit
    original = backend.tokenizer.truncation_side
    backend.tokenizer.truncation_side = side
    try:
        ids = backend.encode([prompt], limit)["input_ids"][0].tolist()
        (text,) = backend.generate([prompt], 3, limit)
    finally:
        backend.tokenizer.truncation_side = original
    bos = backend.tokenizer.bos_token_id
    assert len(ids) == limit
    assert ids == (full[:limit] if side == "right" else [bos] + full[1:][-(limit - 1) :])
    assert isinstance(text, str)
