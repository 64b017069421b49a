"""Runs model-written Python programs (HumanEval, MBPP) in a sandbox, each in a child process of its own.

``sandbox_child.py`` does the isolating: new user, mount, network and PID namespaces with everything but the
program's work directory read-only, resource limits, an audit hook, and a wall clock. This side makes the work
directory, starts the child with a bare environment, waits with a backstop of its own and cleans up after it.
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# The child is stdlib-only and importing it runs nothing: its report reader serves both sides.
from pytest_llmeval.judging.sandbox_child import read_report

CHILD = Path(__file__).with_name("sandbox_child.py")
START_GRACE = 5.0  # seconds past the child's own deadline for interpreter start on a loaded machine
NAMESPACES_ENV = "LLMEVAL_SANDBOX_NAMESPACES"  # "0" skips the namespaces, for hosts where they misbehave
STATUSES = ("passed", "failed", "timed out", "killed")


@dataclass(frozen=True, slots=True)
class Limits:
    """What one program may use; the defaults fit the reference evaluators' 3 s and any plain solution."""

    seconds: float = 3.0
    memory: int = 1 << 30  # address space, bytes: a program starts in about 20 MiB of it, 100 with numpy
    file_size: int = 16 << 20  # largest single file the program may write, bytes
    processes: int = 32  # processes it may add; the kernel never enforces this for root
    output: int = 64 << 10  # bytes of stdout and stderr kept

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise ValueError(f"Limits.seconds must be positive, not {self.seconds!r}")
        for name in ("memory", "file_size", "processes", "output"):
            if getattr(self, name) < 0:
                raise ValueError(f"Limits.{name} must not be negative, not {getattr(self, name)!r}")


@dataclass(frozen=True, slots=True)
class Run:
    """How one program ended."""

    status: str  # "passed" | "failed" | "timed out" | "killed"
    exception: str  # the exception's type name when failed ("AssertionError", "SyntaxError", "SystemExit"), else ""
    detail: str  # the exception's last line; for killed "signal SIGKILL" or "exit 0 without a report"
    output: str  # the program's stdout and stderr, the first Limits.output bytes, undecodable bytes replaced
    seconds: float  # wall-clock time of the whole run, interpreter start included


def run_program(source: str, limits: Limits = Limits()) -> Run:
    """Runs one program in the sandbox and says how it ended."""
    return _execute(source, limits)[0]


def run_programs(sources: Sequence[str], limits: Limits = Limits(), workers: int | None = None) -> list[Run]:
    """Runs programs in parallel, ``workers`` at a time (default: ``default_workers()``); results in input order."""
    if not sources:
        return []
    count = max(1, min(workers or default_workers(), len(sources)))
    with concurrent.futures.ThreadPoolExecutor(count, thread_name_prefix="llmeval-code") as pool:
        return list(pool.map(functools.partial(run_program, limits=limits), sources))


def default_workers() -> int:
    """The cores this process may use, shared out among the xdist workers of the session; at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        shares = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    except ValueError:
        shares = 1
    return max(1, cores // max(shares, 1))


@functools.cache
def isolation() -> str:
    """Why programs do not run in user, mount, network and PID namespaces of their own; "" when they do."""
    return _execute("", Limits())[1]


def _execute(source: str, limits: Limits) -> tuple[Run, str]:
    """One run: the Run and the sandbox's note on its isolation ("" when complete)."""
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="llmeval-code-")
    try:
        # Lone surrogates survive the trip and make the program fail to compile there, not this call fail here.
        Path(work, "program.py").write_bytes(source.encode("utf-8", errors="surrogatepass"))
        report = _supervise(work, limits)
        output = _read_output(Path(work, "output"), limits.output)
    finally:
        _discard(work)
    run = Run(
        status=report["status"],
        exception=report["exception"],
        detail=report["detail"],
        output=output,
        seconds=time.monotonic() - started,
    )
    return run, report["isolation"]


def _command(work: str, limits: Limits, report_fd: int) -> list[str]:
    command = [sys.executable, "-I", "-B", str(CHILD), work]
    command += ["--seconds", repr(float(limits.seconds)), "--memory", str(limits.memory)]
    command += ["--file-size", str(limits.file_size), "--processes", str(limits.processes)]
    command += ["--output", str(limits.output), "--report-fd", str(report_fd)]
    if os.environ.get(NAMESPACES_ENV, "").strip() == "0":
        command.append("--no-namespaces")
    return command


def _environment(work: str) -> dict[str, str]:
    """All the child inherits: no API keys, tokens or proxies of this process reach the program."""
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": work,
        "TMPDIR": work,
        "PYTHONDONTWRITEBYTECODE": "1",
        # One thread for numerical libraries, as the reference evaluator sets: pools reserve address space per core.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def _supervise(work: str, limits: Limits) -> dict[str, str]:
    """Starts the child, waits for it with a backstop and returns its report; it never outlives this call."""
    read_end, write_end = os.pipe()
    try:
        try:
            process = subprocess.Popen(
                _command(work, limits, write_end),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                pass_fds=(write_end,),
                start_new_session=True,
                env=_environment(work),
                cwd=work,
            )
        finally:
            os.close(write_end)
        try:
            # The report is one short line written as the child ends: the pipe holds it until it is read.
            process.wait(timeout=limits.seconds + START_GRACE)
        except subprocess.TimeoutExpired:
            return _report(None, "timed out", "the sandbox did not finish in time; killed")
        finally:
            if process.poll() is None:
                _kill_group(process.pid)
                process.wait()
        return _report(read_report(read_end), "killed", f"the sandbox ended without a report ({_ending(process)})")
    finally:
        os.close(read_end)


def _report(report: dict[str, str] | None, status: str, detail: str) -> dict[str, str]:
    """The child's report when it holds a known status; the given status and detail when there is none."""
    if report is not None and report.get("status") in STATUSES:
        return {key: report.get(key, "") for key in ("status", "exception", "detail", "isolation")}
    return {"status": status, "exception": "", "detail": detail, "isolation": "the sandbox did not report"}


def _ending(process: subprocess.Popen) -> str:
    code = process.returncode
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit {code}"


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass  # already gone


def _read_output(path: Path, cap: int) -> str:
    """The first ``cap`` bytes of the program's output file; never follows a link or blocks on a FIFO it made."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        data = b""
        while len(data) < cap:
            chunk = os.read(fd, cap - len(data))
            if not chunk:
                break
            data += chunk
        return data.decode("utf-8", errors="replace")
    finally:
        os.close(fd)


def _discard(work: str) -> None:
    """Removes the work directory, even where the program took the permissions away from its files."""

    def unlock(function, path, _error) -> None:
        for directory in (os.path.dirname(path), path):
            try:
                if os.path.isdir(directory) and not os.path.islink(directory):
                    os.chmod(directory, stat.S_IRWXU)
            except OSError:
                pass
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)  # a listing that failed: start this directory again, unlocked
            return
        try:
            function(path)
        except FileNotFoundError:
            pass

    handler = {"onexc": unlock} if sys.version_info >= (3, 12) else {"onerror": unlock}
    try:
        shutil.rmtree(work, **handler)
    except (OSError, RecursionError):
        pass
    if os.path.lexists(work):  # deeper than rmtree recurses, or locked in some other way: the tools' turn
        subprocess.run(["chmod", "-R", "u+rwx", work], check=False, capture_output=True)
        subprocess.run(["rm", "-rf", work], check=False, capture_output=True)
