"""`execute_precompiled(read=True)` on real PostgreSQL: autocommit reads on the pool's connections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import psycopg
import pytest
from psycopg import pq
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.util import greenlet_spawn

from wxo.core.config import Settings
from wxo.core.db import Precompiled, create_engine, execute_precompiled

# What the connection's transaction set (`SET LOCAL`), which backend answered, and a parameter.
_PROBE = Precompiled(
    "SELECT current_setting('application_name'), pg_backend_pid(), %(tag)s::text", {}
)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine whose pool holds a single connection."""
    engine = create_engine(settings.require_database_url(), pool_size=1, max_overflow=0)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _pooled_state(engine: AsyncEngine) -> tuple[bool, pq.TransactionStatus]:
    """The pooled connection's autocommit mode and transaction status."""
    pooled = await engine.raw_connection()
    try:
        driver = cast("psycopg.AsyncConnection[Any]", pooled.driver_connection)
        return driver.autocommit, driver.info.transaction_status
    finally:
        await greenlet_spawn(pooled.close)


async def test_a_read_outside_a_transaction_runs_alone_and_returns_its_connection(
    engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(engine)
    async with sessions() as session:
        rows = await execute_precompiled(session, _PROBE, {"tag": "t"}, read=True)
        assert not session.in_transaction()

    assert rows[0][2] == "t"
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # Given back in the pool's mode, with no transaction left open.
    assert await _pooled_state(engine) == (False, pq.TransactionStatus.IDLE)


async def test_a_read_inside_a_transaction_runs_in_it(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine)
    async with sessions() as session:
        await session.execute(text("SET LOCAL application_name = 'in-the-transaction'"))
        rows = await execute_precompiled(session, _PROBE, {"tag": "t"}, read=True)
        assert session.in_transaction()

    assert rows[0][0] == "in-the-transaction"


async def test_a_connection_the_server_dropped_is_replaced_and_the_read_answers(
    engine: AsyncEngine, settings: Settings
) -> None:
    sessions = async_sessionmaker(engine)
    async with sessions() as session:
        first = await execute_precompiled(session, _PROBE, {"tag": "a"}, read=True)
    dropped = first[0][1]
    admin = create_engine(settings.require_database_url(), pool_size=1, max_overflow=0)
    async with admin.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    await admin.dispose()

    async with sessions() as session:
        again = await execute_precompiled(session, _PROBE, {"tag": "b"}, read=True)

    assert again[0][2] == "b"
    assert again[0][1] != dropped
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
