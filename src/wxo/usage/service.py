"""Record and read Model Proxy usage."""

from __future__ import annotations

import logging
import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.core.time import utcnow
from wxo.usage import repository
from wxo.usage.schemas import UsagePage, UsageRead

logger = logging.getLogger(__name__)


async def record(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    tenant_id: uuid.UUID,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    latency_ms: int,
    error: bool,
) -> None:
    """Add one call to today's counters in its own transaction; failures are logged, not raised.

    Accounting must never fail the call it accounts for.
    """
    try:
        async with sessionmaker() as session:
            await repository.add(
                session,
                tenant_id=tenant_id,
                model=model,
                day=utcnow().date(),
                errors=int(error),
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                latency_ms=latency_ms,
            )
            await session.commit()
    except Exception:  # accounting is best effort by design
        logger.warning("could not record model usage for %s", model, exc_info=True)


async def list_usage(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    model: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> UsagePage:
    """The tenant's usage, newest day first."""
    total, rows = await repository.list_usage(
        session,
        tenant_id=tenant_id,
        model=model,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return UsagePage(total=total, limit=limit, offset=offset, data=[UsageRead.of(r) for r in rows])
