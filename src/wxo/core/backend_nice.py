"""A PostgreSQL backend of this machine, reniced to its client's level (see `create_engine`)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def renice_local_backend(pid: int, host: str, nice: int) -> bool:
    """Give a PostgreSQL backend on this machine the `nice` level, it and its autogroup.

    Each backend leads a session of its own, so it competes for the CPU as one autogroup of
    its own, at the API's level, whatever its client's nice. Only a backend reached through a
    Unix socket (`host` is the socket's directory) is this machine's, and only a process
    whose command line says `postgres` is one. Returns whether the backend was reniced; a
    backend this user may not renice (another user's, without the right) stays as it is.
    """
    if not host.startswith("/"):
        return False
    try:
        if not Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"postgres"):
            return False
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    except OSError:
        return False
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(f"{nice}\n")
    return True
