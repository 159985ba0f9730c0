"""Run and run-event queries. Functions take the session first and never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.runs.models import TERMINAL_STATUSES, Run, RunEvent, RunStatus

_OPEN = (RunStatus.PENDING.value, RunStatus.RUNNING.value)


async def insert_run(session: AsyncSession, *, values: dict[str, Any]) -> Run:
    """Add a run (status `pending`) and flush it.

    `created_at` is the clock's time, not the transaction's: runs created in one transaction
    still list in creation order.
    """
    run = Run(**{"created_at": func.clock_timestamp(), **values})
    session.add(run)
    await session.flush()
    await session.refresh(run)
    return run


async def get_run(
    session: AsyncSession, *, tenant_id: uuid.UUID | None, run_id: uuid.UUID
) -> Run | None:
    """The run; with `tenant_id`, only if it is that tenant's (`None`: workers, any tenant)."""
    query = select(Run).where(Run.id == run_id).execution_options(populate_existing=True)
    if tenant_id is not None:
        query = query.where(Run.tenant_id == tenant_id)
    return (await session.execute(query)).scalar_one_or_none()


async def list_runs(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    assistant_id: uuid.UUID | None = None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[Run]]:
    """The tenant's runs newest first (of one assistant if given), and how many there are."""
    where = [Run.tenant_id == tenant_id]
    if assistant_id is not None:
        where.append(Run.assistant_id == assistant_id)
    total = (await session.execute(select(func.count()).select_from(Run).where(*where))).scalar()
    rows = await session.execute(
        select(Run)
        .where(*where)
        .order_by(Run.created_at.desc(), Run.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return int(total or 0), rows.scalars().all()


async def set_values(session: AsyncSession, *, run_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Change columns of a run (and `updated_at`)."""
    await session.execute(
        update(Run).where(Run.id == run_id).values(**values, updated_at=func.now())
    )


async def claim(session: AsyncSession, *, run_id: uuid.UUID) -> Run | None:
    """`pending` -> `running` (started, first heartbeat); None if the run is not pending."""
    result = await session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == RunStatus.PENDING.value)
        .values(
            status=RunStatus.RUNNING.value,
            started_at=func.now(),
            heartbeat_at=func.now(),
            attempts=Run.attempts + 1,
            updated_at=func.now(),
        )
        .returning(Run)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def heartbeat(session: AsyncSession, *, run_id: uuid.UUID) -> str:
    """Stamp a running run: `ok`, `cancel` (asked to stop) or `gone` (no longer running)."""
    result = await session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == RunStatus.RUNNING.value)
        .values(heartbeat_at=func.now())
        .returning(Run.cancel_requested_at)
    )
    row = result.first()
    if row is None:
        return "gone"
    return "ok" if row[0] is None else "cancel"


async def finish(
    session: AsyncSession,
    *,
    run_id: uuid.UUID,
    status: RunStatus,
    from_statuses: Sequence[str] = _OPEN,
    values: dict[str, Any] | None = None,
) -> bool:
    """Move an open run to a terminal status, stamping its time; False if it was not open."""
    stamp = {
        RunStatus.COMPLETED: "completed_at",
        RunStatus.FAILED: "failed_at",
        RunStatus.CANCELLED: "cancelled_at",
    }[status]
    result = await session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status.in_(list(from_statuses)))
        .values(**(values or {}), status=status.value, updated_at=func.now(), **{stamp: func.now()})
        .returning(Run.id)
    )
    return result.first() is not None


async def request_cancel(session: AsyncSession, *, run_id: uuid.UUID) -> str | None:
    """Mark an open run as asked to stop; its status (None: no longer open)."""
    result = await session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status.in_(list(_OPEN)))
        .values(cancel_requested_at=func.coalesce(Run.cancel_requested_at, func.now()))
        .returning(Run.status)
    )
    row = result.first()
    return None if row is None else str(row[0])


_APPEND_EVENT = text(
    """
    WITH r AS (
        UPDATE run SET event_count = event_count + 1 WHERE id = :run_id
        RETURNING event_count, tenant_id
    )
    INSERT INTO run_event (run_id, seq, tenant_id, event, data)
    SELECT :run_id, r.event_count, r.tenant_id, :event, CAST(:data AS jsonb) FROM r
    RETURNING seq
    """
)


async def append_event(
    session: AsyncSession, *, run_id: uuid.UUID, event: str, data_json: str
) -> int:
    """Append an event (the run's row lock orders concurrent writers); its `seq`."""
    result = await session.execute(
        _APPEND_EVENT, {"run_id": run_id, "event": event, "data": data_json}
    )
    return int(result.scalar_one())


async def list_events(
    session: AsyncSession, *, run_id: uuid.UUID, after_seq: int = 0
) -> Sequence[RunEvent]:
    """Events after `after_seq`, in order."""
    rows = await session.execute(
        select(RunEvent)
        .where(RunEvent.run_id == run_id, RunEvent.seq > after_seq)
        .order_by(RunEvent.seq)
    )
    return rows.scalars().all()


async def stale_running(
    session: AsyncSession, *, older_than: datetime, limit: int = 100
) -> Sequence[uuid.UUID]:
    """Running runs whose heartbeat is older than `older_than` (their worker died)."""
    rows = await session.execute(
        select(Run.id)
        .where(Run.status == RunStatus.RUNNING.value, Run.heartbeat_at < older_than)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return rows.scalars().all()


async def lost_pending(
    session: AsyncSession, *, older_than: datetime, unsent_only: bool, limit: int = 100
) -> Sequence[uuid.UUID]:
    """Pending runs untouched since `older_than` (their message was lost); touched now.

    With `unsent_only`, only runs whose message was never sent (`task_id` NULL).
    """
    where = [Run.status == RunStatus.PENDING.value, Run.updated_at < older_than]
    if unsent_only:
        where.append(Run.task_id.is_(None))
    result = await session.execute(
        update(Run)
        .where(
            Run.id.in_(
                select(Run.id)
                .where(*where)
                .limit(limit)
                .with_for_update(skip_locked=True)
                .scalar_subquery()
            )
        )
        .values(updated_at=func.now())
        .returning(Run.id)
    )
    return result.scalars().all()


def is_terminal(status: str) -> bool:
    """Whether a run in this status has ended."""
    return status in TERMINAL_STATUSES
