"""The result cache: a layer between the runner and the backend, so that neither knows about it.

A question's result (a generation, or a ppl question's label scores) is stored under a key made of
everything that decides it: the model's and tokenizer's file contents (not their paths), the settings
that change numerics or text (lengths, batch size, dtype, chat settings, the shared-prefix switch), the
device kind, library and plugin versions, and the exact prompt. An unchanged re-run is answered from
the cache without loading the model; any change misses. Results are written as each slice of a
subject finishes, so an interrupted run resumes from what it had done.

One SQLite file holds it, safe for several xdist workers at once (WAL mode, short transactions). File
digests are kept in it too, keyed by path, size and mtime, so a warm run does not re-read the weights.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from pytest_llmeval import __version__
from pytest_llmeval.backends.protocol import Backend
from pytest_llmeval.prompts import Message
from pytest_llmeval.records import StopRule
from pytest_llmeval.settings import Settings

DB_NAME = "results.sqlite"
SLICE_BATCHES = 8  # a miss is computed (and stored) this many batches at a time


class Store:
    """Keys to JSON values, and file digests, in one SQLite file."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / DB_NAME
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        setup = (
            "PRAGMA journal_mode=WAL",
            "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            (
                "CREATE TABLE IF NOT EXISTS files (path TEXT, size INTEGER, mtime INTEGER, digest TEXT, "
                "PRIMARY KEY (path, size, mtime))"
            ),
        )
        for attempt in range(50):
            try:
                for statement in setup:
                    self._db.execute(statement)
                break
            except sqlite3.OperationalError as error:
                # Two xdist workers creating the file at once: switching it to WAL takes an exclusive lock,
                # and SQLite reports "locked" at once instead of waiting. Take turns.
                if "locked" not in str(error) or attempt == 49:
                    raise
                time.sleep(0.1 + 0.05 * attempt)

    def get(self, keys: Sequence[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for start in range(0, len(keys), 500):  # SQLite's limit on bound parameters
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for key, value in self._db.execute(f"SELECT key, value FROM results WHERE key IN ({marks})", chunk):
                found[key] = json.loads(value)
        return found

    def put(self, items: dict[str, Any]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO results VALUES (?, ?)", [(k, json.dumps(v)) for k, v in items.items()]
            )

    def digest(self, path: Path) -> str:
        """SHA-256 of a file's content, computed once per (path, size, mtime)."""
        stat = path.stat()
        row = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        found = self._db.execute("SELECT digest FROM files WHERE path=? AND size=? AND mtime=?", row).fetchone()
        if found:
            return str(found[0])
        hasher = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 24), b""):
                hasher.update(block)
        digest = hasher.hexdigest()
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", (*row, digest))
        return digest

    def close(self) -> None:
        self._db.close()


def folder_digests(store: Store, folder: Path) -> dict[str, str]:
    """Every file directly in a model or tokenizer folder, by name: what the model is, wherever it lies."""
    return {p.name: store.digest(p) for p in sorted(folder.iterdir()) if p.is_file()}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def device_kind() -> str:
    """What the model would run on, known without loading it: GPU name or cpu."""
    import torch  # deferred: slow import

    return f"cuda:{torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "cpu"


def fingerprint(store: Store, settings: Settings, device_kind: str) -> str:
    """Everything besides the prompt that decides a question's result, hashed."""
    identity = {
        "model": _model_identity(store, settings),
        "tokenizer": _tokenizer_identity(store, settings),
        "model_kwargs": settings.model_kwargs,
        "tokenizer_kwargs": settings.tokenizer_kwargs,
        "max_seq_len": settings.max_seq_len,
        "max_out_len": settings.max_out_len,
        "batch_size": settings.batch_size,  # padding in a batch moves logits by rounding
        "hf_type": settings.hf_type,
        "meta_template": settings.meta_template,
        "eos_token_ids": list(settings.eos_token_ids),
        "end_str": settings.end_str,
        "prefix_cache": settings.prefix_cache,
        "device": device_kind,
        "versions": {
            "plugin": __version__,  # this package's own, whatever name it was installed under
            **{name: _version(name) for name in ("torch", "transformers", "tokenizers")},
        },
        # The code that computes results: an editable install keeps its version number across edits.
        "code": [hashlib.sha256(path.read_bytes()).hexdigest() for path in _code_files()],
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def _code_files() -> list[Path]:
    """The modules whose code computes results: the transformers backend's package, the cache, the server backend."""
    here = Path(__file__).parent
    return [*sorted((here / "hf").glob("*.py")), here / "cache.py", here / "server.py"]


def _stop_key(stop: StopRule | None, honoured: bool) -> str | list | None:
    """What the stop does to a generation: the rule's name where the backend stops on it, and its stop strings
    (every backend stops at those: transformers in ``generate``, a server through ``stop``)."""
    if stop is None:
        return None
    if not honoured:
        return list(stop.strings) or None
    return [stop.name, list(stop.strings)] if stop.strings else stop.name


def _key(fingerprint: str, *parts: object) -> str:
    return hashlib.sha256(json.dumps([fingerprint, *parts], ensure_ascii=False).encode()).hexdigest()


def _model_identity(store: Store, settings: Settings) -> object:
    """A checkpoint by its files' contents; a served model by the server's address and the model's name there."""
    if settings.model is not None:
        return folder_digests(store, settings.model)
    return {"server": settings.api_base, "model": settings.api_model}


def _tokenizer_identity(store: Store, settings: Settings) -> object:
    if settings.tokenizer is not None:
        return folder_digests(store, settings.tokenizer)
    return {"server": settings.api_base, "model": settings.api_model, "counts": "/tokenize"}


def tokenizer_fingerprint(store: Store, settings: Settings) -> str:
    """What decides token counts and chat prompts: the tokenizer's files and kwargs, and the libraries."""
    identity = {
        "tokenizer": _tokenizer_identity(store, settings),
        "tokenizer_kwargs": settings.tokenizer_kwargs,
        "versions": {name: _version(name) for name in ("transformers", "tokenizers")},
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


class CachedBackend:
    """A backend answering from the store where it can.

    The real model loads at the first result the store lacks, and the tokenizer at the first token count
    or chat prompt it lacks (counts and chat prompts are stored too), so an unchanged re-run imports
    neither transformers' models nor loads any weights.
    """

    def __init__(
        self,
        load_tokenizer: Callable[[], Any],
        load: Callable[[Any], Backend],
        store: Store,
        fingerprint: str,
        tokens_fingerprint: str,
        parallel: int = 1,
        stops: bool = True,
    ) -> None:
        self.stops = stops  # whether the backend behind it ends a generation once its answer is fixed
        self.parallel = parallel  # requests a server backend keeps in flight: a slice must not starve them
        self._load_tokenizer = load_tokenizer
        self._tokens: Any = None
        self._load = load
        self._inner: Backend | None = None
        self.store = store
        self.fingerprint = fingerprint
        self.tokens_fingerprint = tokens_fingerprint
        self.hits = 0  # questions answered from the cache
        self._pending: dict[str, Any] = {}  # counts and chat prompts, written with the next results

    @property
    def tokens(self) -> Any:
        if self._tokens is None:
            self._tokens = self._load_tokenizer()
        return self._tokens

    @property
    def inner(self) -> Backend:
        if self._inner is None:
            self._inner = self._load(self.tokens)
        return self._inner

    @property
    def device(self) -> str:
        return self._inner.device if self._inner is not None else "cache"

    @property
    def prefix_cache_off(self) -> str | None:
        """The model's load-time probe verdict (see ``hf.probe_prefix_cache``), stored so a warm run loads nothing."""
        return self._probe_verdict("prefix-cache-probe", "prefix_cache_off")

    @property
    def packing_off(self) -> str | None:
        """The model's packing probe verdict (see ``hf.probe_packing``), stored like ``prefix_cache_off``."""
        return self._probe_verdict("packing-probe", "packing_off")

    def _probe_verdict(self, name: str, attribute: str) -> str | None:
        """A probe's verdict on this model: read from the store, else asked of the backend (loading it) and stored."""
        key = _key(self.fingerprint, name)
        found = self.store.get([key])
        if key in found:
            return found[key] or None
        verdict = getattr(self.inner, attribute, None)
        self.store.put({key: verdict or ""})
        return verdict

    def count_many(self, prompts: Sequence[str]) -> list[int]:
        keys = [_key(self.tokens_fingerprint, "count", p) for p in prompts]
        found = self.store.get(keys)
        missing = [i for i, key in enumerate(keys) if key not in found and key not in self._pending]
        if missing:
            tokens = self.tokens
            many = getattr(tokens, "count_many", None)
            texts = [prompts[i] for i in missing]
            counts = many(texts) if many is not None else [tokens.count_tokens(t) for t in texts]
            self._pending.update({keys[i]: n for i, n in zip(missing, counts, strict=True)})
        return [int(found[key]) if key in found else int(self._pending[key]) for key in keys]

    def count_tokens(self, prompt: str) -> int:
        return self.count_many([prompt])[0]

    def chat_prompt(self, messages: Sequence[Message]) -> str:
        if getattr(self.tokens, "records_messages", False):
            # A server backend sends the messages themselves, so it must see every chat prompt it will run.
            return str(self.tokens.chat_prompt(messages))
        key = _key(self.tokens_fingerprint, "chat", [dict(m) for m in messages])
        if key not in self._pending:
            found = self.store.get([key])
            self._pending[key] = found[key] if key in found else str(self.tokens.chat_prompt(messages))
        return str(self._pending[key])

    def flush(self) -> None:
        """Write the counts and chat prompts gathered so far (one transaction, not one per prompt)."""
        if self._pending:
            self.store.put(self._pending)
            self._pending = {}

    def _cached(
        self,
        keys: list[str],
        compute: Callable[[list[int]], list[Any]],
        slice_size: int,
        on_batch: Callable[[int], None],
    ) -> list[Any]:
        """Values for ``keys``: stored ones first, then the misses computed a slice at a time and stored."""
        found = self.store.get(keys)
        values: list[Any] = [found.get(key) for key in keys]
        hits = sum(key in found for key in keys)
        self.hits += hits
        done = hits
        if hits:
            on_batch(done)
        missing = [i for i, key in enumerate(keys) if key not in found]
        if not missing:
            self.flush()
        for start in range(0, len(missing), slice_size):
            chunk = missing[start : start + slice_size]
            computed = compute(chunk)
            for i, value in zip(chunk, computed, strict=True):
                values[i] = value
            self.store.put({keys[i]: values[i] for i in chunk})
            self.flush()
            done += len(chunk)
            on_batch(done)
        return values

    @property
    def stops_early(self) -> bool:
        return self.stops

    def generate(
        self, prompts: Sequence[str], max_out_len: int, max_prompt_tokens: int, stop: StopRule | None = None
    ) -> list[str]:
        where = _stop_key(stop, self.stops)
        keys = [
            _key(self.fingerprint, "gen-batch", max_out_len, max_prompt_tokens, where, list(prompts), p)
            for p in prompts
        ]

        def compute(chunk: list[int]) -> list[str]:
            texts = self.inner.generate(list(prompts), max_out_len, max_prompt_tokens, stop=stop)
            return [texts[i] for i in chunk]

        return self._cached(keys, compute, len(prompts), lambda done: None)

    def generate_all(
        self,
        prompts: Sequence[str],
        max_out_len: int,
        max_prompt_tokens: int,
        batch_size: int,
        on_batch: Callable[[int], None] = lambda done: None,
        stop: StopRule | None = None,
    ) -> list[str]:
        where = _stop_key(stop, self.stops)
        keys = [_key(self.fingerprint, "gen", max_out_len, max_prompt_tokens, where, p) for p in prompts]

        def compute(chunk: list[int]) -> list[str]:
            inner = self.inner
            texts = [prompts[i] for i in chunk]
            whole = getattr(inner, "generate_all", None)
            if whole is not None:
                return list(whole(texts, max_out_len, max_prompt_tokens, batch_size, stop=stop))
            return [
                t for k in range(0, len(texts), batch_size)
                for t in inner.generate(texts[k : k + batch_size], max_out_len, max_prompt_tokens, stop=stop)
            ]  # fmt: skip

        return self._cached(keys, compute, max(batch_size * SLICE_BATCHES, 4 * self.parallel), on_batch)

    def perplexity(self, texts: Sequence[str], max_seq_len: int) -> list[float]:
        keys = [_key(self.fingerprint, "ppl-batch", max_seq_len, list(texts), t) for t in texts]

        def compute(chunk: list[int]) -> list[float]:
            scores = self.inner.perplexity(list(texts), max_seq_len)
            return [scores[i] for i in chunk]

        return self._cached(keys, compute, len(texts), lambda done: None)

    def label_scores(
        self,
        questions: Sequence[Sequence[str]],
        max_seq_len: int,
        batch_size: int,
        on_batch: Callable[[int], None] = lambda done: None,
    ) -> list[list[float]]:
        keys = [_key(self.fingerprint, "ppl", max_seq_len, list(q)) for q in questions]

        def compute(chunk: list[int]) -> list[list[float]]:
            inner = self.inner
            chosen = [questions[i] for i in chunk]
            shared = getattr(inner, "label_scores", None)
            if shared is not None:
                return list(shared(chosen, max_seq_len, batch_size))
            return [inner.perplexity(list(q), max_seq_len) for q in chosen]

        return self._cached(keys, compute, batch_size * SLICE_BATCHES, on_batch)

    def loglikelihood(self, texts: Sequence[str], conts: Sequence[str], max_seq_len: int) -> list[float]:
        keys = [_key(self.fingerprint, "ll-batch", max_seq_len, list(texts), list(conts), t) for t in texts]

        def compute(chunk: list[int]) -> list[float]:
            scores = self.inner.loglikelihood(list(texts), list(conts), max_seq_len)  # type: ignore[attr-defined]
            return [scores[i] for i in chunk]

        return self._cached(keys, compute, len(texts), lambda done: None)

    def label_loglikelihoods(
        self,
        questions: Sequence[Sequence[str]],
        conts: Sequence[str],
        max_seq_len: int,
        batch_size: int,
        on_batch: Callable[[int], None] = lambda done: None,
    ) -> list[list[float]]:
        keys = [_key(self.fingerprint, "ll", max_seq_len, list(q), c) for q, c in zip(questions, conts, strict=True)]

        def compute(chunk: list[int]) -> list[list[float]]:
            inner = self.inner
            chosen = [questions[i] for i in chunk]
            continuations = [conts[i] for i in chunk]
            shared = getattr(inner, "label_loglikelihoods", None)
            if shared is not None:
                return list(shared(chosen, continuations, max_seq_len, batch_size))
            return [
                inner.loglikelihood(list(q), [c] * len(q), max_seq_len)  # type: ignore[attr-defined]
                for q, c in zip(chosen, continuations, strict=True)
            ]

        return self._cached(keys, compute, batch_size * SLICE_BATCHES, on_batch)
