"""Known failures become one line with the fix; anything else is left to its traceback."""

from __future__ import annotations

import pytest
import torch
from transformers.utils import import_utils

from pytest_llmeval.faults import explain, one_line, pip_name

TRANSFORMERS = "4.57.1"


def reason(error: BaseException, batch_size: int = 8) -> str | None:
    fault = explain(error, batch_size=batch_size, transformers_version=TRANSFORMERS)
    return fault.reason if fault else None


@pytest.mark.parametrize(
    ("error", "package"),
    [
        # transformers' own wording, taken from the installed library so the test follows it.
        (ImportError(import_utils.PROTOBUF_IMPORT_ERROR.format("LlamaConverter")), "protobuf"),
        (ImportError(import_utils.SENTENCEPIECE_IMPORT_ERROR.format("InternLM2Tokenizer")), "sentencepiece"),
        (ModuleNotFoundError("No module named 'google'", name="google.protobuf"), "protobuf"),
        (ModuleNotFoundError("No module named 'einops'", name="einops"), "einops"),
        (
            ImportError(
                "This modeling file requires the following packages that were not found in your environment: "
                "einops. Run `pip install einops`"
            ),
            "einops",
        ),
    ],
)
def test_missing_package_names_the_pip_install(error, package):
    text = reason(error)
    assert (
        text
        == f"missing Python package {package}: pip install {package} (InternLM2: pip install 'pytest-llm-regression[internlm2]')"
    )


def test_several_missing_packages_are_all_named():
    error = ImportError(
        "This modeling file requires the following packages that were not found in your environment: "
        "einops, flash_attn. Run `pip install einops flash_attn`"
    )
    assert reason(error).startswith("missing Python package einops, flash_attn: pip install einops flash_attn ")


def test_get_max_length_names_the_transformers_to_install():
    error = AttributeError("'DynamicCache' object has no attribute 'get_max_length'")
    assert reason(error) == (
        "the model's own code (trust_remote_code) calls get_max_length, which transformers 4.57.1 no longer has: "
        "pip install transformers==4.48.3 (or pip install 'pytest-llm-regression[internlm2]')"
    )


def _raised_from_remote_code() -> ImportError:
    """An ImportError whose traceback runs through a module in transformers' remote-code cache."""
    namespace: dict = {}
    source = "def load():\n    raise ImportError(\"cannot import name 'LlamaFlashAttention2' from 'x'\")\n"
    filename = "/root/.cache/huggingface/modules/transformers_modules/m/modeling_m.py"
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - a frame with that file name is the point
    try:
        namespace["load"]()
    except ImportError as error:
        return error
    raise AssertionError("unreachable")


def test_import_error_inside_remote_code_names_the_transformers_to_install():
    text = reason(_raised_from_remote_code())
    assert text.startswith(
        "the model's own code (trust_remote_code) does not run on transformers 4.57.1 (ImportError: "
    )
    assert "pip install transformers==4.48.3" in text


def test_import_error_elsewhere_is_not_blamed_on_remote_code():
    assert reason(ImportError("cannot import name 'x' from 'y'")) is None


@pytest.mark.parametrize(
    "error",
    [
        torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        RuntimeError("CUDA error: out of memory"),
    ],
)
def test_out_of_memory_suggests_a_smaller_batch(error):
    assert reason(error, batch_size=8).startswith(
        "out of memory at --llm-batch-size 8: lower --llm-batch-size (e.g. 4)"
    )
    assert "(e.g. 1)" in reason(error, batch_size=1)


@pytest.mark.parametrize("error", [ValueError("bad value"), RuntimeError("shape mismatch"), KeyError("k")])
def test_unknown_failures_keep_their_traceback(error):
    assert reason(error) is None


def test_one_line_keeps_every_sentence():
    error = ImportError(import_utils.PROTOBUF_IMPORT_ERROR.format("LlamaConverter"))
    text = one_line(error)
    assert "\n" not in text
    assert text.startswith("ImportError: LlamaConverter requires the protobuf library")
    assert text.endswith("you may need to restart your runtime after installation.")


@pytest.mark.parametrize(
    ("name", "package"), [("google.protobuf", "protobuf"), ("PIL", "pillow"), ("einops", "einops")]
)
def test_pip_names(name, package):
    assert pip_name(name) == package
