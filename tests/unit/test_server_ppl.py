"""PPL from a server's prompt log-probabilities (completions with echo), against a local HTTP server."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from pytest_llmeval.backends.server import ServerBackend
from pytest_llmeval.errors import ServerError
from pytest_llmeval.settings import Settings

# Per label: the log-probability of each prompt token after the first; "B" is the likeliest text.
LOGPROBS = {"A": [-2.0, -3.0], "B": [-1.0, -0.5], "C": [-4.0, -1.0]}


class Echo(http.server.BaseHTTPRequestHandler):
    with_logprobs = True

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["prompt"]
        choice = {"index": 0, "text": prompt + "x", "finish_reason": "length"}
        if self.with_logprobs and body.get("echo"):
            values = [None, *LOGPROBS[prompt[-1]], -9.0]  # the prompt's 3 tokens, then the generated one
            choice["logprobs"] = {
                "tokens": ["<s>", "q", prompt[-1], "x"],
                "token_logprobs": values,
                "text_offset": [0, 0, len(prompt) - 1, len(prompt)],
                "top_logprobs": None,
            }
        data = json.dumps({"id": "1", "object": "text_completion", "created": 0, "model": "m", "choices": [choice]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backend():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = Settings(
        model=None,
        tokenizer=None,
        model_abbr="m",
        backend="openai",
        api_base=f"http://127.0.0.1:{server.server_address[1]}/v1",
        api_model="m",
        api_timeout=5,
    )
    yield ServerBackend(settings, tokens=None)
    server.shutdown()
    Echo.with_logprobs = True


def test_ppl_is_the_mean_nll_over_all_prompt_tokens(backend):
    scores = backend.perplexity(["问题 A", "问题 B", "问题 C"], max_seq_len=2048)
    # (2 + 3) / 3, (1 + 0.5) / 3, (4 + 1) / 3: the first token has none, the generated one is not counted
    assert scores == pytest.approx([5 / 3, 0.5, 5 / 3])
    assert min(range(3), key=scores.__getitem__) == 1


class Chars:
    """Counts a prompt as BOS and one token per character, as the Echo server's prompts are tokenized."""

    def count_tokens(self, prompt: str) -> int:
        return len(prompt) + 1


def test_ll_sums_the_continuations_tokens_from_the_contexts_length(backend):
    backend.tokens = Chars()
    # "qA" with continuation "A": the context "q" is 2 tokens (BOS, q), so only the third token counts.
    assert backend.loglikelihood(["qA", "qB", "qC"], ["A", "B", "C"], max_seq_len=2048) == [-3.0, -0.5, -1.0]
    # A continuation absent from the prompt leaves the whole prompt as context: nothing is summed.
    assert backend.loglikelihood(["qA"], ["zz"], max_seq_len=2048) == [0.0]


def test_a_server_without_logprobs_is_refused(backend):
    Echo.with_logprobs = False
    with pytest.raises(ServerError, match=r"ppl and ll configs need the prompt.s log-probabilities .* returned none"):
        backend.perplexity(["问题 A"], max_seq_len=2048)


class Tokenize(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/tokenize":
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps({"count": len(body["prompt"]) + 1, "max_model_len": 2048}).encode()  # BOS + one per char
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def test_token_counts_from_the_servers_tokenize():
    from pytest_llmeval.backends.server import ServerTokens
    from pytest_llmeval.errors import LlmEvalError

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tokenize)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        tokens = ServerTokens(Settings(None, None, "m", api_base=f"http://127.0.0.1:{port}/v1", api_model="m"))
        assert tokens.url == f"http://127.0.0.1:{port}/tokenize"  # vLLM serves it beside /v1, not under it
        tokens.check()
        assert tokens.count_tokens("答案: A") == 6
        missing = ServerTokens(Settings(None, None, "m", api_base=f"http://127.0.0.1:{port}/api/v1", api_model="m"))
        with pytest.raises(LlmEvalError, match=r"has no /tokenize endpoint; give the model's tokenizer files"):
            missing.check()
    finally:
        server.shutdown()
