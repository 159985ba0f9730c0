"""The embedded PostgreSQL server: its memory for shared buffers follows the setting."""

from __future__ import annotations

from pathlib import Path

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from wxo.runtime.embedded import EmbeddedPostgres, default_shared_buffers_mb, machine_memory


async def test_the_session_server_runs_with_this_machines_shared_buffers(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        value = (await conn.execute(text("SHOW shared_buffers"))).scalar_one()
    assert value == f"{default_shared_buffers_mb(machine_memory())}MB"


def test_a_configured_size_restarts_a_new_server_once_with_it(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path, shared_buffers_mb=160)
    uri = server.start()
    try:
        with psycopg.connect(uri) as conn:
            value = conn.execute("SHOW shared_buffers").fetchone()
    finally:
        server.stop()
    assert value == ("160MB",)
    auto = (tmp_path / "postgres" / "postgresql.auto.conf").read_text()
    assert "shared_buffers = '160MB'" in auto  # kept for the next start, which needs no restart
