"""The model's from_pretrained kwargs: OpenCompass's dtype defaults, the user's dtype spellings, the rest untouched."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
import transformers
from packaging.version import Version

from pytest_llmeval.backends.hf import model_load_kwargs
from pytest_llmeval.settings import Settings

# transformers 5 renamed from_pretrained's torch_dtype to dtype; derived here, not from the module under test.
DTYPE_ARG = "dtype" if Version(transformers.__version__).major >= 5 else "torch_dtype"


def settings(**model_kwargs: Any) -> Settings:
    return Settings(model=None, tokenizer=None, model_abbr="model", model_kwargs=model_kwargs)


@pytest.mark.parametrize(("cuda", "dtype"), [(True, torch.float16), (False, torch.float32)])
def test_default_dtype_is_fp16_on_gpu_and_fp32_on_cpu(cuda, dtype):
    """Without a dtype kwarg the model loads in OpenCompass's fp16 on a GPU, in fp32 on CPU."""
    assert model_load_kwargs(settings(), cuda=cuda) == {DTYPE_ARG: dtype}


@pytest.mark.parametrize("cuda", [True, False])
@pytest.mark.parametrize(("key", "value"), [("torch_dtype", "torch.bfloat16"), ("dtype", "bfloat16")])
def test_given_dtype_maps_to_torch_under_the_installed_argument_name(key, value, cuda):
    """Either spelling becomes torch.bfloat16 under the installed transformers' name, and only under it."""
    assert model_load_kwargs(settings(**{key: value}), cuda=cuda) == {DTYPE_ARG: torch.bfloat16}


def test_explicit_none_keeps_the_checkpoint_default():
    """torch_dtype=None passes None (the checkpoint's own precision, as OpenCompass), not the fp16 default."""
    assert model_load_kwargs(settings(torch_dtype=None), cuda=True) == {DTYPE_ARG: None}


def test_other_kwargs_pass_through_unchanged():
    """Kwargs other than the dtype reach from_pretrained as given."""
    kwargs = model_load_kwargs(settings(device_map="auto", trust_remote_code=True, max_memory=None), cuda=False)
    assert kwargs == {"device_map": "auto", "trust_remote_code": True, "max_memory": None, DTYPE_ARG: torch.float32}


def test_users_settings_are_not_mutated():
    """The returned dict is a new one: the settings' kwargs keep the user's dtype string and gain nothing."""
    given = settings(torch_dtype="torch.bfloat16", device_map="auto")
    before = copy.deepcopy(given.model_kwargs)
    kwargs = model_load_kwargs(given, cuda=True)
    kwargs["extra"] = 1
    assert given.model_kwargs == before
