"""Usage counter queries. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.usage.models import ModelUsage


async def add(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    model: str,
    day: date,
    requests: int,
    errors: int,
    prompt_tokens: int,
    completion_tokens: int,
    latency_ms: int,
) -> None:
    """Add `requests` calls to the day's counters (an upsert, safe under concurrency)."""
    stmt = pg_insert(ModelUsage).values(
        tenant_id=tenant_id,
        model=model,
        day=day,
        requests=requests,
        errors=errors,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        latency_ms_total=latency_ms,
    )
    excluded = stmt.excluded
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ModelUsage.tenant_id, ModelUsage.model, ModelUsage.day],
            set_={
                "requests": ModelUsage.requests + excluded.requests,
                "errors": ModelUsage.errors + excluded.errors,
                "prompt_tokens": ModelUsage.prompt_tokens + excluded.prompt_tokens,
                "completion_tokens": ModelUsage.completion_tokens + excluded.completion_tokens,
                "latency_ms_total": ModelUsage.latency_ms_total + excluded.latency_ms_total,
            },
        )
    )


async def list_usage(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    model: str | None,
    since: date | None,
    until: date | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[ModelUsage]]:
    """The tenant's counters, newest day first, and how many rows match."""
    conditions = [ModelUsage.tenant_id == tenant_id]
    if model is not None:
        conditions.append(ModelUsage.model == model)
    if since is not None:
        conditions.append(ModelUsage.day >= since)
    if until is not None:
        conditions.append(ModelUsage.day <= until)
    total = (
        await session.execute(select(func.count()).select_from(ModelUsage).where(*conditions))
    ).scalar_one()
    rows = (
        await session.scalars(
            select(ModelUsage)
            .where(*conditions)
            .order_by(ModelUsage.day.desc(), ModelUsage.model)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return int(total), rows
