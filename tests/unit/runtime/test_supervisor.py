"""`wxo serve`'s Supervisor with real child processes: a killed child is started again."""

from __future__ import annotations

import signal
import sys
import time

from wxo.runtime.processes import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def _wait_for_restart(supervisor: Supervisor, restarts: int, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while supervisor.restarts < restarts:
        assert time.monotonic() < deadline, f"still {supervisor.restarts} restarts"
        time.sleep(0.05)


def test_supervisor_restarts_a_killed_child_and_stop_leaves_none() -> None:
    supervisor = Supervisor(SLEEPER, {}, name="sleeper", check_interval=0.05, stable_after=0.0)
    first = supervisor.process
    try:
        assert first.poll() is None
        first.send_signal(signal.SIGKILL)
        _wait_for_restart(supervisor, 1)
        second = supervisor.process
        assert second.pid != first.pid
        assert second.poll() is None
        assert first.poll() == -signal.SIGKILL
    finally:
        supervisor.stop(timeout=5)
    assert supervisor.process.poll() == -signal.SIGTERM
    time.sleep(0.3)  # stopped means stopped: no restart after stop()
    assert supervisor.restarts == 1


def test_a_child_that_keeps_dying_is_restarted_after_growing_pauses() -> None:
    supervisor = Supervisor(
        [sys.executable, "-c", "raise SystemExit(3)"],
        {},
        name="crasher",
        check_interval=0.02,
        max_backoff=0.4,
        stable_after=60.0,
    )
    try:
        started = time.monotonic()
        _wait_for_restart(supervisor, 3, within=20)
        # Pauses of 0.4 s at least (2, 4 capped to 0.4 s) between the three restarts.
        assert time.monotonic() - started >= 1.2
    finally:
        supervisor.stop(timeout=5)
    assert supervisor.process.poll() is not None
