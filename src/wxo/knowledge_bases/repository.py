"""Knowledge base queries (never commit)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.knowledge_bases.models import KnowledgeBase


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, kb_id: uuid.UUID
) -> KnowledgeBase | None:
    """The tenant's knowledge base with this id."""
    result = await session.execute(
        select(KnowledgeBase).where(KnowledgeBase.tenant_id == tenant_id, KnowledgeBase.id == kb_id)
    )
    return result.scalar_one_or_none()


async def get_by_name(
    session: AsyncSession, tenant_id: uuid.UUID, name: str
) -> KnowledgeBase | None:
    """The tenant's knowledge base with this name."""
    result = await session.execute(
        select(KnowledgeBase).where(
            KnowledgeBase.tenant_id == tenant_id, KnowledgeBase.name == name
        )
    )
    return result.scalar_one_or_none()


async def list_knowledge_bases(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    names: Sequence[str],
    ids: Sequence[uuid.UUID],
    limit: int,
    offset: int,
) -> Sequence[KnowledgeBase]:
    """The tenant's knowledge bases, oldest first, optionally only these names and/or ids."""
    query = select(KnowledgeBase).where(KnowledgeBase.tenant_id == tenant_id)
    if names:
        query = query.where(KnowledgeBase.name.in_(list(names)))
    if ids:
        query = query.where(KnowledgeBase.id.in_(list(ids)))
    query = query.order_by(KnowledgeBase.created_at, KnowledgeBase.id).limit(limit).offset(offset)
    return (await session.execute(query)).scalars().all()


async def existing_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these ids are knowledge bases of the tenant."""
    if not ids:
        return set()
    result = await session.execute(
        select(KnowledgeBase.id).where(
            KnowledgeBase.tenant_id == tenant_id, KnowledgeBase.id.in_(list(ids))
        )
    )
    return set(result.scalars().all())


async def insert(
    session: AsyncSession, *, tenant_id: uuid.UUID, values: dict[str, Any]
) -> KnowledgeBase:
    """Add a knowledge base and flush."""
    # The statement's clock, not the transaction's: creation order stays listable.
    kb = KnowledgeBase(tenant_id=tenant_id, created_at=func.clock_timestamp(), **values)
    session.add(kb)
    await session.flush()
    await session.refresh(kb)
    return kb


async def update_kb(
    session: AsyncSession, kb: KnowledgeBase, changes: dict[str, Any]
) -> KnowledgeBase:
    """Apply changes and bump `updated_at`."""
    if changes:
        await session.execute(
            update(KnowledgeBase)
            .where(KnowledgeBase.id == kb.id)
            .values(**changes, updated_at=func.clock_timestamp())
        )
        await session.flush()
        await session.refresh(kb)
    return kb
