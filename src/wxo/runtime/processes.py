"""Child processes of `wxo serve`: started with a parent-death signal, stopped gracefully."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
from collections.abc import Callable

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


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a child that dies with us and ignores the terminal's Ctrl-C (we stop it ourselves)."""
    hook = _die_with_parent()

    def preexec() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if hook is not None:
            hook()

    return subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, preexec_fn=preexec)  # noqa: S603


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
