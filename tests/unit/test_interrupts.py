"""The exit status of a run that saw SIGINT: 2, or 1 when a gate had failed; never 0."""

from __future__ import annotations

import os
import signal
from types import SimpleNamespace

import pytest

from pytest_llmeval.collection.interrupts import InterruptGuard

OK, FAILED, INTERRUPTED = pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.INTERRUPTED


@pytest.mark.parametrize(
    ("status", "gate_failed", "settled"),
    [(OK, False, INTERRUPTED), (FAILED, False, INTERRUPTED), (FAILED, True, FAILED), (INTERRUPTED, False, INTERRUPTED)],
)
def test_a_seen_interrupt_settles_the_exit_status(status, gate_failed, settled):
    guard = InterruptGuard(lambda: gate_failed)
    guard.session = SimpleNamespace(exitstatus=status)
    guard.seen = True
    guard._settle()
    assert guard.session.exitstatus == settled


def test_no_interrupt_changes_nothing():
    guard = InterruptGuard()
    guard.session = SimpleNamespace(exitstatus=OK)
    guard._settle()
    assert guard.session.exitstatus == OK


def test_the_signal_is_noted_before_it_is_raised_and_the_handler_put_back():
    before = signal.getsignal(signal.SIGINT)
    guard = InterruptGuard()
    guard.install()
    try:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            signal.sigtimedwait([], 0.5)  # a bytecode boundary for the handler to run at
        assert guard.seen
    finally:
        guard.uninstall()
    assert signal.getsignal(signal.SIGINT) is before
