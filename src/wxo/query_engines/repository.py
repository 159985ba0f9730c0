"""Database access of the Query Engine domain (every query names the tenant)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.query_engines.models import QueryEngine, QueryEngineIndex
from wxo.retrieval.models import VectorIndex


async def insert_engine(session: AsyncSession, values: dict[str, Any]) -> QueryEngine:
    """Add an engine row (flushed, not committed)."""
    engine = QueryEngine(**values)
    session.add(engine)
    await session.flush()
    await session.refresh(engine)
    return engine


async def get_engine(
    session: AsyncSession, tenant_id: uuid.UUID, engine_id: uuid.UUID
) -> QueryEngine | None:
    """The tenant's engine, or None."""
    stmt = select(QueryEngine).where(
        QueryEngine.tenant_id == tenant_id, QueryEngine.id == engine_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_engine_by_name(
    session: AsyncSession, tenant_id: uuid.UUID, name: str
) -> QueryEngine | None:
    """The tenant's engine of that name, or None."""
    stmt = select(QueryEngine).where(QueryEngine.tenant_id == tenant_id, QueryEngine.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_engines(
    session: AsyncSession, tenant_id: uuid.UUID, *, name: str | None, limit: int, offset: int
) -> tuple[int, Sequence[QueryEngine]]:
    """A page of the tenant's engines, newest first, and the total."""
    stmt: Select[Any] = select(QueryEngine).where(QueryEngine.tenant_id == tenant_id)
    if name is not None:
        stmt = stmt.where(QueryEngine.name == name)
    counted = select(func.count()).select_from(stmt.subquery())
    total = int((await session.execute(counted)).scalar_one())
    page = stmt.order_by(QueryEngine.created_at.desc(), QueryEngine.id).limit(limit).offset(offset)
    return total, (await session.execute(page)).scalars().all()


async def update_engine(
    session: AsyncSession, engine: QueryEngine, values: dict[str, Any]
) -> QueryEngine:
    """Change an engine's columns; `updated_at` moves."""
    await session.execute(
        update(QueryEngine)
        .where(QueryEngine.id == engine.id)
        .values(**values, updated_at=func.now())
    )
    await session.flush()
    await session.refresh(engine)
    return engine


async def delete_engine(session: AsyncSession, engine: QueryEngine) -> None:
    """Delete an engine (its index links go with it)."""
    await session.execute(delete(QueryEngine).where(QueryEngine.id == engine.id))


async def owned_index_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `ids` are the tenant's vector indices."""
    stmt = select(VectorIndex.id).where(VectorIndex.tenant_id == tenant_id, VectorIndex.id.in_(ids))
    return set((await session.execute(stmt)).scalars().all())


async def set_indices(
    session: AsyncSession, engine_id: uuid.UUID, index_ids: Sequence[uuid.UUID]
) -> None:
    """Make `index_ids` (in this order) the engine's indices."""
    await session.execute(delete(QueryEngineIndex).where(QueryEngineIndex.engine_id == engine_id))
    await session.execute(
        insert(QueryEngineIndex),
        [
            {"engine_id": engine_id, "index_id": index_id, "position": position}
            for position, index_id in enumerate(index_ids)
        ],
    )


async def index_ids_of(
    session: AsyncSession, engine_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each engine's index ids, in order."""
    stmt = (
        select(QueryEngineIndex.engine_id, QueryEngineIndex.index_id)
        .where(QueryEngineIndex.engine_id.in_(engine_ids))
        .order_by(QueryEngineIndex.engine_id, QueryEngineIndex.position)
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for engine_id, index_id in (await session.execute(stmt)).all():
        found[engine_id].append(index_id)
    return found


async def engine_indices(
    session: AsyncSession, tenant_id: uuid.UUID, engine_id: uuid.UUID
) -> list[VectorIndex]:
    """The engine's vector indices, in order (the tenant's only)."""
    stmt = (
        select(VectorIndex)
        .join(QueryEngineIndex, QueryEngineIndex.index_id == VectorIndex.id)
        .where(QueryEngineIndex.engine_id == engine_id, VectorIndex.tenant_id == tenant_id)
        .order_by(QueryEngineIndex.position)
    )
    return list((await session.execute(stmt)).scalars().all())
