"""Shared fixtures for the project's own tests: the sample data and tiny models built from it.

The models are real transformers checkpoints trained offline in seconds (see ``pytest_llmeval.tiny``). Each is
built once and kept in a content-addressed store (``tests/checkpoints.py``): every test file and xdist worker
shares it, and a second run on an unchanged tree builds nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_llmeval.demo import SAMPLE_DATA
from tests.checkpoints import Store, store_folder

pytest_plugins = ["pytester"]


def pytest_configure(config: pytest.Config) -> None:
    """Under xdist, torch gets this worker's share of the cores, as the plugin gives its own workers.

    torch starts one thread per core in every process; two workers training or running tiny models at once
    then run four spinning threads on two cores, and the checkpoint builds took several times as long.
    """
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(workers)))


@pytest.fixture(scope="session")
def checkpoints(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The store of test checkpoints: ``checkpoints.get(name, builder, *args)`` builds one at most once."""
    return Store(store_folder(request.config, tmp_path_factory.getbasetemp()))


@pytest.fixture(scope="session")
def tiny_model(checkpoints: Store) -> Path:
    """A tiny Llama trained to answer every sample question: it must pass the sample thresholds."""
    from pytest_llmeval.tiny import build_tiny_model

    return checkpoints.get("tiny", build_tiny_model, SAMPLE_DATA, train=True)


@pytest.fixture(scope="session")
def untrained_model(checkpoints: Store) -> Path:
    """The same architecture and tokenizer, randomly initialised: it must fail them."""
    from pytest_llmeval.tiny import build_tiny_model

    return checkpoints.get("untrained", build_tiny_model, SAMPLE_DATA, train=False)


@pytest.fixture(scope="session")
def half_model(checkpoints: Store) -> Path:
    """Trained like ``tiny_model``, but taught a wrong letter for every other question: a clear regression."""
    from pytest_llmeval.tiny import build_tiny_model

    return checkpoints.get("half", build_tiny_model, SAMPLE_DATA, mislearn_every=2)


@pytest.fixture(scope="session")
def nudged_model(checkpoints: Store) -> Path:
    """Taught a wrong letter for one question in ten: a small change that chance could explain."""
    from pytest_llmeval.tiny import build_tiny_model

    return checkpoints.get("nudged", build_tiny_model, SAMPLE_DATA, mislearn_every=10)


@pytest.fixture(scope="session")
def exam_model(checkpoints: Store) -> Path:
    """A tiny Llama trained on the custom-dataset example's gen prompts (examples/custom): it must pass its gate."""
    from custom_exam import EXAMS, build_exam_model

    return checkpoints.get("exam", build_exam_model, EXAMS)
