"""Agent queries (never commit)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.agents.models import Agent


async def get(session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID) -> Agent | None:
    """The tenant's agent with this id."""
    result = await session.execute(
        select(Agent).where(Agent.tenant_id == tenant_id, Agent.id == agent_id)
    )
    return result.scalar_one_or_none()


async def get_by_name(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> Agent | None:
    """The tenant's agent with this name."""
    result = await session.execute(
        select(Agent).where(Agent.tenant_id == tenant_id, Agent.name == name)
    )
    return result.scalar_one_or_none()


async def list_agents(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    names: Sequence[str],
    ids: Sequence[uuid.UUID],
    include_hidden: bool,
    limit: int,
    offset: int,
) -> Sequence[Agent]:
    """The tenant's agents, oldest first, optionally only these names and/or ids.

    Hidden agents (`extra.hidden` is true) are left out unless `include_hidden`.
    """
    query = select(Agent).where(Agent.tenant_id == tenant_id)
    if not include_hidden:
        hidden = Agent.extra["hidden"].astext
        query = query.where(or_(hidden.is_(None), hidden != "true"))
    if names:
        query = query.where(Agent.name.in_(list(names)))
    if ids:
        query = query.where(Agent.id.in_(list(ids)))
    query = query.order_by(Agent.created_at, Agent.id).limit(limit).offset(offset)
    return (await session.execute(query)).scalars().all()


async def referencing(
    session: AsyncSession, tenant_id: uuid.UUID, column: str, target_id: uuid.UUID
) -> Sequence[Agent]:
    """The tenant's agents whose JSONB id array `column` holds `target_id`."""
    array = getattr(Agent, column)
    query = (
        select(Agent)
        .where(Agent.tenant_id == tenant_id, array.contains([str(target_id)]))
        .order_by(Agent.name)
    )
    return (await session.execute(query)).scalars().all()


async def insert(session: AsyncSession, *, tenant_id: uuid.UUID, values: dict[str, Any]) -> Agent:
    """Add an agent and flush (the id is set by the application)."""
    # The statement's clock, not the transaction's: creation order stays listable.
    agent = Agent(tenant_id=tenant_id, created_at=func.clock_timestamp(), **values)
    session.add(agent)
    await session.flush()
    await session.refresh(agent)
    return agent


async def update_agent(session: AsyncSession, agent: Agent, changes: dict[str, Any]) -> Agent:
    """Apply changes and bump `updated_at`."""
    if changes:
        await session.execute(
            update(Agent)
            .where(Agent.id == agent.id)
            .values(**changes, updated_at=func.clock_timestamp())
        )
        await session.flush()
        await session.refresh(agent)
    return agent


async def delete(session: AsyncSession, agent: Agent) -> None:
    """Delete an agent."""
    await session.delete(agent)
    await session.flush()
