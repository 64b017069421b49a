"""``--llm-backend openai``: the same evaluation against a real OpenAI-compatible server on 127.0.0.1.

``served_model`` is ``transformers serve`` with the tiny model; the local transformers backend runs the same
checkpoint, so every prediction must be the same text. Retries and timeouts are checked against a small
server that fails or hangs on purpose.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import pytest
from real_data import DATA, data_link, predictions, summary_rows

KEY = "sk-MARKER-7f3a9c"


def outcomes(run: Path) -> list[tuple[str, str, str]]:
    data = json.loads((run / "llmeval.json").read_text(encoding="utf-8"))
    return [(s["abbr"], o["prediction"], o["answer"]) for s in data["subjects"] for o in s["outcomes"]]


def prompts(run: Path) -> dict[str, dict]:
    """Each predictions file as written, early-stop marks included."""
    folder = next((run / "predictions").iterdir())
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def server_args(project: pytest.Pytester, base: str, name: str, tiny_model: Path, *more: str) -> list[str]:
    link = project.path / "tokenizer"
    if not link.exists():
        link.symlink_to(tiny_model, target_is_directory=True)
    # The joined form: a folder named as a value in the space form makes the plugin restart the process (the seed
    # command's tests cover that), which an in-process run refuses instead.
    return ["--llm-backend=openai", f"--llm-api-base={base}", f"--llm-api-model={name}", "--llm-tokenizer=tokenizer",
            "--llm-model-abbr", "m", *more]  # fmt: skip


def truncated(run: Path) -> int:
    return sum(s["truncated"] for s in json.loads((run / "llmeval.json").read_text(encoding="utf-8"))["subjects"])


@pytest.mark.parametrize(
    ("hf_type", "more"),
    [("base", []), ("chat", []), ("base", ["--llm-full-output"]), ("base", ["--llm-max-seq-len", "40"])],
    ids=["base", "chat", "full-output", "prompts-cut"],
)
def test_server_predictions_equal_the_local_backend(
    project, run_llm, tiny_model, served_model, last_run, hf_type, more
):
    """Streamed and closed once the answer is fixed (the sample's first-capital rule), decoded to the end with
    --llm-full-output, or run on prompts cut to max-seq-len - max-out-len: the local text, byte for byte."""
    base, name = served_model
    local = run_llm(tiny_model, "--llm-model-abbr", "m", "--llm-hf-type", hf_type, *more)
    # Cut prompts lose the question's start, and with it some of the sample's thresholds: a gate failure.
    assert local.ret == (1 if "--llm-max-seq-len" in more else 0), local.stdout.str()
    local_run = last_run()
    time.sleep(1.1)  # run folders are named by the second
    served = run_llm(None, *server_args(project, base, name, tiny_model, "--llm-hf-type", hf_type, *more))
    assert served.ret == local.ret, served.stdout.str() + served.stderr.str()
    served.stdout.fnmatch_lines([f"main: devices server {base}, *50 questions in *"])
    server_run = last_run()
    assert outcomes(server_run) == outcomes(local_run)
    assert prompts(server_run) == prompts(local_run)  # the same prompt text, byte for byte
    if more[:1] == ["--llm-max-seq-len"]:
        assert truncated(server_run) == truncated(local_run) == 50  # every prompt was over 40 - 16 tokens


def test_concurrency_changes_nothing_but_speed(project, run_llm, tiny_model, served_model, last_run):
    base, name = served_model
    runs = []
    for concurrency, workers in (("1", "0"), ("8", "2")):  # -n 2: each xdist worker has its own client
        args = server_args(project, base, name, tiny_model, "--llm-concurrency", concurrency, "-n", workers)
        result = run_llm(None, *args)
        assert result.ret == 0, result.stdout.str()
        runs.append(outcomes(last_run()))
        time.sleep(1.1)
    assert runs[0] == runs[1] and len(runs[0]) == 50


def test_result_cache_keys_on_the_server(project, run_llm, tiny_model, served_model, last_run):
    base, name = served_model
    args = server_args(project, base, name, tiny_model, "--llm-cache-dir", "cache")
    first = run_llm(None, *args)
    assert first.ret == 0
    first_run = last_run()
    time.sleep(1.1)
    again = run_llm(None, *args)
    again.stdout.fnmatch_lines(["main: devices none (no model loaded), 0 model load(s) in *, 50 from the result cache"])
    assert outcomes(last_run()) == outcomes(first_run)
    other = run_llm(
        None, *server_args(project, base, name, tiny_model, "--llm-cache-dir", "cache", "--llm-max-out-len", "8")
    )
    assert "from the result cache" not in other.stdout.str()  # other settings, other results


def test_ppl_is_refused_by_name(project, run_llm, tiny_model, served_model):
    base, name = served_model
    project.path.joinpath("llmeval_sample.toml").write_text(
        '[[dataset]]\nconfig = "ceval_ppl"\nsubjects = ["law"]\n', encoding="utf-8"
    )
    result = run_llm(None, *server_args(project, base, name, tiny_model))
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            (
                f"*ceval-law: {base}: ppl and ll configs need the prompt's log-probabilities (completions with "
                "echo=true and logprobs, as vLLM returns them); this server returned none*"
            )
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_the_api_key_is_never_shown_or_written(project, run_llm, tiny_model, served_model, last_run, monkeypatch):
    base, name = served_model
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    result = run_llm(None, *server_args(project, base, name, tiny_model), "--junitxml=junit.xml")
    assert result.ret == 0
    written = [p for p in project.path.rglob("*") if p.is_file() and "tokenizer" not in p.parts]
    assert written, "the run wrote its files"
    for path in written:
        assert KEY.encode() not in path.read_bytes(), path
    assert KEY not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--llm-api-base", "http://127.0.0.1:9/v1", "--llm-api-model", "x"],
         "--llm-api-base http://127.0.0.1:9/v1: the server did not list its models (connection failed); start it"),
        (["--llm-api-model", "x"], "--llm-backend openai needs --llm-api-base URL"),
        (["--llm-api-base", "127.0.0.1:8000", "--llm-api-model", "x"],
         "--llm-api-base: '127.0.0.1:8000' is not an http(s) URL"),
        (["--llm-api-base", "http://127.0.0.1:9/v1"], "--llm-backend openai needs --llm-api-model NAME"),
        (["--llm-api-base", "http://127.0.0.1:9/v1", "--llm-api-model", "x", "--llm-concurrency", "0"],
         "--llm-concurrency: '0' is not a positive integer"),
        (["--llm-api-base", "http://127.0.0.1:9/v1", "--llm-api-model", "x", "--llm-hf-type", "chat"],
         "--llm-hf-type chat against a server needs the model's tokenizer files (--llm-tokenizer DIR)"),
    ],
)  # fmt: skip
def test_bad_server_options_are_one_line_before_anything_runs(project, args, line):
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "--llm-backend", "openai", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert line in result.stderr.str(), result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_unknown_model_name_is_named(project, served_model):
    base, _ = served_model
    result = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "--llm-backend", "openai", "--llm-api-base", base, "--llm-api-model", "internlm2"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"--llm-api-model internlm2: {base} does not serve it (it serves " in result.stderr.str()


def test_no_token_counts_is_refused_at_start(project, served_model):
    base, name = served_model  # transformers serve has no /tokenize
    result = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "--llm-backend", "openai", "--llm-api-base", base, "--llm-api-model", name
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"shot dropping needs token counts, and {base} has no /tokenize endpoint; give the model's tokenizer " \
        "files with --llm-tokenizer DIR" in result.stderr.str()  # fmt: skip


class Backlogged(http.server.ThreadingHTTPServer):
    # The default backlog of 5 drops a burst of 8 connections while the accepting thread waits for the GIL
    # (the client runs in this process); a dropped SYN is retried a second later and skews in-flight counts.
    request_queue_size = 64


class Flaky:
    """An OpenAI-shaped server that answers 503 to the first ``failures`` completions, or sleeps ``delay`` s;
    with ``cut_streams`` every streamed answer stops half-way, its connection closed."""

    def __init__(self, failures: int = 0, delay: float = 0.0, cut_streams: bool = False) -> None:
        self.failures, self.delay, self.completions = failures, delay, 0
        self.cut_streams = cut_streams
        self.bodies: list[dict] = []  # each completion request as sent
        self.in_flight = self.most_in_flight = 0
        lock = threading.Lock()
        flaky = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._send(200, {"object": "list", "data": [{"id": "flaky", "object": "model"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if self.path == "/tokenize":  # vLLM's token counts; one a character here
                    self._send(200, {"count": len(body["prompt"])})
                    return
                flaky.bodies.append(body)
                flaky.completions += 1
                if flaky.completions <= flaky.failures:
                    self._send(503, {"error": {"message": "overloaded"}})
                    return
                with lock:
                    flaky.in_flight += 1
                    flaky.most_in_flight = max(flaky.most_in_flight, flaky.in_flight)
                time.sleep(flaky.delay)
                with lock:
                    flaky.in_flight -= 1
                answer = {"id": "1", "object": "text_completion", "created": 0, "model": "flaky",
                          "choices": [{"index": 0, "text": "A", "finish_reason": "stop"}]}  # fmt: skip
                try:
                    if body.get("stream"):
                        self._stream(answer)
                    else:
                        self._send(200, answer)
                except OSError:
                    pass

            def _stream(self, answer: dict) -> None:
                # The whole answer as one server-sent event, then the end marker, as OpenAI servers stream.
                data = f"data: {json.dumps(answer)}\n\ndata: [DONE]\n\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if flaky.cut_streams:  # fewer bytes than announced, then the connection closes
                    self.wfile.write(data[: len(data) // 2])
                    self.close_connection = True
                    return
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = Backlogged(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


def test_retries_ride_out_a_busy_server(project, run_llm, tiny_model, last_run):
    flaky = Flaky(failures=2)
    suite = '[[dataset]]\nconfig = "ceval_gen"\nsubjects = ["law"]\n'
    project.path.joinpath("llmeval_sample.toml").write_text(suite, encoding="utf-8")
    result = run_llm(None, *server_args(project, flaky.base, "flaky", tiny_model, "--llm-concurrency", "1"))
    assert result.ret == 0, result.stdout.str()  # no threshold here: every question answered is a pass
    assert flaky.completions == 2 + 10
    assert [answer for _, _, answer in outcomes(last_run())] == ["A"] * 10
    flaky.server.shutdown()


def test_concurrency_is_not_capped_by_the_batch_size(project, run_llm, tiny_model):
    flaky = Flaky(delay=0.5)
    suite = '[[dataset]]\nconfig = "ceval_gen"\nsubjects = ["law"]\n'
    project.path.joinpath("llmeval_sample.toml").write_text(suite, encoding="utf-8")
    result = run_llm(None, *server_args(project, flaky.base, "flaky", tiny_model, "--llm-concurrency", "8"))
    assert result.ret == 0, result.stdout.str()
    # 10 questions, batch size 4: the server saw 8 requests at once, not 4.
    assert flaky.completions == 10 and flaky.most_in_flight == 8
    flaky.server.shutdown()


def test_a_hanging_server_is_one_line_naming_it(project, run_llm, tiny_model):
    flaky = Flaky(delay=5.0)
    suite = '[[dataset]]\nconfig = "ceval_gen"\nsubjects = ["law"]\n'
    project.path.joinpath("llmeval_sample.toml").write_text(suite, encoding="utf-8")
    args = server_args(project, flaky.base, "flaky", tiny_model, "--llm-api-timeout", "0.5", "--llm-limit", "1")
    result = run_llm(None, *args)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [f"*ceval-law: {flaky.base}/completions: no answer within the timeout after 3 retries*"]
    )
    assert "Traceback" not in result.stdout.str()
    assert flaky.completions == 4  # the first try and three retries
    flaky.server.shutdown()


def test_a_stream_that_keeps_breaking_is_one_line_naming_it(project, run_llm, tiny_model, monkeypatch):
    from pytest_llmeval.backends import server

    monkeypatch.setattr(server, "STREAM_BACKOFF", 0.01)  # the run is in this process: no 3.5 s of waiting
    flaky = Flaky(cut_streams=True)
    suite = '[[dataset]]\nconfig = "ceval_gen"\nsubjects = ["law"]\n'  # first capital: streamed
    project.path.joinpath("llmeval_sample.toml").write_text(suite, encoding="utf-8")
    args = server_args(project, flaky.base, "flaky", tiny_model, "--llm-limit", "1")
    result = run_llm(None, *args)
    flaky.server.shutdown()
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [f"*ceval-law: {flaky.base}/completions: the stream broke (connection failed) after 3 retries*"]
    )
    assert "Traceback" not in result.stdout.str()
    assert flaky.completions == 4 and all(body["stream"] for body in flaky.bodies)  # each try whole, from the start


def test_a_prompt_the_server_cannot_cut_fails_its_subject_in_one_line(project, run_llm):
    flaky = Flaky()  # counts from its /tokenize, and no tokenizer files to cut with
    suite = '[[dataset]]\nconfig = "ceval_gen"\nsubjects = ["law"]\n'
    project.path.joinpath("llmeval_sample.toml").write_text(suite, encoding="utf-8")
    args = ["--llm-backend=openai", f"--llm-api-base={flaky.base}", "--llm-api-model=flaky", "--llm-max-seq-len=100"]
    result = run_llm(None, *args)
    flaky.server.shutdown()
    assert result.ret == 1
    line = (
        "ceval-law: a prompt of * tokens is over the 84-token limit (max-seq-len - max-out-len), and "
        f"{flaky.base} cannot cut it as the transformers backend does: give the model's tokenizer files with "
        "--llm-tokenizer DIR"
    )
    result.stdout.fnmatch_lines([line, "FAILED *::ceval-law - ceval-law: a prompt of *"])
    assert "Traceback" not in result.stdout.str()
    assert all(len(body["prompt"]) <= 84 for body in flaky.bodies)  # the long one was never sent whole


TRIVIAQA = ("triviaqa/triviaqa-validation.jsonl", "triviaqa/triviaqa-train.jsonl")


@pytest.mark.skipif(not all((DATA / p).is_file() for p in TRIVIAQA), reason=f"no TriviaQA at {DATA}")
def test_stop_strings_and_the_prompt_cut_reach_the_server(project, run_llm, tiny_model, last_run):
    import transformers

    from pytest_llmeval.backends.truncation import cut_prompt

    flaky = Flaky()
    config = "triviaqa_wiki_1shot_gen_20a989"  # OpenCompass stops it at "Q:" and "\n"; max-out-len 50
    args = server_args(project, flaky.base, "flaky", tiny_model, data_link(project), "--llm-datasets", config,
                       "--llm-limit", "2", "--llm-max-seq-len", "80")  # fmt: skip
    result = run_llm(None, *args)
    flaky.server.shutdown()
    assert result.ret == 0, result.stdout.str()
    run = last_run()
    assert summary_rows(run) == [["triviaqa_wiki_1shot", "20a989", "score", "gen"]]
    assert [body["stop"] for body in flaky.bodies] == [["Q:", "\n"]] * 2
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tiny_model))
    written = [row["origin_prompt"] for row in predictions(run)["triviaqa_wiki_1shot"].values()]
    assert all(len(tokenizer(p)["input_ids"]) > 30 for p in written)  # over 80 - 50 tokens: each one is cut
    assert sorted(body["prompt"] for body in flaky.bodies) == sorted(cut_prompt(tokenizer, p, 30) for p in written)
    for prompt in written:  # the ids the server re-encodes are the ids the transformers backend runs
        assert (
            tokenizer(cut_prompt(tokenizer, prompt, 30))["input_ids"]
            == tokenizer(prompt, truncation=True, max_length=30)["input_ids"]
        )
