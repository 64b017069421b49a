"""``python -m pytest_llmeval.demo``: build a tiny model on the shipped sample and evaluate it, end to end.

Everything happens offline inside a work folder (default ``.llmeval-demo``): the
model is trained once and reused, the sample suite is copied there, and pytest
runs on it exactly as a user's CI would, printing the summary table.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).parent / "sample"
SAMPLE_DATA = SAMPLE / "data"
SAMPLE_SUITE = SAMPLE / "llmeval_sample.toml"


def ensure_model(workdir: Path, trained: bool) -> Path:
    """Build the tiny model into ``workdir`` unless a finished build is already there."""
    model_dir = workdir / ("tiny-model" if trained else "tiny-model-untrained")
    if not (model_dir / "config.json").exists():
        from pytest_llmeval.tiny import build_tiny_model  # deferred: imports torch

        print(f"building the {'trained' if trained else 'untrained'} tiny model in {model_dir} ...", flush=True)
        staging = model_dir.with_name(model_dir.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        build_tiny_model(staging, SAMPLE_DATA, train=trained)
        staging.rename(model_dir)  # a crash mid-build never leaves a half model behind
    return model_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_llmeval.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path(".llmeval-demo"), help="where model and outputs go")
    parser.add_argument("--untrained", action="store_true", help="evaluate a random model instead: the gate fails")
    args, pytest_args = parser.parse_known_args(argv)
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    model_dir = ensure_model(workdir, trained=not args.untrained)
    shutil.copyfile(SAMPLE_SUITE, workdir / SAMPLE_SUITE.name)
    # An ini file of its own keeps the demo independent of whatever project it is started in.
    (workdir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    # A fresh interpreter, as a user's CI runs pytest (and so the plugin loads before anything imports it).
    command = [
        sys.executable, "-m", "pytest", str(workdir / SAMPLE_SUITE.name),
        "-c", str(workdir / "pytest.ini"), "--rootdir", str(workdir), "-p", "no:cacheprovider",
        "--llm-model", str(model_dir), "--llm-data-dir", str(SAMPLE_DATA),
        "--llm-output-dir", str(workdir / "outputs"),
        *pytest_args,
    ]  # fmt: skip
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
