"""Child processes of `wxo serve`: started with a parent-death signal, stopped gracefully."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child when its parent dies (no strays)."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return None
    libc = ctypes.CDLL(libc_name, use_errno=True)

    def hook() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when its parent dies (for children we do not exec)."""
    parent = os.getppid()
    hook = _die_with_parent()
    if hook is not None:
        hook()
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def own_session() -> None:
    """Move this process into a new session, so that it gets a CPU share of its own.

    With Linux's autogroup scheduling (on by default in many kernels, and on the machines we
    benchmark on) the CPU is first shared fairly between sessions. PostgreSQL starts a session
    for every backend, so while the API processes shared the session of `wxo serve` (and of the
    terminal), each busy backend weighed as much as all of them together: under load the API
    processes waited behind the backends serving their own queries (`GET .../messages` p99 98
    against 68 ms with a session each, bench/threads.py). Elsewhere this changes nothing.
    A session leader (a process started from a shell script, say) stays where it is.
    """
    with contextlib.suppress(PermissionError):
        os.setsid()


def set_session_nice(nice: int) -> None:
    """Give this process's autogroup the `nice` level, when the process leads its own session.

    Under autogroup scheduling a process's own `nice` only ranks it within its session; this
    ranks the whole session against the others (the API processes', PostgreSQL's backends').
    Nothing happens for a process that shares a session, such as a worker run from a terminal
    (it would renice the terminal's shell too), or where the kernel has no autogroups.
    """
    if os.getsid(0) != os.getpid():
        return
    with contextlib.suppress(OSError):
        Path("/proc/self/autogroup").write_text(f"{nice}\n")


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a child that dies with us, in a session of its own (see `own_session`).

    It is out of the terminal's process group, so the terminal's Ctrl-C does not reach it:
    we stop it ourselves.
    """
    hook = _die_with_parent()

    def preexec() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if hook is not None:
            hook()

    return subprocess.Popen(  # noqa: S603
        args, env=env, stdin=subprocess.DEVNULL, preexec_fn=preexec, start_new_session=True
    )


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, wait up to `timeout`, then SIGKILL."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Supervisor:
    """Keeps one child running: a child that exits (killed, crashed) is started again until `stop`.

    A child that dies soon after its start is restarted after a growing pause (1 s doubling up
    to `max_backoff`), so a child that cannot start does not spin.
    """

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        *,
        name: str,
        check_interval: float = 0.5,
        max_backoff: float = 30.0,
        stable_after: float = 10.0,
    ) -> None:
        """Start the child and a daemon thread watching it."""
        self._args = args
        self._env = env
        self._name = name
        self._check_interval = check_interval
        self._max_backoff = max_backoff
        self._stable_after = stable_after
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.restarts = 0
        self.process = spawn(args, env)
        self._started_at = time.monotonic()
        self._thread = threading.Thread(target=self._watch, name=f"supervise-{name}", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        backoff = 1.0
        while not self._stopping.wait(self._check_interval):
            code = self.process.poll()
            if code is None:
                continue
            lived = time.monotonic() - self._started_at
            backoff = 1.0 if lived >= self._stable_after else min(backoff * 2, self._max_backoff)
            pause = 0.0 if lived >= self._stable_after else backoff
            logger.warning(
                "%s exited with code %s after %.1f s; starting it again in %.1f s",
                self._name,
                code,
                lived,
                pause,
            )
            if self._stopping.wait(pause):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self.process = spawn(self._args, self._env)
                self._started_at = time.monotonic()
                self.restarts += 1

    def stop(self, timeout: float = 15.0) -> None:
        """Stop watching, then stop the child (SIGTERM, SIGKILL after `timeout`)."""
        self._stopping.set()
        with self._lock:
            stop(self.process, timeout)
        self._thread.join(timeout)
