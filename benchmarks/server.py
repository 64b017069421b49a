"""The sample evaluation run locally and against a real OpenAI-compatible server, side by side.

    python benchmarks/server.py [--workdir /tmp/llmeval-server-bench] [--repeats 3]

Variants, each a fresh ``pytest`` process on the shipped sample (5 subjects, 50 questions), result cache off:
(a) the transformers backend in process; (b) ``--llm-backend openai`` against ``transformers serve`` (started
here on 127.0.0.1, serving the same tiny checkpoint on the CPU) with ``--llm-concurrency 1``; (c) the same with
``--llm-concurrency 8``. Reported per variant: the median wall time of the whole pytest process, the median
questions/s of the evaluation itself (from ``llmeval.json``), and how many of the 50 predictions are
byte-identical to (a)'s. The machine is shared and noisy: read the ratios and medians.

    python benchmarks/server.py --part stop --data-dir ../shared/data [--limit 8]

The answer-fixed stop on the server, on real GSM8K and BBH questions (OpenCompass's layout, never shipped):
a base-like tiny model (``tiny_base``: answers in each config's few-shot format, then writes on, as a base
model does) is trained on the first ``--limit`` questions of ``gsm8k``, ``bbh-navigate``, ``bbh-snarks`` and
``bbh-object_counting`` and served by ``transformers serve``. (d) ``--llm-full-output`` decodes every
request to max-out-len (512); (e) the default streams, or sends GSM8K's rule as a stop string, and ends
each request once its answer is fixed. Reported: median wall time of the pytest process and of the
evaluation, the tokens the server generated (counted in an untimed pass by a relay in front of it: usage
counts, or the chunks of a stream the client closed), CPU seconds the server process used (tokens generated
after a stream closed included), and how many questions got the same extracted answer and verdict in both.
Then a long-prompt case: ``--llm-max-seq-len`` small enough to cut every prompt, run in process and against the
server through the relay: the text the server received must encode to the ids the transformers backend runs,
and the predictions must be byte-identical.
"""

from __future__ import annotations

import argparse
import json
import os
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
    record = json.loads((run_dir / "llmeval.json").read_text(encoding="utf-8"))
    record["run_dir"] = str(run_dir)  # for the predictions files beside it
    return wall, record


def prompt_rows(record: dict) -> list[dict]:
    """The run's predictions-file rows (``origin_prompt``, ``prediction``), from the folder ``record`` names."""
    files = sorted((Path(record["run_dir"]) / "predictions").glob("*/*.json"))
    return [row for path in files for row in json.loads(path.read_text(encoding="utf-8")).values()]


def predictions(record: dict) -> list[str]:
    return [o["prediction"] for s in record["subjects"] for o in s["outcomes"]]


def server_cpu(server: subprocess.Popen) -> float:
    """CPU seconds the server process has used so far (Linux: /proc), children not included."""
    fields = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def generate_seconds(record: dict) -> float:
    return sum(x["generate_seconds"] for x in record["workers"])


def verdicts(record: dict) -> list[tuple[str, int, str, bool]]:
    return [(s["abbr"], o["index"], o["answer"], o["correct"]) for s in record["subjects"] for o in s["outcomes"]]


def sample_part(work: Path, repeats: int) -> None:
    from pytest_llmeval.demo import SAMPLE_DATA, SAMPLE_SUITE
    from pytest_llmeval.tiny import build_tiny_model

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
        for _ in range(repeats):  # interleaved, so drift in machine load hits every variant alike
            for name, args in variants.items():
                results[name].append(run(project, args))
    finally:
        server.terminate()
        server.wait(timeout=30)
    reference = predictions(results["(a) transformers, in process"][0][1])
    print(f"sample: {len(reference)} questions, {repeats} runs per variant, medians")
    print(f"{'variant':32} {'wall s':>8} {'questions/s':>12} {'same as (a)':>12}")
    base_rate = None
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        rate = statistics.median(sum(x["questions"] for x in r["workers"]) / generate_seconds(r) for _, r in runs)
        base_rate = base_rate or rate
        same = min(sum(a == b for a, b in zip(reference, predictions(r))) for _, r in runs)
        print(f"{name:32} {wall:8.2f} {rate:12.2f} {same:>9}/{len(reference)}   ({rate / base_rate:.2f}x of (a))")


STOP_ITEMS = {"gsm8k_gen": ["gsm8k"], "bbh_gen": ["navigate", "snarks", "object_counting"]}


def stop_part(work: Path, repeats: int, data: Path, limit: int) -> None:
    import transformers

    sys.path.insert(0, str(ROOT / "tests"))  # the HTTP relay the tests use
    from relay import Relay

    from pytest_llmeval.tiny_base import build_base_model

    model = work / f"base-{limit}"
    if not (model / "config.json").exists():
        build_base_model(model, data, per_item=limit, items=STOP_ITEMS, context=400)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(model))
    project = work / "stop-project"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    port = free_port()
    server = start_server(model, port, work / "serve-base.log")
    base = f"http://127.0.0.1:{port}/v1"
    common = [f"--llm-data-dir={data}", "--llm-datasets", "gsm8k_gen", "bbh_gen", f"--llm-limit={limit}",
              "-k", "gsm8k or bbh-navigate or bbh-snarks or bbh-object_counting", "--llm-model-abbr=model"]  # fmt: skip
    served = [*common, "--llm-backend=openai", f"--llm-api-base={base}", f"--llm-api-model={model}",
              f"--llm-tokenizer={model}"]  # fmt: skip
    variants = {"(d) server, full decode": [*served, "--llm-full-output"], "(e) server, answer-fixed stop": served}
    try:
        run(project, variants["(e) server, answer-fixed stop"])  # warm the server's model load
        results: dict[str, list[tuple[float, dict, float]]] = {name: [] for name in variants}
        for _ in range(repeats):
            for name, args in variants.items():
                before = server_cpu(server)
                wall, record = run(project, args)
                results[name].append((wall, record, server_cpu(server) - before))
        # Untimed: what the server generated in each variant, counted by a relay in front of it.
        generated = {}
        for name, args in variants.items():
            relay = Relay(base)
            try:
                run(project, [arg.replace(base, relay.base) for arg in args])
            finally:
                relay.close()
            generated[name] = sum(relay.generated)
        # The long-prompt case: every prompt over max-seq-len - max-out-len, cut in process and for the server.
        short = ["--llm-max-seq-len=600", "--llm-full-output"]
        relay = Relay(base)
        try:
            _, cut_served = run(project, [arg.replace(base, relay.base) for arg in served] + short)
        finally:
            relay.close()
        _, cut_local = run(project, [*common, f"--llm-model={model}", *short])
    finally:
        server.terminate()
        server.wait(timeout=30)
    first = results["(d) server, full decode"][0][1]
    questions = len(predictions(first))
    print(f"stop: {questions} questions (gsm8k, bbh-navigate, bbh-snarks, bbh-object_counting; first {limit} each),")
    print(f"max-out-len 512, transformers serve on the CPU, {repeats} runs per variant, medians")
    header = f"{'variant':32} {'wall s':>8} {'generate s':>11} {'generated':>10} {'server CPU s':>13} {'stopped':>8}"
    print(header)
    rows = {}
    for name, runs in results.items():
        wall = statistics.median(w for w, _, _ in runs)
        gen = statistics.median(generate_seconds(r) for _, r, _ in runs)
        cpu = statistics.median(c for _, _, c in runs)
        record = runs[0][1]
        stopped = sum(o.get("stopped", False) for s in record["subjects"] for o in s["outcomes"])
        rows[name] = (wall, gen, generated[name], cpu)
        print(f"{name:32} {wall:8.2f} {gen:11.2f} {generated[name]:10d} {cpu:13.2f} {stopped:>5}/{questions}")
    (d_wall, d_gen, d_tokens, d_cpu), (e_wall, e_gen, e_tokens, e_cpu) = rows.values()
    print(f"(d)/(e): wall {d_wall / e_wall:.2f}x, generate {d_gen / e_gen:.2f}x, generated tokens "
          f"{d_tokens / max(e_tokens, 1):.2f}x, server CPU {d_cpu / max(e_cpu, 1e-9):.2f}x")  # fmt: skip
    same = [
        sum(a == b for a, b in zip(verdicts(first), verdicts(r), strict=True))
        for runs in results.values()
        for _, r, _ in runs
    ]
    print(f"same extracted answer and verdict as (d)'s first run: min {min(same)}/{questions} over all runs")
    truncated = sum(s["truncated"] for s in cut_served["subjects"])
    alike = sum(a == b for a, b in zip(predictions(cut_local), predictions(cut_served), strict=True))
    # The text the server received, against the ids the transformers backend runs for the same prompt.
    whole = [row["origin_prompt"] for row in prompt_rows(cut_local)]
    local_ids = sorted(tokenizer(p, truncation=True, max_length=600 - 512)["input_ids"] for p in whole)
    received_ids = sorted(tokenizer(body["prompt"])["input_ids"] for body in relay.bodies if "prompt" in body)
    same_ids = sum(a == b for a, b in zip(local_ids, received_ids, strict=True))
    print(f"long prompts (--llm-max-seq-len 600, full output): {truncated}/{questions} prompts cut; the text the "
          f"server received encodes to the ids the transformers backend runs: {same_ids}/{questions}; "
          f"predictions byte-identical: {alike}/{questions}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/llmeval-server-bench"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--part", choices=["sample", "stop", "all"], default="sample")
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=8, help="questions per item in the stop part")
    options = parser.parse_args()
    work = options.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if options.part in ("sample", "all"):
        sample_part(work, options.repeats)
    if options.part in ("stop", "all"):
        if not (options.data_dir / "gsm8k").is_dir() or not (options.data_dir / "BBH").is_dir():
            raise SystemExit(f"--data-dir {options.data_dir}: no gsm8k/ and BBH/ there (OpenCompass's layout)")
        stop_part(work, options.repeats, options.data_dir.resolve(), options.limit)


if __name__ == "__main__":
    main()
