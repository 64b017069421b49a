"""Where a setting comes from: the command line beats the ini file, which beats the default; both are checked alike."""

from __future__ import annotations

import pytest

from conftest import run_pytest
from pytest_llmeval.collection.items import STATE
from pytest_llmeval.settings import Settings

INI = "[pytest]\nllm_max_out_len = 7\nllm_model_kwargs = device_map=auto trust_remote_code=True\n"


def settings(pytester: pytest.Pytester, *args: str) -> Settings:
    return pytester.parseconfigure(*args).stash[STATE].settings


def test_defaults_without_ini_or_options(pytester):
    """Neither source given: the documented defaults."""
    pytester.makeini("[pytest]\n")
    found = settings(pytester)
    assert (found.max_out_len, found.model_kwargs) == (16, {})


def test_ini_beats_default(pytester):
    """An ini value replaces the default, for a single value and for a list of kwargs."""
    pytester.makeini(INI)
    found = settings(pytester)
    assert (found.max_out_len, found.model_kwargs) == (7, {"device_map": "auto", "trust_remote_code": True})


def test_command_line_beats_ini(pytester):
    """An option replaces the ini value; a kwargs list replaces the ini's list as a whole, not key by key."""
    pytester.makeini(INI)
    found = settings(pytester, "--llm-max-out-len=9", "--llm-model-kwargs", "device_map=cpu")
    assert (found.max_out_len, found.model_kwargs) == (9, {"device_map": "cpu"})


@pytest.mark.parametrize("source", ["ini", "command line"])
def test_bad_value_is_the_same_usage_error_from_either_source(pytester, source):
    """A bad ini value stops the run with exactly the one-line usage error the option gives."""
    if source == "ini":
        pytester.makeini("[pytest]\nllm_batch_size = four\n")
        result = run_pytest(pytester, "-p", "no:cacheprovider")
    else:
        pytester.makeini("[pytest]\n")
        result = run_pytest(pytester, "-p", "no:cacheprovider", "--llm-batch-size=four")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line.strip()] == [
        "ERROR: --llm-batch-size: 'four' is not a positive integer"
    ]
