"""Shared fixtures for the project's own tests: the sample data and tiny models built from it.

The models are real transformers checkpoints trained offline in seconds (see
``pytest_llmeval.tiny``), built once per test session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_llmeval.demo import SAMPLE_DATA

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama trained to answer every sample question: it must pass the sample thresholds."""
    from pytest_llmeval.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", SAMPLE_DATA, train=True)


@pytest.fixture(scope="session")
def untrained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same architecture and tokenizer, randomly initialised: it must fail them."""
    from pytest_llmeval.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("untrained") / "model", SAMPLE_DATA, train=False)


@pytest.fixture(scope="session")
def half_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained like ``tiny_model``, but taught a wrong letter for every other question: a clear regression."""
    from pytest_llmeval.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("half") / "model", SAMPLE_DATA, mislearn_every=2)


@pytest.fixture(scope="session")
def nudged_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Taught a wrong letter for one question in ten: a small change that chance could explain."""
    from pytest_llmeval.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("nudged") / "model", SAMPLE_DATA, mislearn_every=10)


@pytest.fixture(scope="session")
def exam_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama trained on the custom-dataset example's gen prompts (examples/custom): it must pass its gate."""
    from custom_exam import exam_corpus, exam_lessons

    from pytest_llmeval.tiny import build_model

    out = tmp_path_factory.mktemp("exam") / "model"
    return build_model(out, exam_corpus(), exam_lessons(), letters="ABCDE", max_epochs=20)
