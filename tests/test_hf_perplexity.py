"""``ppl`` mode's reference definition on the tiny model: OpenCompass 0.2.4's score, checked by hand."""

from __future__ import annotations

import pytest
import torch

from pytest_llmeval.datasets.ceval import SUBJECT_BY_KEY, read_split, split_path
from pytest_llmeval.datasets.declared import ceval_ppl
from pytest_llmeval.datasets.templates import flatten_plain, render_pieces
from pytest_llmeval.demo import SAMPLE_DATA
from pytest_llmeval.settings import Settings

pytestmark = pytest.mark.second_line  # CI runs this file again on the transformers 4.48 line

ROOT = SAMPLE_DATA / "ceval" / "formal_ceval"


def load(model):
    from pytest_llmeval.backends.hf import HFBackend

    return HFBackend.load(Settings(model=model, tokenizer=model, model_abbr="tiny"))


@pytest.fixture(scope="module")
def untrained(untrained_model):
    return load(untrained_model)


@pytest.fixture(scope="module")
def trained(tiny_model):
    return load(tiny_model)


def by_hand(backend, text: str) -> float:
    """Sum of -log p(token t+1 | tokens <= t) over the text, over its token count (BOS counted), pad targets skipped."""
    ids = backend.tokenizer(text, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        log_probs = torch.log_softmax(backend.model(input_ids=ids).logits[0].double(), dim=-1)
    pad = backend.tokenizer.pad_token_id
    total = sum(-log_probs[t, ids[0, t + 1]].item() for t in range(ids.shape[1] - 1) if ids[0, t + 1] != pad)
    return total / int((ids[0] != pad).sum())


TEXTS = ["以下是中国关于法学考试的单项选择题", "答案: B", "A. 甲\nB. 乙\nC. 丙\nD. 丁\n答案: C"]


def test_score_is_the_reference_definition(untrained):
    for text in TEXTS:
        assert untrained.perplexity([text], 2048)[0] == pytest.approx(by_hand(untrained, text), rel=1e-5)


def test_batched_scores_equal_one_at_a_time(untrained):
    batched = untrained.perplexity(TEXTS, 2048)
    assert len({len(untrained.tokenizer(t)["input_ids"]) for t in TEXTS}) == 3, "rows of different lengths are padded"
    assert batched == pytest.approx([untrained.perplexity([t], 2048)[0] for t in TEXTS], rel=1e-5)


def test_targets_equal_to_the_pad_id_are_ignored(untrained):
    eos = untrained.tokenizer.eos_token
    assert untrained.tokenizer.pad_token_id == untrained.tokenizer.eos_token_id, "the tiny tokenizer pads with EOS"
    text = f"答案: B{eos}以下"
    assert untrained.perplexity([text], 2048)[0] == pytest.approx(by_hand(untrained, text), rel=1e-5)


def test_truncated_to_max_seq_len(untrained):
    text = TEXTS[2]
    ids = untrained.tokenizer(text)["input_ids"]
    cut = untrained.tokenizer.decode(ids[1:6])
    assert len(ids) > 6
    assert untrained.perplexity([text], 6)[0] == pytest.approx(untrained.perplexity([cut], 2048)[0], rel=1e-5)


def test_trained_model_gives_the_gold_label_the_lowest_score(trained):
    """ceval_ppl prompts: the label with the lowest score is the answer (ties to the first, as OpenCompass)."""
    subject = SUBJECT_BY_KEY["law"]
    config = ceval_ppl(subject.chinese)

    def fields(q, answer):
        return (("question", q.question), *zip("ABCD", q.choices), ("answer", answer))

    shots = [(fields(q, q.answer), q.answer) for q in read_split(split_path(ROOT, "law", "dev"), "dev")]
    questions = read_split(split_path(ROOT, "law", "val"), "val")
    picked = []
    for question in questions:
        prompts = [flatten_plain(render_pieces(config, shots, fields(question, question.answer), x)) for x in "ABCD"]
        scores = trained.perplexity(prompts, 2048)
        picked.append("ABCD"[scores.index(min(scores))])
    assert picked == [q.answer for q in questions]
