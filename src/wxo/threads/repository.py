"""Queries for threads and messages. Never commits; every statement filters by tenant.

Times come from the database clock. `statement_timestamp()` (not `now()`, which is frozen at the
start of a transaction) lets later statements of one transaction record later times.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Integer,
    ScalarSelect,
    Text,
    Uuid,
    bindparam,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.core.db import Precompiled, execute_precompiled, precompile
from wxo.threads.models import Message, Thread

# Rows always overwrite objects already in the session, so a long-lived session never sees
# stale values (e.g. `thread.updated_at` after a message was appended by another statement).
_REFRESH = {"populate_existing": True}


def _now() -> ColumnElement[datetime]:
    return func.statement_timestamp()


# Ids are values, or `bindparam`s in the statements built once (`_append_statement`, ...).
_Id = uuid.UUID | BindParameter[uuid.UUID]


def _live_thread(tenant_id: _Id, thread_id: _Id) -> tuple[ColumnElement[bool], ...]:
    return (Thread.id == thread_id, Thread.tenant_id == tenant_id, Thread.deleted_at.is_(None))


def _thread_message(
    tenant_id: _Id, thread_id: _Id, message_id: _Id
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
    title: str | None = None,
    limit: int,
    offset: int,
) -> Sequence[Thread]:
    """Live threads, newest activity first (served by `ix_thread_tenant_id_updated_at`).

    `title` keeps the threads whose title contains it, in any case; `%`, `_` and backslashes in
    it are taken literally.
    """
    stmt = select(Thread).where(Thread.tenant_id == tenant_id, Thread.deleted_at.is_(None))
    if agent_id is not None:
        stmt = stmt.where(Thread.agent_id == agent_id)
    if assistant_id is not None:
        stmt = stmt.where(Thread.assistant_id == assistant_id)
    if title:
        literal = title.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Thread.title.ilike(f"%{literal}%", escape="\\"))
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


_JSON_COLUMNS = (
    "content",
    "mentions",
    "document_ids",
    "additional_properties",
    "context",
    "step_history",
    "message_state",
)
_PLAIN_COLUMNS = ("role", "parent_message_id", "assistant_id", "created_by", "created_by_username")


@functools.cache
def _append_statement() -> Precompiled:
    """The statement of `append_message_json`.

    Parameters: `id`, `tenant_id`, `thread_id`, `agent`, the plain columns, and the JSON columns
    as JSON text. One statement: a CTE bumps the live thread's `message_count` (its row lock
    orders concurrent appends and the new count is the `seq`) and activity times; the insert
    takes `seq` and time from it, and stores the message's rendered JSON (`rendered`). Times are `greatest(statement_timestamp(), updated_at)`:
    evaluated on the locked row, so they never go backwards along `seq`, and the message, the
    thread's `updated_at` and (for `assistant` messages) `last_agent_message_at` are equal.
    """
    tenant_id = bindparam("tenant_id", type_=Uuid)
    thread_id = bindparam("thread_id", type_=Uuid)
    parent_id = bindparam("parent_message_id", type_=Uuid)
    parent_ok = or_(
        parent_id.is_(None),
        exists().where(*_thread_message(tenant_id, thread_id, parent_id)),
    )
    at = func.greatest(func.statement_timestamp(), Thread.updated_at)
    bumped = (
        update(Thread)
        .where(*_live_thread(tenant_id, thread_id), parent_ok)
        .values(
            message_count=Thread.message_count + literal_column("1", Integer),
            updated_at=at,
            last_agent_message_at=case(
                (bindparam("agent", type_=Boolean), at), else_=Thread.last_agent_message_at
            ),
        )
        .returning(Thread.message_count, Thread.updated_at)
        .cte("bumped")
    )
    table = Message.__table__
    plain = {
        name: bindparam(name, type_=table.c[name].type)
        if name != "parent_message_id"
        else parent_id
        for name in _PLAIN_COLUMNS
    }
    columns: dict[str, Any] = {
        "id": bindparam("id", type_=Uuid),
        "tenant_id": tenant_id,
        "thread_id": thread_id,
        "seq": bumped.c.message_count,
        **plain,
        **{name: cast(bindparam(name, type_=Text), JSONB) for name in _JSON_COLUMNS},
        "created_at": bumped.c.updated_at,
        "updated_at": bumped.c.updated_at,
    }
    # The values once, as a subquery: the row and its rendering are built from the same ones.
    values = select(*(expr.label(name) for name, expr in columns.items())).subquery("new")
    statement = (
        insert(Message)
        .from_select([*columns, "rendered"], select(*values.c, _message_json(values.c)))
        .returning(cast(table.c.rendered, Text))
        .add_cte(bumped)
    )
    return precompile(statement)


async def append_message_json(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    thread_id: uuid.UUID,
    agent_message: bool,
    values: dict[str, Any],
) -> str | None:
    """Append a message to a live thread; its `MessageRead` JSON, or None.

    `values` holds every column of `_PLAIN_COLUMNS` and `_JSON_COLUMNS` (JSON ones as Python
    values). None when there is no live thread, or `parent_message_id` is not in it.
    """
    params: dict[str, Any] = {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "thread_id": thread_id,
        "agent": agent_message,
        **{name: values[name] for name in _PLAIN_COLUMNS},
        **{name: json.dumps(values[name]) for name in _JSON_COLUMNS},
    }
    rows = await execute_precompiled(session, _append_statement(), params)
    return str(rows[0][0]) if rows else None


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


@dataclass(frozen=True)
class MessagePage:
    """A page of messages already rendered as a JSON array, and what the page's query found."""

    thread_found: bool
    after_found: bool
    before_found: bool
    json: str


def _sql(text: str) -> ColumnElement[str]:
    """A constant string written into the SQL (not a parameter), e.g. a JSON key."""
    if "'" in text:
        raise ValueError(f"not a plain constant: {text!r}")
    return literal_column(f"'{text}'", Text)


def utc_json(column: ColumnElement[datetime]) -> ColumnElement[str]:
    """A timestamp as pydantic renders it in UTC: `...T05:31:56.123456Z`, or `...T05:31:56Z`."""
    utc = func.timezone(_sql("UTC"), column)
    fraction = case(
        (func.date_trunc(_sql("second"), utc) == utc, _sql("")),
        else_=func.to_char(utc, _sql(".US")),
    )
    return func.to_char(utc, _sql('YYYY-MM-DD"T"HH24:MI:SS')).concat(fraction).concat(_sql("Z"))


def _message_json(row: Any) -> ColumnElement[Any]:
    """The `MessageRead` shape of a message row, built by PostgreSQL."""
    return func.json_build_object(
        _sql("id"), row.id,
        _sql("tenant_id"), row.tenant_id,
        _sql("thread_id"), row.thread_id,
        _sql("role"), row.role,
        _sql("content"), row.content,
        _sql("mentions"), row.mentions,
        _sql("document_ids"), row.document_ids,
        _sql("parent_message_id"), row.parent_message_id,
        _sql("additional_properties"), row.additional_properties,
        _sql("context"), row.context,
        _sql("step_history"), row.step_history,
        _sql("message_state"), row.message_state,
        _sql("assistant"), case(
            (row.assistant_id.is_(None), null()),
            else_=func.json_build_object(
                _sql("assistant_id"), row.assistant_id,
                _sql("assistant_name"), null(),
                _sql("is_default"), false(),
            ),
        ),
        _sql("created_by"), row.created_by,
        _sql("created_by_username"), row.created_by_username,
        _sql("created_on"), utc_json(row.created_at),
        _sql("updated_at"), utc_json(row.updated_at),
    )  # fmt: skip


@functools.cache
def _message_page_statement(
    *, after: bool, before: bool, newest_first: bool, limited: bool
) -> Precompiled:
    """The statement of `list_messages_json` for one combination of cursors and order.

    Parameters: `tenant_id`, `thread_id`, and `after`, `before`, `limit` when used.
    """
    tenant_id = bindparam("tenant_id", type_=Uuid)
    thread_id = bindparam("thread_id", type_=Uuid)
    thread_live = exists().where(*_live_thread(tenant_id, thread_id))

    def cursor_seq(name: str) -> ScalarSelect[int]:
        cursor = bindparam(name, type_=Uuid)
        lookup = select(Message.seq).where(*_thread_message(tenant_id, thread_id, cursor))
        return lookup.scalar_subquery()

    page = select(Message).where(
        Message.thread_id == thread_id, Message.tenant_id == tenant_id, thread_live
    )
    if after:
        page = page.where(Message.seq > cursor_seq("after"))
    if before:
        page = page.where(Message.seq < cursor_seq("before"))
    page = page.order_by(Message.seq.desc() if newest_first else Message.seq)
    if limited:
        page = page.limit(bindparam("limit", type_=Integer))
    rows = page.subquery("page")
    body = select(
        func.coalesce(
            func.json_agg(
                aggregate_order_by(
                    func.coalesce(rows.c.rendered, _message_json(rows.c)), rows.c.seq
                )
            ),
            cast(_sql("[]"), JSON),
        )
    ).scalar_subquery()
    return precompile(
        select(
            thread_live,
            cursor_seq("after").is_not(None) if after else true(),
            cursor_seq("before").is_not(None) if before else true(),
            cast(body, Text),
        )
    )


async def list_messages_json(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    thread_id: uuid.UUID,
    after: uuid.UUID | None,
    before: uuid.UUID | None,
    limit: int | None,
    latest: bool = False,
) -> MessagePage:
    """Up to `limit` (None: all) messages oldest first, keyset-paged on `(thread_id, seq)`.

    With `before` or `latest`, the `limit` messages just before `before` (or the end) are
    returned, still oldest first; otherwise the first `limit` after `after` (or the start).
    The cursors are message ids. One precompiled statement, one round trip, rendered as JSON:
    the thread check, both cursor lookups, the page and its rendering all happen in PostgreSQL;
    this is the hottest read of the API (a chat client polls it), and building 50 ORM objects
    and 50 response models costs several times what the query does.
    """
    statement = _message_page_statement(
        after=after is not None,
        before=before is not None,
        newest_first=before is not None or latest,
        limited=limit is not None,
    )
    params: dict[str, Any] = {
        "tenant_id": tenant_id,
        "thread_id": thread_id,
        "after": after,
        "before": before,
    }
    if limit is not None:
        params["limit"] = limit
    rows = await execute_precompiled(session, statement, params, read=True)
    found, after_found, before_found, text = tuple(rows[0])
    return MessagePage(bool(found), bool(after_found), bool(before_found), str(text))


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
        .values(updated_at=_now(), rendered=None, **values)  # the list renders it again
        .returning(Message)
        .execution_options(synchronize_session=False)
    )
    return (await session.scalars(stmt, execution_options=_REFRESH)).one_or_none()


def backfill_rendered_sql() -> str:
    """SQL storing the rendered JSON of messages that lack it.

    The API always stores it; rows loaded by other means (`bench/threads.py`'s preload) do not.
    """
    table = Message.__table__
    statement = (
        update(Message).where(table.c.rendered.is_(None)).values(rendered=_message_json(table.c))
    )
    return precompile(statement).sql


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
