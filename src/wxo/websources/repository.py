"""Web source, schedule and refresh run queries. They take a session first and never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.documents.models import Document, DocumentCollection
from wxo.retrieval.models import VectorIndexCollection
from wxo.websources.models import (
    ACTIVE_STATUSES,
    RefreshRun,
    RefreshSchedule,
    RunStatus,
    WebSource,
)

# --- web sources ------------------------------------------------------------------------------


async def get_web_source(
    session: AsyncSession, tenant_id: uuid.UUID, collection_id: uuid.UUID
) -> WebSource | None:
    """The collection's web source, or None."""
    stmt = select(WebSource).where(
        WebSource.tenant_id == tenant_id, WebSource.collection_id == collection_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def upsert_web_source(
    session: AsyncSession, tenant_id: uuid.UUID, collection_id: uuid.UUID, values: dict[str, Any]
) -> WebSource:
    """Create or replace the collection's web source."""
    stmt = (
        insert(WebSource)
        .values(id=uuid.uuid4(), tenant_id=tenant_id, collection_id=collection_id, **values)
        .on_conflict_do_update(
            index_elements=[WebSource.collection_id], set_={**values, "updated_at": func.now()}
        )
        .returning(WebSource)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


async def delete_web_source(session: AsyncSession, source: WebSource) -> None:
    """Delete the web source row."""
    await session.execute(delete(WebSource).where(WebSource.id == source.id))


# --- schedules --------------------------------------------------------------------------------


async def get_schedule(
    session: AsyncSession, tenant_id: uuid.UUID, owner_kind: str, owner_id: uuid.UUID
) -> RefreshSchedule | None:
    """The owner's schedule, or None."""
    stmt = select(RefreshSchedule).where(
        RefreshSchedule.tenant_id == tenant_id,
        RefreshSchedule.owner_kind == owner_kind,
        RefreshSchedule.owner_id == owner_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def schedule_crons(
    session: AsyncSession, tenant_id: uuid.UUID, owner_kind: str, owner_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The cron of each owner that has a schedule, by owner id."""
    if not owner_ids:
        return {}
    stmt = select(RefreshSchedule.owner_id, RefreshSchedule.cron).where(
        RefreshSchedule.tenant_id == tenant_id,
        RefreshSchedule.owner_kind == owner_kind,
        RefreshSchedule.owner_id.in_(owner_ids),
    )
    return {row.owner_id: row.cron for row in await session.execute(stmt)}


async def upsert_schedule(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    owner_kind: str,
    owner_id: uuid.UUID,
    values: dict[str, Any],
) -> None:
    """Create or replace the owner's schedule."""
    stmt = (
        insert(RefreshSchedule)
        .values(
            id=uuid.uuid4(), tenant_id=tenant_id, owner_kind=owner_kind, owner_id=owner_id, **values
        )
        .on_conflict_do_update(
            index_elements=[RefreshSchedule.owner_kind, RefreshSchedule.owner_id],
            set_={**values, "updated_at": func.now()},
        )
    )
    await session.execute(stmt)


async def delete_schedule(
    session: AsyncSession, tenant_id: uuid.UUID, owner_kind: str, owner_id: uuid.UUID
) -> None:
    """Delete the owner's schedule, if any."""
    await session.execute(
        delete(RefreshSchedule).where(
            RefreshSchedule.tenant_id == tenant_id,
            RefreshSchedule.owner_kind == owner_kind,
            RefreshSchedule.owner_id == owner_id,
        )
    )


async def claim_due_schedules(
    session: AsyncSession, now: datetime, limit: int
) -> Sequence[RefreshSchedule]:
    """Enabled schedules due at `now`, locked; rows another transaction holds are skipped."""
    stmt = (
        select(RefreshSchedule)
        .where(RefreshSchedule.enabled.is_(True), RefreshSchedule.next_run_at <= now)
        .order_by(RefreshSchedule.next_run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalars().all()


async def existing_collections(
    session: AsyncSession, tenant_id: uuid.UUID, collection_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Those of `collection_ids` that still exist in the tenant."""
    if not collection_ids:
        return []
    stmt = select(DocumentCollection.id).where(
        DocumentCollection.tenant_id == tenant_id,
        DocumentCollection.id.in_(list(collection_ids)),
    )
    return list((await session.execute(stmt)).scalars().all())


async def collections_of_indices(
    session: AsyncSession, tenant_id: uuid.UUID, index_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """The tenant's collections attached to any of these vector indices."""
    if not index_ids:
        return []
    stmt = (
        select(VectorIndexCollection.collection_id)
        .join(DocumentCollection, DocumentCollection.id == VectorIndexCollection.collection_id)
        .where(
            DocumentCollection.tenant_id == tenant_id,
            VectorIndexCollection.index_id.in_(list(index_ids)),
        )
        .distinct()
    )
    return list((await session.execute(stmt)).scalars().all())


# --- runs -------------------------------------------------------------------------------------


async def active_run(session: AsyncSession, collection_id: uuid.UUID) -> RefreshRun | None:
    """The collection's queued or running refresh, or None."""
    stmt = select(RefreshRun).where(
        RefreshRun.collection_id == collection_id, RefreshRun.status.in_(ACTIVE_STATUSES)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_run(
    session: AsyncSession, *, tenant_id: uuid.UUID, collection_id: uuid.UUID, values: dict[str, Any]
) -> tuple[RefreshRun, bool]:
    """A new queued run, or the collection's active one: (run, created)."""
    stmt = (
        insert(RefreshRun)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            collection_id=collection_id,
            status=RunStatus.QUEUED.value,
            **values,
        )
        .on_conflict_do_nothing(
            index_elements=[RefreshRun.collection_id],
            index_where=RefreshRun.status.in_(ACTIVE_STATUSES),
        )
        .returning(RefreshRun.id)
    )
    new_id = (await session.execute(stmt)).scalar_one_or_none()
    if new_id is not None:
        run = await session.get(RefreshRun, new_id)
        assert run is not None  # noqa: S101 - inserted just now
        return run, True
    existing = await active_run(session, collection_id)
    if existing is None:  # it finished between the two statements: try once more
        return await insert_run(
            session, tenant_id=tenant_id, collection_id=collection_id, values=values
        )
    return existing, False


async def get_run(
    session: AsyncSession, tenant_id: uuid.UUID | None, run_id: uuid.UUID, *, lock: bool = False
) -> RefreshRun | None:
    """The run (of the tenant, when given), or None."""
    stmt = select(RefreshRun).where(RefreshRun.id == run_id)
    if tenant_id is not None:
        stmt = stmt.where(RefreshRun.tenant_id == tenant_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_runs(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    collection_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[RefreshRun]]:
    """The tenant's runs, newest first."""
    stmt = select(RefreshRun).where(RefreshRun.tenant_id == tenant_id)
    if collection_id is not None:
        stmt = stmt.where(RefreshRun.collection_id == collection_id)
    total = int(
        (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    )
    page = stmt.order_by(RefreshRun.created_at.desc(), RefreshRun.id.desc())
    rows = (await session.execute(page.limit(limit).offset(offset))).scalars().all()
    return total, rows


async def set_run(session: AsyncSession, run_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Update the run's columns."""
    await session.execute(
        update(RefreshRun).where(RefreshRun.id == run_id).values(**values, updated_at=func.now())
    )


async def stale_runs(
    session: AsyncSession, *, status: str, before: datetime
) -> Sequence[RefreshRun]:
    """Runs in `status` whose last sign of life (heartbeat, else creation) is before `before`."""
    stmt = (
        select(RefreshRun)
        .where(
            RefreshRun.status == status,
            func.coalesce(RefreshRun.heartbeat_at, RefreshRun.created_at) < before,
        )
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalars().all()


# --- the collection's URL documents -----------------------------------------------------------


async def url_documents(
    session: AsyncSession, tenant_id: uuid.UUID, collection_id: uuid.UUID
) -> Sequence[Document]:
    """The collection's documents that have a `source_uri`, oldest first."""
    stmt = (
        select(Document)
        .where(
            Document.tenant_id == tenant_id,
            Document.collection_id == collection_id,
            Document.source_uri.is_not(None),
        )
        .order_by(Document.created_at, Document.id)
    )
    return (await session.execute(stmt)).scalars().all()
