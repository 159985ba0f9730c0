"""Queries for threads and messages. Never commits; every statement filters by tenant.

Times come from the database clock. `statement_timestamp()` (not `now()`, which is frozen at the
start of a transaction) lets later statements of one transaction record later times.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.threads.models import Message, Thread

# Rows always overwrite objects already in the session, so a long-lived session never sees
# stale values (e.g. `thread.updated_at` after a Core UPDATE by `allocate_message_seq`).
_REFRESH = {"populate_existing": True}


def _now() -> ColumnElement[datetime]:
    return func.statement_timestamp()


def _live_thread(tenant_id: uuid.UUID, thread_id: uuid.UUID) -> tuple[ColumnElement[bool], ...]:
    return (Thread.id == thread_id, Thread.tenant_id == tenant_id, Thread.deleted_at.is_(None))


def _thread_message(
    tenant_id: uuid.UUID, thread_id: uuid.UUID, message_id: uuid.UUID
) -> tuple[ColumnElement[bool], ...]:
    return (
        Message.id == message_id,
        Message.thread_id == thread_id,
        Message.tenant_id == tenant_id,
    )


async def insert_thread(
    session: AsyncSession, *, tenant_id: uuid.UUID, values: dict[str, Any]
) -> Thread:
    """Add a thread with `values` (column name → value)."""
    stmt = (
        insert(Thread)
        .values(
            id=uuid.uuid4(), tenant_id=tenant_id, created_at=_now(), updated_at=_now(), **values
        )
        .returning(Thread)
    )
    return (await session.scalars(stmt, execution_options=_REFRESH)).one()


async def get_thread(
    session: AsyncSession, *, tenant_id: uuid.UUID, thread_id: uuid.UUID
) -> Thread | None:
    """The live (not soft-deleted) thread, if the tenant has it."""
    stmt = select(Thread).where(*_live_thread(tenant_id, thread_id))
    return (await session.scalars(stmt, execution_options=_REFRESH)).one_or_none()


async def list_threads(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    agent_id: uuid.UUID | None,
    assistant_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> Sequence[Thread]:
    """Live threads, newest activity first (served by `ix_thread_tenant_id_updated_at`)."""
    stmt = select(Thread).where(Thread.tenant_id == tenant_id, Thread.deleted_at.is_(None))
    if agent_id is not None:
        stmt = stmt.where(Thread.agent_id == agent_id)
    if assistant_id is not None:
        stmt = stmt.where(Thread.assistant_id == assistant_id)
    stmt = stmt.order_by(Thread.updated_at.desc(), Thread.id.desc()).limit(limit).offset(offset)
    return (await session.scalars(stmt, execution_options=_REFRESH)).all()


async def update_thread(
    session: AsyncSession, *, tenant_id: uuid.UUID, thread_id: uuid.UUID, values: dict[str, Any]
) -> Thread | None:
    """Apply `values` to a live thread; `updated_at` defaults to now. None if there is none."""
    values = {"updated_at": _now(), **values}
    stmt = (
        update(Thread)
        .where(*_live_thread(tenant_id, thread_id))
        .values(**values)
        .returning(Thread)
        .execution_options(synchronize_session=False)
    )
    return (await session.scalars(stmt, execution_options=_REFRESH)).one_or_none()


async def soft_delete_thread(
    session: AsyncSession, *, tenant_id: uuid.UUID, thread_id: uuid.UUID, deleted_by: str
) -> Thread | None:
    """Mark a live thread deleted. None if there is none."""
    return await update_thread(
        session,
        tenant_id=tenant_id,
        thread_id=thread_id,
        values={"deleted_at": _now(), "deleted_by": deleted_by, "updated_at": Thread.updated_at},
    )


async def allocate_message_seq(
    session: AsyncSession, *, tenant_id: uuid.UUID, thread_id: uuid.UUID, agent_message: bool
) -> tuple[int, datetime] | None:
    """Reserve the next `seq` of a live thread and mark its activity; None if there is no thread.

    The row lock taken here is held until commit, so concurrent appends to one thread queue up
    and get consecutive `seq`s. `clock_timestamp()` is evaluated once the lock is granted, so
    times follow `seq` order. Returns the `seq` and that time, which the new message carries
    too (and, for an agent message, `last_agent_message_at`).
    """
    stmt = (
        update(Thread)
        .where(*_live_thread(tenant_id, thread_id))
        .values(message_count=Thread.message_count + 1, updated_at=func.clock_timestamp())
        .returning(Thread.message_count, Thread.updated_at)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    seq, at = int(row[0]), row[1]
    if agent_message:
        # A second statement so that the time is exactly `updated_at`: two `clock_timestamp()`
        # calls in one SET list would differ. The row is already locked by this transaction.
        await session.execute(
            update(Thread)
            .where(Thread.id == thread_id, Thread.tenant_id == tenant_id)
            .values(last_agent_message_at=at)
            .execution_options(synchronize_session=False)
        )
    return seq, at


async def insert_message(session: AsyncSession, *, values: dict[str, Any]) -> Message:
    """Add a message with `values` (column name → value, including `seq` and times)."""
    stmt = insert(Message).values(id=uuid.uuid4(), **values).returning(Message)
    return (await session.scalars(stmt, execution_options=_REFRESH)).one()


async def get_message(
    session: AsyncSession, *, tenant_id: uuid.UUID, thread_id: uuid.UUID, message_id: uuid.UUID
) -> Message | None:
    """The message, if it is in this thread of this tenant."""
    stmt = select(Message).where(*_thread_message(tenant_id, thread_id, message_id))
    return (await session.scalars(stmt, execution_options=_REFRESH)).one_or_none()


async def message_seq(
    session: AsyncSession, *, tenant_id: uuid.UUID, thread_id: uuid.UUID, message_id: uuid.UUID
) -> int | None:
    """The `seq` of a message of this thread, or None."""
    stmt = select(Message.seq).where(*_thread_message(tenant_id, thread_id, message_id))
    seq = (await session.execute(stmt)).scalar_one_or_none()
    return None if seq is None else int(seq)


async def list_messages(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    thread_id: uuid.UUID,
    after_seq: int | None,
    before_seq: int | None,
    limit: int | None,
    latest: bool = False,
) -> list[Message]:
    """Up to `limit` (None: all) messages oldest first, keyset-paged on `(thread_id, seq)`.

    With `before_seq` or `latest`, the `limit` messages just before `before_seq` (or the end) are
    returned, still oldest first; otherwise the first `limit` after `after_seq` (or the start).
    """
    stmt = select(Message).where(Message.thread_id == thread_id, Message.tenant_id == tenant_id)
    if after_seq is not None:
        stmt = stmt.where(Message.seq > after_seq)
    if before_seq is None and not latest:
        stmt = stmt.order_by(Message.seq).limit(limit)
        return list((await session.scalars(stmt, execution_options=_REFRESH)).all())
    if before_seq is not None:
        stmt = stmt.where(Message.seq < before_seq)
    stmt = stmt.order_by(Message.seq.desc()).limit(limit)
    return list(reversed((await session.scalars(stmt, execution_options=_REFRESH)).all()))


async def update_message(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    thread_id: uuid.UUID,
    message_id: uuid.UUID,
    values: dict[str, Any],
) -> Message | None:
    """Apply `values` to a message and set its `updated_at`. None if there is none."""
    stmt = (
        update(Message)
        .where(*_thread_message(tenant_id, thread_id, message_id))
        .values(updated_at=_now(), **values)
        .returning(Message)
        .execution_options(synchronize_session=False)
    )
    return (await session.scalars(stmt, execution_options=_REFRESH)).one_or_none()


async def delete_message(
    session: AsyncSession, *, tenant_id: uuid.UUID, thread_id: uuid.UUID, message_id: uuid.UUID
) -> bool:
    """Delete a message for good; False if there was none."""
    stmt = (
        delete(Message)
        .where(*_thread_message(tenant_id, thread_id, message_id))
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None
