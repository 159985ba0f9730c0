"""External chat agent queries (never commit: the service does)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.external_agents.models import ExternalChatAgent


def _stamped(values: dict[str, Any]) -> dict[str, Any]:
    now = func.statement_timestamp()
    return {**values, "created_at": now, "updated_at": now}


async def insert(
    session: AsyncSession, tenant_id: uuid.UUID, values: dict[str, Any]
) -> ExternalChatAgent:
    """Add an agent (flushes: a duplicate name raises IntegrityError here).

    Stamped with the statement's time, not the transaction's: agents made in one transaction
    keep their order in lists.
    """
    row = ExternalChatAgent(tenant_id=tenant_id, **_stamped(values))
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID
) -> ExternalChatAgent | None:
    """The tenant's agent with this id."""
    return await session.scalar(
        select(ExternalChatAgent).where(
            ExternalChatAgent.tenant_id == tenant_id, ExternalChatAgent.id == agent_id
        )
    )


async def list_agents(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    include_hidden: bool,
    ids: Sequence[uuid.UUID] | None = None,
    names: Sequence[str] | None = None,
) -> Sequence[ExternalChatAgent]:
    """The tenant's agents, oldest first, filtered."""
    query = select(ExternalChatAgent).where(ExternalChatAgent.tenant_id == tenant_id)
    if not include_hidden:
        query = query.where(ExternalChatAgent.hidden.is_(False))
    if ids:
        query = query.where(ExternalChatAgent.id.in_(ids))
    if names:
        query = query.where(ExternalChatAgent.name.in_(names))
    rows = await session.scalars(query.order_by(ExternalChatAgent.created_at, ExternalChatAgent.id))
    return rows.all()


async def update_agent(
    session: AsyncSession, row: ExternalChatAgent, changes: dict[str, Any]
) -> ExternalChatAgent:
    """Apply `changes` (flushes: a duplicate name raises IntegrityError here)."""
    await session.execute(
        update(ExternalChatAgent)
        .where(ExternalChatAgent.id == row.id)
        .values(**changes, updated_at=func.statement_timestamp())
    )
    await session.refresh(row)
    return row


async def delete_agent(session: AsyncSession, row: ExternalChatAgent) -> None:
    """Remove the agent."""
    await session.execute(delete(ExternalChatAgent).where(ExternalChatAgent.id == row.id))
