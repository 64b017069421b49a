"""The sample evaluation run locally and against a real OpenAI-compatible server, side by side.

    python benchmarks/server.py [--workdir /tmp/llmeval-server-bench] [--repeats 3]

Variants, each a fresh ``pytest`` process on the shipped sample (5 subjects, 50 questions), result cache off:
(a) the transformers backend in process; (b) ``--llm-backend openai`` against ``transformers serve`` (started
here on 127.0.0.1, serving the same tiny checkpoint on the CPU) with ``--llm-concurrency 1``; (c) the same with
``--llm-concurrency 8``. Reported per variant: the median wall time of the whole pytest process, the median
questions/s of the evaluation itself (from ``llmeval.json``), and how many of the 50 predictions are
byte-identical to (a)'s. The machine is shared and noisy: read the ratios and medians.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(model: Path, port: int, log: Path) -> subprocess.Popen:
    command = Path(sys.executable).parent / "transformers"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(command), "serve", str(model), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"transformers serve did not start; see {log}")


def run(project: Path, args: list[str]) -> tuple[float, dict]:
    before = set((project / "outputs" / "llmeval").glob("*")) if (project / "outputs").exists() else set()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed:\n{done.stdout[-3000:]}")
    time.sleep(1.05)  # run folders are named by the second
    [run_dir] = set((project / "outputs" / "llmeval").glob("*")) - before
    return wall, json.loads((run_dir / "llmeval.json").read_text(encoding="utf-8"))


def predictions(record: dict) -> list[str]:
    return [o["prediction"] for s in record["subjects"] for o in s["outcomes"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/llmeval-server-bench"))
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    from pytest_llmeval.demo import SAMPLE_DATA, SAMPLE_SUITE
    from pytest_llmeval.tiny import build_tiny_model

    work = options.workdir.resolve()
    model = work / "model"
    if not (model / "config.json").exists():
        build_tiny_model(model, SAMPLE_DATA)
    project = work / "project"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    shutil.copytree(SAMPLE_DATA, project / "data")
    shutil.copyfile(SAMPLE_SUITE, project / SAMPLE_SUITE.name)
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    port = free_port()
    server = start_server(model, port, work / "serve.log")
    base = f"http://127.0.0.1:{port}/v1"
    server_args = ["--llm-backend", "openai", "--llm-api-base", base, "--llm-api-model", str(model)]
    server_args += ["--llm-tokenizer", str(model), "--llm-model-abbr", "model"]
    variants = {
        "(a) transformers, in process": ["--llm-model", str(model)],
        "(b) server, concurrency 1": [*server_args, "--llm-concurrency", "1"],
        "(c) server, concurrency 8": [*server_args, "--llm-concurrency", "8"],
    }
    try:
        run(project, [*server_args, "--llm-concurrency", "1"])  # warm the server's model load
        results: dict[str, list[tuple[float, dict]]] = {name: [] for name in variants}
        for _ in range(options.repeats):  # interleaved, so drift in machine load hits every variant alike
            for name, args in variants.items():
                results[name].append(run(project, args))
    finally:
        server.terminate()
        server.wait(timeout=30)
    reference = predictions(results["(a) transformers, in process"][0][1])
    print(f"sample: {len(reference)} questions, {options.repeats} runs per variant, medians")
    print(f"{'variant':32} {'wall s':>8} {'questions/s':>12} {'same as (a)':>12}")
    base_rate = None
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        rates = [
            sum(x["questions"] for x in r["workers"]) / sum(x["generate_seconds"] for x in r["workers"])
            for _, r in runs
        ]
        rate = statistics.median(rates)
        base_rate = base_rate or rate
        same = min(sum(a == b for a, b in zip(reference, predictions(r))) for _, r in runs)
        print(f"{name:32} {wall:8.2f} {rate:12.2f} {same:>9}/{len(reference)}   ({rate / base_rate:.2f}x of (a))")


if __name__ == "__main__":
    main()
