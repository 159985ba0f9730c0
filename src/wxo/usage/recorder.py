"""Usage accounting off the request path: counts add up in memory and are written in batches."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.core.time import utcnow
from wxo.usage import repository

logger = logging.getLogger(__name__)

_Key = tuple[uuid.UUID, str, date]


@dataclass
class _Counts:
    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0


class UsageRecorder:
    """Accounts Model Proxy calls without making them wait for the database.

    `add` only adds to in-memory counters; a flush, at most `interval` seconds later, writes them
    in one transaction (one upsert per tenant, model and day). Reads of usage flush first, so
    within one process they see every call that has finished. A process that stops flushes on
    `aclose`; one that is killed loses at most `interval` seconds of counts.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], interval: float) -> None:
        """Write through `sessionmaker` every `interval` seconds (0: at once, in the background)."""
        self._sessionmaker = sessionmaker
        self._interval = interval
        self._pending: dict[_Key, _Counts] = {}
        self._task: asyncio.Task[None] | None = None

    def add(
        self,
        *,
        tenant_id: uuid.UUID,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        latency_ms: int,
        error: bool,
    ) -> None:
        """Count one call (never raises, never waits)."""
        counts = self._pending.setdefault((tenant_id, model, utcnow().date()), _Counts())
        counts.requests += 1
        counts.errors += int(error)
        counts.prompt_tokens += prompt_tokens
        counts.completion_tokens += completion_tokens
        counts.latency_ms += latency_ms
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._interval)
        await self.flush()

    async def flush(self) -> None:
        """Write what has been counted so far; failures are logged, not raised.

        Accounting must never fail a call; counts that cannot be written are dropped (with a
        warning) rather than kept growing while the database is away.
        """
        pending, self._pending = self._pending, {}
        if not pending:
            return
        # One order for every writer (no deadlocks between concurrent flushes), and a savepoint
        # per row: a tenant deleted since its call loses its own counts, not everyone's.
        keys = sorted(pending, key=lambda key: (str(key[0]), key[1], key[2]))
        try:
            async with self._sessionmaker() as session:
                for key in keys:
                    await self._write(session, key, pending[key])
                await session.commit()
        except Exception:  # accounting is best effort by design
            logger.warning("could not record model usage of %d model(s)", len(keys), exc_info=True)

    @staticmethod
    async def _write(session: AsyncSession, key: _Key, counts: _Counts) -> None:
        tenant_id, model, day = key
        try:
            async with session.begin_nested():
                await repository.add(
                    session,
                    tenant_id=tenant_id,
                    model=model,
                    day=day,
                    requests=counts.requests,
                    errors=counts.errors,
                    prompt_tokens=counts.prompt_tokens,
                    completion_tokens=counts.completion_tokens,
                    latency_ms=counts.latency_ms,
                )
        except IntegrityError:
            logger.warning("dropped model usage of %s for tenant %s (gone?)", model, tenant_id)

    async def aclose(self) -> None:
        """Stop the pending timer and write what is left."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        await self.flush()
