"""The cache layer's bookkeeping: slices stored as they finish (so a killed run resumes), keys, digests."""

from __future__ import annotations

import pytest

from pytest_llmeval.backends.cache import SLICE_BATCHES, CachedBackend, Store


class Recorder:
    """A backend that answers by rule and records what it was asked; it can fail after some calls."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.asked: list[list[str]] = []
        self.fail_after = fail_after
        self.device = "cpu"

    def generate_all(self, prompts, max_out_len, max_prompt_tokens, batch_size, on_batch=lambda done: None, stop=None):
        if self.fail_after is not None and len(self.asked) >= self.fail_after:
            raise KeyboardInterrupt  # the run is killed mid-subject
        self.asked.append(list(prompts))
        return [p.upper() for p in prompts]

    def label_scores(self, questions, max_seq_len, batch_size, on_batch=lambda done: None):
        self.asked.append([q[0] for q in questions])
        return [[float(len(t)) for t in q] for q in questions]


def cached(store, inner, fingerprint="f"):
    loads = []

    def load():
        loads.append(1)
        return inner

    return CachedBackend(lambda: None, lambda tokens: load(), store, fingerprint, "tokens"), loads


PROMPTS = [f"question {i}" for i in range(50)]


def test_a_killed_run_resumes_from_the_finished_slices(tmp_path):
    store = Store(tmp_path)
    backend, _ = cached(store, Recorder(fail_after=2))
    with pytest.raises(KeyboardInterrupt):
        backend.generate_all(PROMPTS, 16, 100, batch_size=2)
    done = 2 * 2 * SLICE_BATCHES  # two slices of 8 batches of 2 finished before the kill
    inner = Recorder()
    again, loads = cached(store, inner)
    progress = []
    assert again.generate_all(PROMPTS, 16, 100, batch_size=2, on_batch=progress.append) == [p.upper() for p in PROMPTS]
    assert [p for chunk in inner.asked for p in chunk] == PROMPTS[done:]
    assert again.hits == done and progress[0] == done and progress[-1] == 50 and len(loads) == 1


def test_a_full_hit_never_loads_the_model(tmp_path):
    store = Store(tmp_path)
    first, _ = cached(store, Recorder())
    first.label_scores([("a", "bb"), ("ccc", "d")], 2048, 4)
    again, loads = cached(store, Recorder())
    assert again.label_scores([("a", "bb"), ("ccc", "d")], 2048, 4) == [[1.0, 2.0], [3.0, 1.0]]
    assert loads == [] and again.hits == 2 and again.device == "cache"


def test_keys_separate_fingerprints_and_settings(tmp_path):
    store = Store(tmp_path)
    cached(store, Recorder(), "model-1")[0].generate_all(PROMPTS[:3], 16, 100, 4)
    other = Recorder()
    backend, _ = cached(store, other, "model-2")
    backend.generate_all(PROMPTS[:3], 16, 100, 4)
    assert other.asked == [PROMPTS[:3]]
    same_model = Recorder()
    backend, _ = cached(store, same_model, "model-1")
    backend.generate_all(PROMPTS[:3], 8, 100, 4)  # another max_out_len
    assert same_model.asked == [PROMPTS[:3]]


class Counter:
    def __init__(self) -> None:
        self.counted: list[str] = []

    def count_many(self, prompts):
        self.counted += prompts
        return [len(p) for p in prompts]


def test_token_counts_are_cached_and_the_tokenizer_loads_only_for_a_miss(tmp_path):
    store = Store(tmp_path)
    counter = Counter()
    first = CachedBackend(lambda: counter, lambda tokens: Recorder(), store, "f", "tokens")
    assert first.count_many(["ab", "abc"]) == [2, 3] and first.count_tokens("ab") == 2
    first.generate_all(["ab"], 16, 100, 4)  # results and pending counts are written together
    loaded = []
    again = CachedBackend(lambda: loaded.append(1), lambda tokens: Recorder(), store, "f", "tokens")
    assert again.count_many(["ab", "abc"]) == [2, 3] and loaded == []
    assert counter.counted == ["ab", "abc"]


def test_file_digests_follow_content_not_mtime(tmp_path):
    store = Store(tmp_path / "cache")
    path = tmp_path / "weights.bin"
    path.write_bytes(b"abc")
    first = store.digest(path)
    path.write_bytes(b"abc")
    assert store.digest(path) == first
    path.write_bytes(b"abd")
    assert store.digest(path) != first


def test_chat_prompts_reach_a_backend_that_sends_messages_even_when_cached(tmp_path):
    """The server backend sends chat rounds as messages, remembered as it renders them: the cache must not
    answer its chat prompts from the store, or a later run would send the rendered text instead."""
    from pytest_llmeval.backends.server import ServerBackend

    class Messages:
        records_messages = ServerBackend.records_messages

        def __init__(self) -> None:
            self.rendered: list[list[dict]] = []

        def chat_prompt(self, messages):
            self.rendered.append(list(messages))
            return "|".join(m["content"] for m in messages)

    store = Store(tmp_path)
    messages = [{"role": "user", "content": "1+1="}]
    for _ in range(2):
        tokens = Messages()
        cached = CachedBackend(lambda tokens=tokens: tokens, lambda tokens: None, store, "f", "tokens")
        assert cached.chat_prompt(messages) == "1+1="
        cached.flush()
        assert tokens.rendered == [messages]
