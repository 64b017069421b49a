"""What the server backend sends and keeps: stop strings as ``stop``, the stop text put back, prompts cut as the
transformers backend cuts them. Against a local OpenAI-shaped server that honours ``stop`` as vLLM does."""

from __future__ import annotations

import dataclasses
import http.server
import json
import threading
from typing import ClassVar

import pytest

from pytest_llmeval.backends.cache import _stop_key
from pytest_llmeval.backends.server import ServerBackend, ServerTokens
from pytest_llmeval.backends.truncation import cut_prompt
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import StopRule
from pytest_llmeval.settings import Settings

TRIVIA = StopRule("", None, ("Q:", "\n"))
WRITES = "Paris\nQ: What is next?"  # what the model would write on without a stop


class Vllm(http.server.BaseHTTPRequestHandler):
    """Writes ``WRITES`` and ends at the earliest stop string, stripping it, as OpenAI servers do; names the
    string in ``stop_reason`` as vLLM does unless ``names_stop`` is off (the official API does not)."""

    bodies: ClassVar[list[dict]] = []
    names_stop = True

    tokenized: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/tokenize":  # vLLM's: one token a character here
            Vllm.tokenized.append(body["prompt"])
            self._answer({"count": len(body["prompt"])})
            return
        Vllm.bodies.append(body)
        found = [(WRITES.find(s), s) for s in body.get("stop") or [] if s in WRITES]
        at, matched = min(found) if found else (len(WRITES), None)
        choice = {"index": 0, "finish_reason": "stop" if matched else "length"}
        if self.names_stop:
            choice["stop_reason"] = matched
        if "messages" in body:
            choice["message"] = {"role": "assistant", "content": WRITES[:at]}
        else:
            choice["text"] = WRITES[:at]
        self._answer({"id": "1", "object": "x", "created": 0, "model": "m", "choices": [choice]})

    def _answer(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


class Counts:
    """Token counts without a tokenizer that can cut (as the server's ``/tokenize``): one token a character."""

    def count_tokens(self, prompt: str) -> int:
        return len(prompt)

    cut = ServerTokens.cut
    settings = Settings(None, None, "m", backend="openai", api_base="http://127.0.0.1:9/v1", api_model="m")


@pytest.fixture
def serve():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Vllm)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Vllm.bodies = []
    Vllm.tokenized = []

    def backend(tokens: object, **settings: object) -> ServerBackend:
        base = f"http://127.0.0.1:{server.server_address[1]}/v1"
        every = Settings(
            model=None, tokenizer=None, model_abbr="m", backend="openai", api_base=base, api_model="m", api_timeout=5
        )
        return ServerBackend(dataclasses.replace(every, **settings), tokens)

    yield backend
    server.shutdown()
    Vllm.names_stop = True


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    import transformers

    return transformers.AutoTokenizer.from_pretrained(str(tiny_model))


def test_config_stop_strings_go_as_stop_and_the_stop_text_is_kept(serve, tokenizer):
    from pytest_llmeval.backends.hf import TokenizerOnly

    backend = serve(TokenizerOnly(tokenizer))
    assert backend.generate(["Q: Capital of France?\nA:"], 16, 100, stop=TRIVIA) == ["Paris\n"]
    assert Vllm.bodies[-1]["stop"] == ["Q:", "\n"]
    assert backend.generate(["Q: Capital of France?\nA:"], 16, 100) == [WRITES]
    assert "stop" not in Vllm.bodies[-1] or Vllm.bodies[-1]["stop"] is None


def test_a_server_that_does_not_name_the_stop_keeps_its_text(serve, tokenizer):
    from pytest_llmeval.backends.hf import TokenizerOnly

    Vllm.names_stop = False  # finish_reason "stop" alone: a stop string or the end token, not knowable which
    assert serve(TokenizerOnly(tokenizer)).generate(["Q: ?\nA:"], 16, 100, stop=TRIVIA) == ["Paris"]


def test_a_server_that_keeps_the_stop_text_is_not_given_it_twice():
    from types import SimpleNamespace

    from pytest_llmeval.backends.server import with_stop_text

    kept = SimpleNamespace(finish_reason="stop", stop_reason="\n")  # vLLM with include_stop_str_in_output
    assert with_stop_text("Paris\n", kept, ("Q:", "\n")) == "Paris\n"
    assert with_stop_text("Paris", kept, ("Q:", "\n")) == "Paris\n"


def test_chat_prompts_send_the_end_string_too_and_never_keep_it(serve, tokenizer):
    from pytest_llmeval.backends.hf import TokenizerOnly

    backend = serve(TokenizerOnly(tokenizer), end_str="\n")
    text = backend.chat_prompt([{"role": "user", "content": "Capital of France?"}])
    assert backend.generate([text], 16, 100, stop=StopRule("", None, ("Q:",))) == ["Paris"]
    assert Vllm.bodies[-1]["stop"] == ["Q:", "\n"] and "messages" in Vllm.bodies[-1]


@pytest.mark.parametrize("side", ["right", "left"])
def test_a_long_prompt_is_cut_to_the_ids_the_transformers_backend_runs(serve, tokenizer, side):
    from pytest_llmeval.backends.hf import TokenizerOnly

    tokenizer.truncation_side = side
    try:
        prompt = "The capital of France is Paris. " * 12 + "Q: What is the capital of Italy?\nA:"
        local = tokenizer(prompt, truncation=True, max_length=20)["input_ids"]  # as Generation.encode cuts
        assert len(tokenizer(prompt)["input_ids"]) > 20
        backend = serve(TokenizerOnly(tokenizer))
        backend.generate([prompt], 4, 20)
        sent = Vllm.bodies[-1]["prompt"]
        assert tokenizer(sent)["input_ids"] == local
        assert prompt.endswith(sent) if side == "left" else prompt.startswith(sent)
        assert cut_prompt(tokenizer, "Q: short?\nA:", 20) == "Q: short?\nA:"  # a prompt that fits goes as it is
    finally:
        tokenizer.truncation_side = "right"


def test_a_cut_chat_prompt_goes_as_its_template_text(serve, tokenizer):
    from pytest_llmeval.backends.hf import TokenizerOnly

    backend = serve(TokenizerOnly(tokenizer))
    text = backend.chat_prompt([{"role": "user", "content": "Capital of France? " * 20}])
    backend.generate([text], 4, 16)
    sent = Vllm.bodies[-1]
    assert "messages" not in sent
    assert tokenizer(sent["prompt"])["input_ids"] == tokenizer(text, truncation=True, max_length=16)["input_ids"]


def test_a_prompt_without_a_tokenizer_that_cuts_is_one_line(serve):
    backend = serve(Counts())
    assert backend.generate(["short"], 4, 10) == [WRITES]
    with pytest.raises(LlmEvalError) as raised:
        backend.generate(["x" * 30], 4, 10)
    assert str(raised.value) == (
        "a prompt of 30 tokens is over the 10-token limit (max-seq-len - max-out-len), and http://127.0.0.1:9/v1 "
        "cannot cut it as the transformers backend does: give the model's tokenizer files with --llm-tokenizer DIR"
    )
    assert len(Vllm.bodies) == 1  # the long prompt was never sent


def test_the_server_result_cache_keys_on_the_stop_strings():
    assert _stop_key(TRIVIA, honoured=False) != _stop_key(StopRule("", None, ("\n",)), honoured=False)
    assert _stop_key(None, honoured=False) is None


def test_a_rule_that_is_a_stop_string_stops_on_the_server_and_keeps_its_text(serve, tokenizer):
    from pytest_llmeval.backends.hf import TokenizerOnly

    marker = StopRule("marker", lambda text: "Q:" in text, markers=("Q:",))  # as GSM8K's "Question:"
    backend = serve(TokenizerOnly(tokenizer))
    assert backend.generate(["Q: Capital of France?\nA:"], 16, 100, stop=marker) == ["Paris\nQ:"]
    assert Vllm.bodies[-1]["stop"] == ["Q:"] and not Vllm.bodies[-1].get("stream")
    assert marker.reached("Paris\nQ:")  # so the prediction is marked stopped early, as the local one is


def test_a_server_that_answers_a_stream_whole_is_one_line(serve, tokenizer):
    from pytest_llmeval.backends.hf import TokenizerOnly
    from pytest_llmeval.errors import ServerError

    backend = serve(TokenizerOnly(tokenizer))  # this one ignores "stream": true and answers JSON
    with pytest.raises(ServerError) as raised:
        backend.generate(["Q: ?\nA:"], 16, 100, stop=StopRule("first_capital", str.isupper))
    assert Vllm.bodies[-1]["stream"] is True and len(Vllm.bodies) == 1  # nothing to retry: it is no break
    assert str(raised.value).endswith(
        "/completions: a streamed request was answered with application/json, not a stream; the answer-fixed stop "
        "streams: run with --llm-full-output against this server"
    )


def test_prompts_cut_from_many_threads_are_cut_as_one_thread_cuts_them(tokenizer):
    """A fast tokenizer's truncation is state on the shared tokenizer: unguarded, one thread's plain encode
    cleared another's truncation, and about a quarter of 400 prompts went out whole."""
    from concurrent.futures import ThreadPoolExecutor

    prompts = [f"Question {i}: " + "the capital of France is Paris and " * (8 + i % 7) for i in range(400)]
    alone = [cut_prompt(tokenizer, p, 40) for p in prompts]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda p: cut_prompt(tokenizer, p, 40), prompts))
    assert together == alone
    assert all(len(tokenizer(p)["input_ids"]) <= 40 for p in together)


def test_the_cut_asks_the_server_for_no_count_that_shot_dropping_has(serve):
    backend = serve(None)
    backend.tokens = ServerTokens(backend.settings)  # counts from the server's /tokenize
    assert backend.count_tokens("short") == 5  # as shot dropping counts every prompt first
    assert backend.generate(["short"], 4, 10) == [WRITES]
    assert Vllm.tokenized == ["short"]  # once, not again for the cut
