"""Ctrl-C is remembered as well as raised, so that an interrupted run never exits 0.

Python turns SIGINT into a KeyboardInterrupt at the next bytecode the main thread runs. When that bytecode
belongs to a ``__del__`` method or a weakref or garbage-collector callback (torch, transformers and the standard
library run many while a model generates), the exception is printed as "Exception ignored in …" and dropped:
the run carries on as if nothing happened and can finish with exit status 0. The handler here notes the signal
before it raises, so the end of the run can tell, whatever happened to the exception.

A Ctrl-C while the run is being summarised (the table, the files, a webhook) would otherwise escape pytest's own
handling, which covers only the tests: the process would die of the signal with a traceback. Here it ends the
summary and the run exits 2 like any other interrupted run (every file is written atomically, so none is left
half-written).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Generator
from types import FrameType
from typing import Any

import pytest

INTERRUPTED = "interrupted (SIGINT, Ctrl-C): the run does not count as passed, whatever finished"
SUMMARY_CUT = (
    f"{INTERRUPTED}; it came while the run was being summarised, so the table and summary files may be missing: "
    "the predictions of every finished subject are on disk, and a re-run with the result cache (the default) "
    "summarises them without generating again"
)


class InterruptGuard:
    """A pytest plugin for the controller process: wraps its SIGINT handler while the run is on, and turns a
    run that saw SIGINT into exit status 2, unless a gate had failed (exit 1 then, as for any failed gate).

    ``gate_failed`` tells the two apart: an item that failed only because the interrupt cut into it (a model load
    cut short, say) still makes the run an interrupted one.
    """

    def __init__(self, gate_failed: Callable[[], bool] = lambda: False) -> None:
        self.gate_failed = gate_failed
        self.seen = False
        self.session: pytest.Session | None = None
        self._previous: Any = None
        self._installed = False

    def install(self) -> None:
        # Signal handlers belong to the main thread; an ignored or default (terminating) SIGINT is the
        # user's choice, and is left alone.
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGINT)
        if not callable(previous):
            return
        self._previous = previous
        signal.signal(signal.SIGINT, self._handle)
        self._installed = True

    def uninstall(self) -> None:
        if self._installed and signal.getsignal(signal.SIGINT) == self._handle:
            signal.signal(signal.SIGINT, self._previous)
        self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.seen = True  # first: the raise below may be swallowed
        self._previous(signum, frame)  # Python's own handler raises KeyboardInterrupt

    def _settle(self) -> None:
        if not self.seen or self.session is None:
            return
        status = self.session.exitstatus
        if status == pytest.ExitCode.OK or (status == pytest.ExitCode.TESTS_FAILED and not self.gate_failed()):
            self.session.exitstatus = pytest.ExitCode.INTERRUPTED

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    def _guarded(self, config: pytest.Config, line: str) -> Generator[None, Any, Any]:
        """The body of both wrappers: an interrupt inside the hook ends it with ``line``, and the status settles."""
        try:
            return (yield)
        except KeyboardInterrupt:
            self.seen = True
            _say(config, line)
            return None
        finally:
            self._settle()

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, Any, Any]:
        return (yield from self._guarded(session.config, SUMMARY_CUT))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> Generator[None, Any, Any]:
        # The last moment the exit status can change: wrap_session returns it after unconfiguring.
        try:
            return (
                yield from self._guarded(config, f"{INTERRUPTED} (it came as pytest was closing, after the summary)")
            )
        finally:
            self.uninstall()


def _say(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"llmeval: {line}", red=True, bold=True)
    else:
        sys.stderr.write(f"llmeval: {line}\n")
