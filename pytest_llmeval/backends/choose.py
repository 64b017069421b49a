"""Which backend runs the model, decided here and nowhere else.

``hf`` loads a checkpoint with transformers in this process; ``openai`` talks to an OpenAI-compatible
server. Each owns its start-up checks (``hf_files.py`` for the files it loads, ``server.probe`` for the
server) and its loading; adding a backend is one module plus its branch in each function below.
"""

from __future__ import annotations

from typing import Any

from pytest_llmeval.backends.protocol import Backend
from pytest_llmeval.settings import Settings


def check_reachable(settings: Settings) -> None:
    """Start-up checks that need more than the options (the server's answer); raises ``LlmEvalError``."""
    if settings.backend == "openai":
        from pytest_llmeval.backends.server import ServerTokens, probe

        probe(settings)
        if settings.tokenizer is None:
            ServerTokens(settings).check()  # counts for shot dropping: from the server, or refused now


def stops_early(settings: Settings) -> bool:
    """Whether the backend ends a generation once its answer is fixed (``StopRule``): both do, transformers in
    ``generate`` and a server by a stop string or a closed stream (``server.ServerBackend``)."""
    return settings.backend in ("hf", "openai")


def load_tokens(settings: Settings) -> Any:
    """The tokenizer side: token counts and chat prompts, without loading a model."""
    if settings.backend == "openai":
        from pytest_llmeval.backends.server import ServerBackend

        return ServerBackend(settings, _server_tokens(settings))
    from pytest_llmeval.backends.hf import TokenizerOnly, load_tokenizer  # deferred: transformers imports slowly

    return TokenizerOnly(load_tokenizer(settings))


def load_model(settings: Settings, tokens: Any, cpu_threads: int | None) -> Backend:
    """The backend that answers questions; ``tokens`` is what ``load_tokens`` gave, when it ran."""
    if settings.backend == "openai":
        from pytest_llmeval.backends.server import ServerBackend

        return tokens if isinstance(tokens, ServerBackend) else load_tokens(settings)
    from pytest_llmeval.backends.hf import HFBackend  # deferred: torch and transformers import slowly

    return HFBackend.load(settings, cpu_threads=cpu_threads, tokenizer=getattr(tokens, "tokenizer", tokens))


def _server_tokens(settings: Settings) -> Any:
    if settings.tokenizer is not None:
        from pytest_llmeval.backends.hf import TokenizerOnly, load_tokenizer

        return TokenizerOnly(load_tokenizer(settings))
    from pytest_llmeval.backends.server import ServerTokens

    return ServerTokens(settings)  # check_reachable asked the server for counts at start-up
