"""The serving backend: an OpenAI-compatible inference server (vLLM, LMDeploy, SGLang, TGI, ``transformers serve``).

Prompts are the ones the transformers backend would run, rendered here: base prompts go to
``/v1/completions`` as text, byte for byte; chat prompts go to ``/v1/chat/completions`` as the rounds'
messages. Decoding is greedy (temperature 0), ``max_tokens`` is the max-out-len, and the raw returned text
is the prediction. A config's stop strings go as ``stop``; the answer-fixed stop goes as ``stop`` where its
rule is a plain string (GSM8K), and otherwise streams the completion and closes it once the answer is fixed. Token counts (for OpenCompass's shot dropping) come from local tokenizer files
(``--llm-tokenizer``) or from the server's own ``/tokenize`` (vLLM). The official ``openai`` client does the
HTTP: connection pooling, the per-request timeout, and retries with backoff on 429, 5xx and lost connections.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

from pytest_llmeval.errors import LlmEvalError, ServerError, SubjectFailure
from pytest_llmeval.prompts import Message
from pytest_llmeval.records import StopRule
from pytest_llmeval.settings import Settings

RETRIES = 3  # after the first try; the client backs off exponentially between them
STREAM_BACKOFF = 0.5  # seconds before the first whole retry of a broken stream, doubled each time
PROBE_TIMEOUT = 10.0


def where(settings: Settings) -> str:
    """The server as it may be shown: scheme, host, port and path, never credentials in the URL."""
    parts = urllib.parse.urlsplit(settings.api_base or "")
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _client(settings: Settings, timeout: float, retries: int) -> Any:
    try:
        import openai
    except ImportError:
        raise LlmEvalError(
            "--llm-backend openai needs the openai package: pip install 'pytest-llm-regression[openai]'"
        ) from None
    # Servers that check no key still want the header; the key itself is only ever sent, never shown.
    key = os.environ.get(settings.api_key_env) or "EMPTY"
    return openai.OpenAI(base_url=settings.api_base, api_key=key, timeout=timeout, max_retries=retries)


def _reason(error: BaseException) -> str:
    """What went wrong in words that name no credential: the status, or the kind of connection failure."""
    status = getattr(error, "status_code", None)
    if status is not None:
        return f"HTTP {status}"
    name = error.__class__.__name__
    return {"APITimeoutError": "no answer within the timeout", "APIConnectionError": "connection failed"}.get(
        name, name
    )


def probe(settings: Settings) -> None:
    """Fail once, before any item runs, when the server is down or does not serve ``--llm-api-model``."""
    client = _client(settings, PROBE_TIMEOUT, 1)
    try:
        served = [model.id for model in client.models.list()]
    except Exception as error:  # noqa: BLE001 - every failure becomes the same one line
        raise LlmEvalError(
            f"--llm-api-base {where(settings)}: the server did not list its models ({_reason(error)}); "
            "start it, or check the address (it ends in /v1)"
        ) from None
    if settings.api_model not in served:
        shown = ", ".join(served[:5]) or "none"
        raise LlmEvalError(
            f"--llm-api-model {settings.api_model}: {where(settings)} does not serve it (it serves {shown}); "
            "pass one of those names"
        )


class ServerBackend:
    """The ``Backend`` methods over HTTP; token counting and chat rendering from ``tokens``."""

    # Chat rounds are sent as messages, remembered per rendered prompt: the result cache must hand every
    # chat prompt to this backend rather than answer it from its own store.
    records_messages = True

    def __init__(self, settings: Settings, tokens: Any) -> None:
        self.settings = settings
        self.tokens = tokens  # TokenizerOnly (local files) or ServerTokens
        self.client = _client(settings, settings.api_timeout, RETRIES)
        self._messages: dict[str, list[Message]] = {}
        self._lock = threading.Lock()

    @property
    def device(self) -> str:
        return f"server {where(self.settings)}"

    def count_tokens(self, prompt: str) -> int:
        return self.tokens.count_tokens(prompt)

    def count_many(self, prompts: Sequence[str]) -> list[int]:
        many = getattr(self.tokens, "count_many", None)
        return list(many(prompts)) if many else [self.tokens.count_tokens(p) for p in prompts]

    def chat_prompt(self, messages: Sequence[Message]) -> str:
        """The chat template's text (for counting and the predictions file); the request sends the messages."""
        text = self.tokens.chat_prompt(messages)
        with self._lock:
            self._messages[text] = list(messages)
        return text

    # The answer-fixed stop: a rule that is only stop strings (``StopRule.markers``) goes to the server as
    # ``stop``; any other is checked on the streamed text, and the stream closed once the answer is fixed.
    stops_early = True

    def generate(
        self, prompts: Sequence[str], max_out_len: int, max_prompt_tokens: int, stop: StopRule | None = None
    ) -> list[str]:
        """Greedy continuations, ``--llm-concurrency`` requests at a time, in the prompts' order."""
        return self._parallel(prompts, max_out_len, max_prompt_tokens, stop, lambda done: None)

    def generate_all(
        self,
        prompts: Sequence[str],
        max_out_len: int,
        max_prompt_tokens: int,
        batch_size: int,
        on_batch: Callable[[int], None] = lambda done: None,
        stop: StopRule | None = None,
    ) -> list[str]:
        """A whole subject at once: the server batches as it likes, so ``batch_size`` does not cap concurrency."""
        return self._parallel(prompts, max_out_len, max_prompt_tokens, stop, on_batch)

    def _parallel(
        self,
        prompts: Sequence[str],
        max_out_len: int,
        max_prompt_tokens: int,
        stop: StopRule | None,
        on_done: Callable[[int], None],
    ) -> list[str]:
        pool = ThreadPoolExecutor(max_workers=max(1, min(self.settings.concurrency, len(prompts))))
        try:
            futures = [pool.submit(self._one, text, max_out_len, max_prompt_tokens, stop) for text in prompts]
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()  # the first failure stops here, and what was not sent yet is dropped
                on_done(done)
            return [future.result() for future in futures]
        finally:
            # After a failure, requests not yet sent are dropped; the ones in flight finish first.
            pool.shutdown(wait=True, cancel_futures=True)

    def _one(self, text: str, max_out_len: int, max_prompt_tokens: int, stop: StopRule | None) -> str:
        cut = self.tokens.cut(text, max_prompt_tokens)
        strings = stop.strings if stop is not None else ()
        fixed = stop if stop is not None and stop.fixed is not None else None
        markers = fixed.markers if fixed is not None else ()
        end = [self.settings.end_str] if self.settings.end_str else []
        sent = list(dict.fromkeys([*strings, *markers, *end])) or None
        messages = self._messages.get(text)
        # A cut chat prompt is no longer whole messages: its template text goes as text, the text the local
        # path tokenizes, so the server runs the same tokens.
        chat = messages is not None and cut == text
        endpoint = "chat/completions" if chat else "completions"
        common = {"model": self.settings.api_model, "max_tokens": max_out_len, "temperature": 0, "stop": sent}

        def create(**more: Any) -> Any:
            if chat:
                return self.client.chat.completions.create(messages=messages, **common, **more)
            return self.client.completions.create(prompt=cut, **common, **more)

        if fixed is None or markers:
            with self._request(endpoint):
                choice = create().choices[0]
            return with_stop_text(_text_of(choice), choice, (*strings, *markers))
        return self._streamed(endpoint, create, fixed)

    def _streamed(self, endpoint: str, create: Callable[..., Any], rule: StopRule) -> str:
        """One completion streamed until ``rule`` says its answer is fixed; the stream is then closed, which
        ends the request on the server (vLLM and ``transformers serve`` abort on a closed connection).

        A stream that breaks is tried again from the start, never stitched: the text of a broken try is
        dropped, so a prediction is always one request's greedy text.
        """
        for attempt in range(RETRIES + 1):
            try:
                return self._stream_once(endpoint, create, rule)
            except BrokenStream as broken:
                if attempt == RETRIES:
                    raise ServerError(
                        f"{where(self.settings)}/{endpoint}: the stream broke ({broken}) after {RETRIES} retries"
                    ) from None
                time.sleep(STREAM_BACKOFF * 2**attempt)
        raise AssertionError("unreachable")

    def _stream_once(self, endpoint: str, create: Callable[..., Any], rule: StopRule) -> str:
        with self._request(endpoint):  # a refused request was already retried by the client
            stream = create(stream=True)
        kind = stream.response.headers.get("content-type", "")
        if not kind.startswith("text/event-stream"):
            stream.close()
            raise ServerError(
                f"{where(self.settings)}/{endpoint}: a streamed request was answered with {kind or 'no content type'}"
                ", not a stream; the answer-fixed stop streams: run with --llm-full-output against this server"
            )
        text, last = "", None
        try:
            with stream:
                for chunk in stream:
                    if not chunk.choices:
                        continue  # a usage-only chunk
                    last = chunk.choices[0]
                    text += _text_of(last)
                    if rule.reached(text, self.settings.end_str):
                        return text  # leaving the block closes the stream
        except Exception as error:
            if error.__class__.__module__.startswith("openai"):
                raise BrokenStream(_reason(error)) from None
            raise
        if last is None or getattr(last, "finish_reason", None) is None:
            # A connection closed mid-answer can end a stream cleanly (a proxy's idle timeout, say): only a
            # finish reason says the text is whole.
            raise BrokenStream("it ended without a finish reason")
        return with_stop_text(text, last, rule.strings)

    @contextmanager
    def _request(self, endpoint: str) -> Iterator[None]:
        """A request the client gave up on after its retries becomes one line naming the endpoint and why."""
        try:
            yield
        except Exception as error:
            if error.__class__.__module__.startswith("openai"):
                raise ServerError(
                    f"{where(self.settings)}/{endpoint}: {_reason(error)} after {RETRIES} retries"
                ) from None
            raise

    def perplexity(self, texts: Sequence[str], max_seq_len: int) -> list[float]:
        """OpenCompass's PPL from the prompt's own token log-probabilities (completions with ``echo``).

        vLLM returns them; a server that does not is refused by name, never guessed at.
        """
        return [self._ppl(text) for text in texts]

    def _ppl(self, text: str) -> float:
        values = self._echo(text)
        # The first token (BOS) has no log-probability; the sum runs over the rest, divided by all tokens.
        return -sum(v for v in values[1:] if v is not None) / len(values)

    def loglikelihood(self, texts: Sequence[str], conts: Sequence[str], max_seq_len: int) -> list[float]:
        """OpenCompass's LL from the prompt's echoed token log-probabilities: the sum over the tokens from the
        context's length on, the context (the text without its continuation) counted by ``count_tokens``."""
        return [
            sum(v for v in self._echo(text)[self.count_tokens(text.replace(cont, "")) :] if v is not None)
            for text, cont in zip(texts, conts, strict=True)
        ]

    def _echo(self, text: str) -> list[float | None]:
        """The log-probability of each of the prompt's own tokens (None for the first), as the server echoes them."""
        with self._request("completions"):
            answer = self.client.completions.create(
                model=self.settings.api_model, prompt=text, max_tokens=1, temperature=0, echo=True, logprobs=0
            )
        logprobs = getattr(answer.choices[0], "logprobs", None)
        values = list(getattr(logprobs, "token_logprobs", None) or [])
        offsets = list(getattr(logprobs, "text_offset", None) or [])
        # echo returns the prompt's tokens and then the one generated; keep the prompt's.
        prompt_values = [v for v, at in zip(values, offsets) if at < len(text)] if offsets else values[:-1]
        if len(prompt_values) < 2 or any(v is not None and not math.isfinite(v) for v in prompt_values[1:]):
            raise ServerError(
                f"{where(self.settings)}: ppl and ll configs need the prompt's log-probabilities (completions with "
                "echo=true and logprobs, as vLLM returns them); this server returned none: run gen configs "
                "against it, or ppl and ll configs with the transformers backend"
            )
        return prompt_values


class BrokenStream(Exception):
    """A streamed completion that ended before the server finished it; the message says how."""


def _text_of(choice: Any) -> str:
    """A choice's text on either endpoint, whole or a streamed piece of it."""
    message = getattr(choice, "message", None) or getattr(choice, "delta", None)
    if message is not None:
        return message.content or ""
    return getattr(choice, "text", None) or ""


def with_stop_text(text: str, choice: Any, strings: Sequence[str]) -> str:
    """The prediction with the config's stop string put back, as OpenCompass keeps it and the server strips it.

    Only a server that says which string stopped it (vLLM's ``stop_reason``, beside ``finish_reason ==
    "stop"``) can be followed: ``finish_reason == "stop"`` alone means a stop string or the end token, and
    which of the strings matched is not in the text. There the text stays as the server sent it (``transformers
    serve`` keeps the stop text itself, as OpenCompass does, and names none). The chat end
    string is never put back: the local path cuts predictions at it too.
    """
    matched = getattr(choice, "stop_reason", None)
    if getattr(choice, "finish_reason", None) != "stop" or not isinstance(matched, str) or matched not in strings:
        return text
    # A server that stops at the string's first occurrence and strips it cannot leave text that ends in it; one
    # that ends so kept the string itself (``transformers serve`` does; vLLM with include_stop_str_in_output).
    return text if text.endswith(matched) else text + matched


class ServerTokens:
    """Token counts from the server's ``/tokenize`` (vLLM), for when no local tokenizer files are given."""

    MEMO = 8192  # counts remembered: the cut asks again for the prompts shot dropping has just counted

    def __init__(self, settings: Settings) -> None:
        root = (settings.api_base or "").rstrip("/")
        self.url = root.removesuffix("/v1") + "/tokenize"
        self.settings = settings
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def check(self) -> None:
        """Whether the server can count tokens at all; else one line asking for local tokenizer files."""
        try:
            self.count_tokens("a")
        except ServerError:
            raise LlmEvalError(
                f"--llm-backend openai: shot dropping needs token counts, and {where(self.settings)} has no "
                "/tokenize endpoint; give the model's tokenizer files with --llm-tokenizer DIR"
            ) from None

    def count_tokens(self, prompt: str) -> int:
        with self._lock:
            known = self._counts.get(prompt)
        if known is not None:
            return known
        count = self._ask(prompt)
        with self._lock:
            if len(self._counts) >= self.MEMO:
                self._counts.clear()
            self._counts[prompt] = count
        return count

    def _ask(self, prompt: str) -> int:
        body = json.dumps({"model": self.settings.api_model, "prompt": prompt}).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.settings.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.settings.api_timeout) as answer:
                return int(json.loads(answer.read())["count"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ServerError(f"{where(self.settings)}/tokenize: {error.__class__.__name__}") from None

    def cut(self, prompt: str, max_prompt_tokens: int) -> str:
        """The prompt when it fits; a longer one cannot be cut here as the local tokenizer cuts it: vLLM's
        ``/tokenize`` and ``/detokenize`` give ids and text back, but not the tokenizer's truncation side."""
        count = self.count_tokens(prompt)
        if count <= max_prompt_tokens:
            return prompt
        raise SubjectFailure(
            f"a prompt of {count} tokens is over the {max_prompt_tokens}-token limit (max-seq-len - max-out-len), "
            f"and {where(self.settings)} cannot cut it as the transformers backend does: give the model's "
            "tokenizer files with --llm-tokenizer DIR"
        )

    def chat_prompt(self, messages: Sequence[Message]) -> str:
        raise LlmEvalError(
            "--llm-hf-type chat against a server needs the model's tokenizer files (--llm-tokenizer DIR) to "
            "render the chat template for counting and the predictions files"
        )
