"""A worker's database backends run at the worker's nice level; the API's keep theirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from wxo.core.config import Settings
from wxo.core.db import create_engine


def _parent_pid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1])


def _autogroup_nice(pid: int) -> int | None:
    path = Path(f"/proc/{pid}/autogroup")  # "/autogroup-123 nice 7"; absent without autogroups
    return int(path.read_text().split()[-1]) if path.exists() else None


@pytest.mark.parametrize("backend_nice", [0, 7])
async def test_an_engine_gives_its_local_backends_its_nice_level(
    settings: Settings, backend_nice: int
) -> None:
    engine = create_engine(
        settings.require_database_url(), pool_size=1, max_overflow=0, backend_nice=backend_nice
    )
    try:
        async with engine.connect() as connection:
            pid = int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            nice = os.getpriority(os.PRIO_PROCESS, pid)
            postmaster_nice = os.getpriority(os.PRIO_PROCESS, _parent_pid(pid))
            autogroup = _autogroup_nice(pid)
    finally:
        await engine.dispose()

    if backend_nice:
        assert nice == backend_nice
        assert autogroup in (None, backend_nice)
    else:  # the API's engine leaves its backends as PostgreSQL started them
        assert nice == postmaster_nice
        assert autogroup in (None, 0)
