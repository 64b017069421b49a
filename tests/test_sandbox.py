"""The sandbox that runs model-written programs: real child processes, each hostile program checked for its effects.

After every test no work directory and no child process of this one may be left.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_llmeval.judging import execution
from pytest_llmeval.judging.execution import Limits, Run, default_workers, isolation, run_program, run_programs

QUICK = Limits(seconds=1.0)
SLACK = 1.0 + execution.START_GRACE  # the child's own grace past the limit, then the parent's backstop


def children() -> set[int]:
    """This process's child processes, read from /proc."""
    mine, found = os.getpid(), set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                fields = Path("/proc", name, "stat").read_bytes().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == mine:
                found.add(int(name))
    return found


def processes_mentioning(text: str) -> list[int]:
    """Processes whose command line contains ``text``."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if text.encode() in Path("/proc", name, "cmdline").read_bytes():
                    found.append(int(name))
            except OSError:
                continue
    return found


@pytest.fixture(autouse=True)
def _nothing_left(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Work directories go to a temporary directory of the test's own, which must be empty afterwards."""
    temporary = tmp_path_factory.mktemp("temporary")
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    before = children()
    yield
    assert not list(temporary.iterdir()), "a work directory was left behind"
    assert children() <= before, "a child process was left behind"


@pytest.fixture
def fallback(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Programs run without the namespaces, as on a host that forbids unprivileged user namespaces."""
    monkeypatch.setenv(execution.NAMESPACES_ENV, "0")
    isolation.cache_clear()
    yield
    isolation.cache_clear()


def run(source: str, limits: Limits = QUICK) -> Run:
    return run_program(textwrap.dedent(source), limits)


def namespaced() -> bool:
    return isolation() == ""


def test_a_passing_program():
    result = run("print('hello')\nassert sum([1, 2]) == 3\nassert __name__ == 'builtins'")
    assert (result.status, result.exception, result.detail) == ("passed", "", "")
    assert result.output == "hello\n"
    assert 0 < result.seconds < 10


def test_an_assertion_error():
    result = run("def add(a, b):\n    return a - b\nassert add(2, 2) == 4, 'add is wrong'")
    assert (result.status, result.exception) == ("failed", "AssertionError")
    assert result.detail == "AssertionError: add is wrong"
    assert "add is wrong" in result.output and "sandbox_child" not in result.output


def test_a_syntax_error():
    result = run("def broken(:\n    pass")
    assert (result.status, result.exception) == ("failed", "SyntaxError")
    assert result.detail.startswith("SyntaxError:")


def test_an_endless_loop_times_out():
    result = run("while True:\n    pass")
    assert result.status == "timed out"
    assert result.exception == ""
    assert result.seconds < QUICK.seconds + SLACK


def test_a_program_that_swallows_the_alarm_still_times_out():
    result = run(
        """
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass
        """
    )
    assert result.status == "timed out"
    assert result.seconds < QUICK.seconds + SLACK


def test_a_program_that_swallows_the_alarm_and_finishes_late_is_timed_out():
    result = run("import time\ntry:\n    time.sleep(5)\nexcept BaseException:\n    pass\nprint('done')")
    assert result.status == "timed out"


@pytest.mark.parametrize(
    "source",
    [
        "import os\nwhile True:\n    os.fork()",
        "import subprocess\nwhile True:\n    subprocess.Popen(['sleep', '30'])",
        "import multiprocessing as mp, time\nfor _ in range(9):\n    mp.Process(target=time.sleep, args=(30,)).start()",
        "import os\nos.system('sleep 30 &')",
        "import pty\npty.fork()",
    ],
    ids=["os.fork", "subprocess", "multiprocessing", "os.system", "pty"],
)
def test_a_fork_bomb_starts_nothing(source):
    assert run(source).status != "passed"


def test_unbounded_allocation_fails_within_the_memory_limit():
    result = run(
        "blocks = []\nwhile True:\n    blocks.append(bytearray(50 << 20))", Limits(seconds=5.0, memory=512 << 20)
    )
    assert result.status in ("failed", "killed")
    if result.status == "failed":
        assert result.exception == "MemoryError"


def test_printing_without_end_times_out_with_its_output_capped():
    limits = Limits(seconds=1.0, output=1000)
    result = run("import sys\nwhile True:\n    print('spam' * 10)\n    sys.stdout.buffer.write(b'eggs')", limits)
    assert result.status == "timed out"
    assert result.output.startswith("spam")
    assert len(result.output.encode()) <= limits.output


def test_unbounded_recursion():
    result = run("def down(n):\n    return down(n + 1)\ndown(0)")
    assert (result.status, result.exception) == ("failed", "RecursionError")


def test_sys_exit_before_the_asserts_fails():
    result = run("import sys\nsys.exit(0)\nassert False")
    assert (result.status, result.exception, result.detail) == ("failed", "SystemExit", "SystemExit: 0")


def test_os_exit_is_killed():
    result = run("import os\nos._exit(0)")
    assert (result.status, result.detail) == ("killed", "exit 0 without a report")


@pytest.mark.parametrize("call", ["os.kill(os.getppid(), 9)", "os.kill(0, 9)", "os.killpg(0, 9)", "os.kill(-1, 9)"])
def test_killing_its_parents_leaves_this_process_alone(call):
    result = run(f"import os\n{call}\nassert False")
    assert result.status != "passed"
    os.kill(os.getpid(), 0)  # still here, and so is the session that started the test


def test_no_writes_outside_the_work_directory(tmp_path):
    marker = f"llmeval-escape-{uuid.uuid4().hex}"
    real_home = Path.home()
    targets = [tmp_path / marker, real_home / marker, Path(__file__).resolve().parent / marker]
    try:
        for target in targets:
            result = run(f"open({str(target)!r}, 'w').write('escaped')")
            assert (result.status, result.exception) == ("failed", "PermissionError"), result.detail
        # HOME is the work directory: writing there works, and the file goes with it.
        result = run(f"import os\nopen(os.path.join(os.path.expanduser('~'), {marker!r}), 'w').write('x')")
        assert result.status == "passed", result.detail
        assert not any(target.exists() for target in targets)
        assert not (real_home / marker).exists()
    finally:
        for target in targets:
            target.unlink(missing_ok=True)


@pytest.mark.parametrize(
    "source",
    [
        "import os\nos.mkdir({target!r})",
        "import os\nos.rename('program.py', {target!r})",
        "import os\nos.symlink('/etc', 'link')\nopen('link/' + {name!r}, 'w')",
        "import os\nfd = os.open({parent!r}, os.O_RDONLY)\nos.open({name!r}, os.O_WRONLY | os.O_CREAT, dir_fd=fd)",
        "import shutil\nshutil.copy('program.py', {target!r})",
    ],
    ids=["mkdir", "rename", "through-a-symlink", "dir_fd", "shutil.copy"],
)
def test_no_writes_outside_by_other_calls(tmp_path, source):
    target = tmp_path / "escaped"
    result = run(source.format(target=str(target), parent=str(tmp_path), name=target.name))
    assert result.status == "failed", result.detail
    assert not target.exists() and not Path("/etc", target.name).exists()


def test_the_file_system_outside_is_read_only_even_past_the_audit_hook(tmp_path):
    """os.mkfifo raises no audit event: only the read-only mounts stop it."""
    if not namespaced():
        pytest.skip(f"no namespaces here: {isolation()}")
    target = tmp_path / "fifo"
    result = run(f"import os\nos.mkfifo({str(target)!r})")
    assert (result.status, result.exception) == ("failed", "OSError")
    assert "Read-only file system" in result.detail
    assert not target.exists()


def test_the_environment_stays_out(tmp_path, monkeypatch):
    secret = f"llmeval-secret-{uuid.uuid4().hex}"
    monkeypatch.setenv("LLMEVAL_TEST_SECRET", secret)
    result = run(
        f"""
        import os
        found = [os.environ.get("LLMEVAL_TEST_SECRET", "")]
        for pid in os.listdir("/proc"):
            try:
                found.append(open(f"/proc/{{pid}}/environ", "rb").read().decode(errors="replace"))
            except Exception:
                pass
        print("\\n".join(found))
        try:
            open({str(tmp_path / "leak")!r}, "w").write("\\n".join(found))
        except Exception:
            pass
        assert "LLMEVAL_TEST_SECRET" not in "".join(found)
        """
    )
    assert result.status == "passed", result.output
    assert not any(secret in str(value) for value in (result.status, result.exception, result.detail, result.output))
    assert not any(secret in path.read_text(errors="replace") for path in tmp_path.rglob("*") if path.is_file())


def test_no_network(tmp_path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        result = run(
            f"""
            import socket
            with socket.create_connection(("127.0.0.1", {port}), timeout=0.5) as connection:
                connection.sendall(b"hello")
            """
        )
        assert result.status == "failed"
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


def test_a_daemon_does_not_outlive_the_run():
    result = run(
        """
        import os, time
        print(os.getcwd(), flush=True)
        try:
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(30)
                os._exit(0)
        finally:
            time.sleep(0.2)
        """
    )
    assert result.status != "passed"
    work = result.output.splitlines()[0]
    assert work.startswith(os.path.join(os.path.realpath(tempfile.gettempdir()), "llmeval-code-"))
    assert not processes_mentioning(work)


def test_the_output_file_is_never_followed_out(tmp_path):
    secret = tmp_path / "private"
    secret.write_text("private words")
    result = run(f"import os\nos.remove('output')\nos.symlink({str(secret)!r}, 'output')")
    assert result.status == "passed", result.detail
    assert "private words" not in result.output
    result = run("import os\nos.remove('output')\nos.mkfifo('output')")
    assert result.status == "passed" and result.output == ""


def test_locked_files_are_cleaned_up(tmp_path):
    outside = tmp_path / "keep"
    outside.write_text("x")
    outside.chmod(0o644)
    result = run(
        f"""
        import os
        os.makedirs("deep/er")
        open("deep/er/file", "w").write("x")
        os.symlink({str(outside)!r}, "deep/link")
        os.chmod("deep/er/file", 0)
        os.chmod("deep/er", 0)
        os.chmod("deep", 0)
        """
    )
    assert result.status == "passed", result.detail
    assert outside.stat().st_mode & 0o777 == 0o644


def test_run_programs_keeps_the_order_and_runs_side_by_side():
    source = "import time\nprint({index}, time.time())\ntime.sleep(1.0)\nprint(time.time())"
    results = run_programs([source.format(index=index) for index in range(4)], Limits(seconds=5.0), workers=4)
    assert [result.status for result in results] == ["passed"] * 4
    spans = []
    for index, result in enumerate(results):
        first, last = result.output.split("\n")[:2]
        number, start = first.split()
        assert int(number) == index
        spans.append((float(start), float(last)))
    assert max(start for start, _ in spans) < min(end for _, end in spans), "the programs ran one after another"
    assert run_programs([]) == []


def test_default_workers(monkeypatch):
    cores = len(os.sched_getaffinity(0))
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    assert default_workers() == cores
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    assert default_workers() == max(1, cores // 2)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(cores * 4))
    assert default_workers() == 1


def test_limits_are_checked():
    with pytest.raises(ValueError, match="seconds"):
        Limits(seconds=0)
    with pytest.raises(ValueError, match="memory"):
        Limits(memory=-1)


def test_isolation_is_complete_where_user_namespaces_are_allowed():
    probe = ["unshare", "--user", "--map-root-user", "--mount", "--net", "true"]
    if shutil.which("unshare") is None or subprocess.run(probe, check=False, capture_output=True).returncode:
        pytest.skip("this host forbids unprivileged user namespaces")
    assert isolation() == ""
    result = run("import os\nprint(os.getpid(), sorted(p for p in os.listdir('/proc') if p.isdigit()))")
    assert result.output.strip() == "1 ['1']"


def test_the_fallback_still_guards(fallback, tmp_path, monkeypatch):
    assert "turned off" in isolation()
    secret = f"llmeval-secret-{uuid.uuid4().hex}"
    monkeypatch.setenv("LLMEVAL_TEST_SECRET", secret)
    result = run(
        """
        import os
        print(os.environ.get("LLMEVAL_TEST_SECRET"))
        print(open(f"/proc/{os.getppid()}/environ", "rb").read())
        """
    )
    assert result.status == "failed" and secret not in result.output + result.detail
    target = tmp_path / "escaped"
    result = run(f"open({str(target)!r}, 'w').write('x')")
    assert (result.status, result.exception) == ("failed", "PermissionError")
    assert not target.exists()
    for call in ("os.kill(os.getppid(), 9)", "os.killpg(0, 9)", "os.fork()"):
        result = run(f"import os\n{call}")
        assert (result.status, result.exception) == ("failed", "PermissionError"), call
    assert run("while True:\n    pass").status == "timed out"
    assert run("print('fine')").output == "fine\n"
