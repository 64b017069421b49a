"""Fixtures for end-to-end runs: a user's repo in a temporary folder, driven through a pytest subprocess."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_llmeval.demo import SAMPLE_DATA, SAMPLE_SUITE

RunLlm = Callable[..., pytest.RunResult]


def run_pytest(pytester: pytest.Pytester, *args: str, own_process: bool = False) -> pytest.RunResult:
    """pytest in the pytester folder: in this process, or in a fresh interpreter where the process is what is
    tested (a signal, the exit status of the real command line, a restart, xdist's workers)."""
    if own_process:
        return pytester.runpytest_subprocess(*args, timeout=600)
    return run_in_process(pytester, *args)


def run_in_process(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """``pytester.runpytest_inprocess``, with what a run may change in its process put back afterwards.

    A user's run owns its process: the plugin narrows ``CUDA_VISIBLE_DEVICES`` to its worker's devices and sets
    torch's thread count. In the test process those would outlive the run and reach the next test (a
    subprocess started later inherits the environment), so both are restored. pytester already restores
    ``sys.modules``, ``sys.path`` and the working directory.
    """
    import torch

    environment, threads = dict(os.environ), torch.get_num_threads()
    try:
        # The plugin is imported before the run (the test session loaded it): pytest says it cannot rewrite its
        # asserts, which the plugin does not use, in a warning no user run shows.
        return pytester.runpytest_inprocess("-W", "ignore::pytest.PytestAssertRewriteWarning", *args)
    finally:
        os.environ.clear()
        os.environ.update(environment)
        torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _no_job_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under GitHub Actions, runs made by these tests must not append their reports to the job's own summary."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def pytester(heavy_imports: None, pytester: pytest.Pytester) -> pytest.Pytester:
    """pytester, set up after ``heavy_imports``: its runs may then be in this process (see ``run_in_process``)."""
    return pytester


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user's repo: the sample data under ./data (the default --llm-data-dir) and the sample suite."""
    shutil.copytree(SAMPLE_DATA, pytester.path / "data")
    shutil.copyfile(SAMPLE_SUITE, pytester.path / SAMPLE_SUITE.name)
    pytester.makeini("[pytest]\n")
    return pytester


@pytest.fixture
def all_subjects_project(project: pytest.Pytester) -> pytest.Pytester:
    """The project without its suite file, and data for all 52 subjects: the sample's five plus 47 tiny ones.

    Each generated subject has five shots and one val question, enough for ``--llm-datasets ceval_gen``.
    """
    from pytest_llmeval.datasets.ceval import SUBJECTS

    project.path.joinpath(SAMPLE_SUITE.name).unlink()
    root = project.path / "data" / "ceval" / "formal_ceval"
    row = "{i},题目{i}：{name}的基础知识,甲,乙,丙,丁,{answer}"
    for subject in SUBJECTS:
        if (root / "dev" / f"{subject.key}_dev.csv").exists():
            continue
        dev = ["id,question,A,B,C,D,answer,explanation"] + [
            row.format(i=i, name=subject.chinese, answer="A") + ",说明" for i in range(5)
        ]
        val = ["id,question,A,B,C,D,answer"] + [row.format(i=0, name=subject.chinese, answer="B")]
        (root / "dev" / f"{subject.key}_dev.csv").write_text("\r\n".join(dev) + "\r\n", encoding="utf-8")
        (root / "val" / f"{subject.key}_val.csv").write_text("\r\n".join(val) + "\r\n", encoding="utf-8")
    return project


@pytest.fixture
def run_llm(project: pytest.Pytester) -> RunLlm:
    """Run pytest in the project as a user would, with ``--llm-model`` pointing at ``model`` when given."""

    def run(
        model: Path | None, *args: str, step_summary: Path | None = None, own_process: bool = False
    ) -> pytest.RunResult:
        argv: list[str] = ["-p", "no:cacheprovider"]
        if model is not None:
            # A relative link keeps pytest's rootdir in the project (absolute option paths move it).
            link = project.path / f"model-{model.name}"
            if not link.exists():
                link.symlink_to(model, target_is_directory=True)
            argv += ["--llm-model", link.name]
        with pytest.MonkeyPatch.context() as patch:
            if step_summary is not None:
                patch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
            return run_pytest(project, *argv, *args, own_process=own_process)

    return run


@pytest.fixture
def last_run(project: pytest.Pytester) -> Callable[[], Path]:
    """The newest run folder under the default output dir."""

    def find() -> Path:
        return max((project.path / "outputs" / "llmeval").iterdir())

    return find


class Webhook:
    """A real HTTP endpoint on 127.0.0.1 that records what is posted and answers as told."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        self.status = 200
        self.answer = b'{"code": 0}'
        self.delay = 0.0
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                hook.bodies.append(json.loads(self.rfile.read(length)))
                hook.paths.append(self.path)
                time.sleep(hook.delay)
                try:
                    self.send_response(hook.status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(hook.answer)
                except OSError:
                    pass  # the client gave up waiting: that is the point of a slow webhook

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, token: str = "SECRET-TOKEN-4f1c") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/open-apis/bot/v2/hook/{token}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def served_model(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``transformers serve`` on 127.0.0.1 serving the tiny model: a real OpenAI-compatible server.

    Yields the API base URL and the served model's name.
    """
    yield from serve(tiny_model, tmp_path_factory)


def serve(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Run ``transformers serve`` for ``model`` on a free port until the generator is closed."""
    command = Path(sys.executable).parent / "transformers"  # the CLI of the transformers under test
    if not command.exists():
        pytest.skip("transformers serve is not installed (pip install 'transformers[serving]')")
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(command), "serve", str(model), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as answer:
                    if str(model) in answer.read().decode():
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.5)
        yield base, str(model)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="session")
def heavy_imports(tiny_model: Path) -> None:
    """torch, transformers and the parts of them a run imports on first use, loaded before any in-process run.

    pytester unloads every module a test imports once the test ends, and torch, like any extension module that
    registers global state, cannot be imported a second time in one process: loading one model here, in the
    test process, keeps all of it imported for the whole session.
    """
    from pytest_llmeval.backends.hf import HFBackend
    from pytest_llmeval.settings import Settings

    HFBackend.load(Settings(model=tiny_model, tokenizer=tiny_model, model_abbr="warm-up"))
