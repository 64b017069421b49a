"""Known ways a model fails to load or run, turned into one line that names the cause and the fix.

Pure functions of the exception and the settings. A failure recognised here would repeat for
every later subject (a package is missing, the model's own code does not run on the installed
transformers, the batch does not fit in memory), so the run stops at the first one instead of
printing the same traceback for each subject. An exception not recognised here is a bug and
keeps its traceback.
"""

from __future__ import annotations

import errno
import re
import traceback
from dataclasses import dataclass
from importlib import metadata

from pytest_llmeval.errors import ServerError

# A full disk, a read-only file system, no permission, an exhausted quota: every later write would fail too.
_UNWRITABLE = frozenset({errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT})

# Where transformers keeps the code of trust_remote_code checkpoints once imported.
_REMOTE_CODE_MODULES = "transformers_modules"
INTERNLM2_EXTRA = "pip install 'pytest-llm-regression[internlm2]'"

# Import names and transformers' library names whose pip package is called something else.
_PIP_NAMES = {
    "google": "protobuf",
    "pil": "pillow",
    "pyav": "av",
    "cv2": "opencv-python",
    "opencv": "opencv-python",
    "yaml": "pyyaml",
    "sklearn": "scikit-learn",
    "jinja": "jinja2",
}
_LIBRARY_MISSING = re.compile(r"requires the (\S+) library but it was not found")
_PACKAGES_MISSING = re.compile(r"requires the following packages that were not found in your environment: ([^.]+)\.")


@dataclass(frozen=True, slots=True)
class Fault:
    """A recognised failure: one line with the cause and the fix."""

    reason: str


def one_line(error: BaseException) -> str:
    """``Type: message`` with every line of the message kept, joined by spaces, never cut mid-sentence."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def pip_name(module: str) -> str:
    """The package to ``pip install`` for an import name or a library name in transformers' messages."""
    top = module.split(".")[0].lower()
    return _PIP_NAMES.get(top, top)


def _missing_packages(error: BaseException) -> list[str]:
    if isinstance(error, ModuleNotFoundError) and error.name:
        return [pip_name(error.name)]
    text = str(error)
    if match := _PACKAGES_MISSING.search(text):
        return [pip_name(name.strip()) for name in match[1].split(",") if name.strip()]
    if match := _LIBRARY_MISSING.search(text):
        return [pip_name(match[1])]
    return []


def _from_remote_code(error: BaseException) -> bool:
    """Whether the exception was raised inside a checkpoint's own (trust_remote_code) modules."""
    frames = traceback.extract_tb(error.__traceback__)
    return any(_REMOTE_CODE_MODULES in frame.filename for frame in frames) or _REMOTE_CODE_MODULES in str(error)


def out_of_memory(error: BaseException) -> bool:
    name = type(error).__name__
    return name == "OutOfMemoryError" or (isinstance(error, RuntimeError) and "out of memory" in str(error).lower())


def installed_transformers() -> str:
    try:
        return metadata.version("transformers")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def explain(error: BaseException, *, batch_size: int, transformers_version: str | None = None) -> Fault | None:
    """The one-line reason and fix for a known failure, or None for anything else."""
    if isinstance(error, ServerError):
        return Fault(str(error))  # already names the server, the status and the retries
    if isinstance(error, OSError) and error.errno in _UNWRITABLE:
        where = f" {error.filename}" if error.filename else ""
        return Fault(
            f"cannot write{where} ({error.strerror or one_line(error)}): free space, or choose a writable "
            "--llm-output-dir"
        )
    transformers_version = transformers_version or installed_transformers()
    if out_of_memory(error):
        return Fault(
            f"out of memory at --llm-batch-size {batch_size}: lower --llm-batch-size "
            f"(e.g. {max(batch_size // 2, 1)}), or --llm-max-seq-len, or give the model more GPUs (--llm-num-gpus)"
        )
    packages = _missing_packages(error)
    if packages:
        names = " ".join(packages)
        return Fault(
            f"missing Python package {', '.join(packages)}: pip install {names} (InternLM2: {INTERNLM2_EXTRA})"
        )
    if isinstance(error, AttributeError) and "get_max_length" in str(error):
        return Fault(
            f"the model's own code (trust_remote_code) calls get_max_length, which transformers "
            f"{transformers_version} no longer has: pip install transformers==4.48.3 (or {INTERNLM2_EXTRA})"
        )
    if isinstance(error, (ImportError, AttributeError, TypeError)) and _from_remote_code(error):
        return Fault(
            f"the model's own code (trust_remote_code) does not run on transformers {transformers_version} "
            f"({one_line(error)}): install the transformers version the checkpoint was written for, "
            f"for InternLM2 pip install transformers==4.48.3 (or {INTERNLM2_EXTRA})"
        )
    return None
