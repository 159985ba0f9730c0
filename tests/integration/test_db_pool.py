"""The engine's connection pool on real PostgreSQL: connections go to waiters in arrival order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from wxo.core.config import Settings
from wxo.core.db import create_engine


@pytest.fixture
async def one_connection(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine whose pool holds a single connection (no overflow) and waits 1 s at most."""
    engine = create_engine(settings.require_database_url(), pool_size=1, max_overflow=0)
    engine.pool._timeout = 1.0  # type: ignore[attr-defined]
    try:
        yield engine
    finally:
        await engine.dispose()


async def _queue_up(engine: AsyncEngine, name: str, order: list[str]) -> None:
    async with engine.connect() as connection:
        order.append(name)
        await connection.execute(text("SELECT 1"))


async def test_a_returned_connection_goes_to_the_oldest_waiter_not_to_a_new_request(
    one_connection: AsyncEngine,
) -> None:
    order: list[str] = []
    holder = await one_connection.connect()
    waiters = []
    for n in range(4):
        waiters.append(asyncio.create_task(_queue_up(one_connection, f"waiter-{n}", order)))
        await asyncio.sleep(0.02)  # each is queued before the next one asks
    # The holder gives its connection back and at once asks for one again, without yielding
    # to the event loop: with asyncio.Queue's wake-up it took the connection straight back.
    await holder.close()
    async with one_connection.connect() as again:
        order.append("holder-again")
        await again.execute(text("SELECT 1"))
    await asyncio.gather(*waiters)

    assert order == ["waiter-0", "waiter-1", "waiter-2", "waiter-3", "holder-again"]
    assert one_connection.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_waiter_that_times_out_gets_an_error_and_loses_no_connection(
    one_connection: AsyncEngine,
) -> None:
    holder = await one_connection.connect()
    with pytest.raises(exc.TimeoutError):
        await one_connection.connect()
    await holder.close()

    # The timed-out waiter left no trace: the connection is handed to the next caller at once.
    async with one_connection.connect() as connection:
        assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    assert one_connection.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_cancelled_waiter_passes_its_turn_on(one_connection: AsyncEngine) -> None:
    order: list[str] = []
    holder = await one_connection.connect()
    cancelled = asyncio.create_task(_queue_up(one_connection, "cancelled", order))
    await asyncio.sleep(0.02)
    second = asyncio.create_task(_queue_up(one_connection, "second", order))
    await asyncio.sleep(0.02)
    cancelled.cancel()
    await holder.close()
    await asyncio.wait_for(second, timeout=5)

    assert order == ["second"]
    assert cancelled.cancelled()
    assert one_connection.pool.checkedout() == 0  # type: ignore[attr-defined]
