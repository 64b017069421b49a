"""OpenCompass-style K=V kwargs on the command line (``--llm-model-kwargs trust_remote_code=True``)."""

from __future__ import annotations

import re

import pytest

from pytest_llmeval.backends.hf_files import DTYPE_NAMES
from pytest_llmeval.collection.options import dest, parse_kwargs, parse_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("True", True),
        ("false", False),
        ("TRUE", True),
        ("None", None),
        ("none", "none"),  # only the exact spelling is None, as in OpenCompass
        ("3", 3),
        ("-2", -2),
        ("0.5", 0.5),
        ("1e-3", 0.001),
        ("auto", "auto"),
        ("torch.float16", "torch.float16"),
        ("'left'", "left"),
        ('"auto"', "auto"),
        ("'3'", 3),  # mmengine strips quotes before parsing, so a quoted number is still a number
        ("'", ""),
        (" left ", "left"),  # spaces are removed, as mmengine does
        ("0,1", [0, 1]),
        ("a,True", ["a", True]),
        ("", ""),
    ],
)
def test_parse_value(text, expected):
    value = parse_value(text)
    assert value == expected
    assert type(value) is type(expected)


def test_parse_kwargs_good_pairs():
    pairs = [
        "padding_side=left",
        "trust_remote_code=True",
        "device_map='auto'",
        "max_length=2048",
        "torch_dtype=torch.float16",
        "eos=a=b",
        "empty=",
    ]
    assert parse_kwargs("--llm-model-kwargs", pairs) == {
        "padding_side": "left",
        "trust_remote_code": True,
        "device_map": "auto",
        "max_length": 2048,
        "torch_dtype": "torch.float16",
        "eos": "a=b",  # split at the first '='
        "empty": "",
    }
    assert parse_kwargs("--llm-model-kwargs", ["a=1", "a=2"]) == {"a": 2}
    assert parse_kwargs("--llm-model-kwargs", []) == {}


@pytest.mark.parametrize("pair", ["trust_remote_code", "=True", "1x=2", "padding side=left", ""])
def test_parse_kwargs_rejects_malformed_pair(pair):
    expected = f"--llm-tokenizer-kwargs: {pair!r} is not a key=value pair"
    with pytest.raises(pytest.UsageError, match=re.escape(expected)):
        parse_kwargs("--llm-tokenizer-kwargs", ["padding_side=left", pair])


def test_dest_maps_option_to_ini_name():
    assert dest("max-seq-len") == "llm_max_seq_len"


def test_dtype_names_are_the_backends_keys():
    """options validates dtype strings without importing torch; the backend must accept every one of them."""
    from pytest_llmeval.backends.hf.load import _DTYPES

    assert set(DTYPE_NAMES) == set(_DTYPES)
