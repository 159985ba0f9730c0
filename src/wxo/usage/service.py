"""Record and read Model Proxy usage."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.usage import repository
from wxo.usage.schemas import UsagePage, UsageRead


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
