"""Custom assistant and watsonx Assistant queries (never commit: the services do)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.assistants.models import CustomAssistant, WatsonxAssistant, WatsonxConversation

Row = TypeVar("Row", CustomAssistant, WatsonxAssistant)


def _stamped(values: dict[str, Any]) -> dict[str, Any]:
    now = func.statement_timestamp()
    return {**values, "created_at": now, "updated_at": now}


async def insert(
    session: AsyncSession, model: type[Row], tenant_id: uuid.UUID, values: dict[str, Any]
) -> Row:
    """Add a row (flushes: a duplicate name raises IntegrityError here).

    Stamped with the statement's time, not the transaction's: rows made in one transaction
    keep their order in lists.
    """
    row = model(tenant_id=tenant_id, **_stamped(values))
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def get(
    session: AsyncSession, model: type[Row], tenant_id: uuid.UUID, row_id: uuid.UUID
) -> Row | None:
    """The tenant's row with this id."""
    return await session.scalar(
        select(model).where(model.tenant_id == tenant_id, model.id == row_id)
    )


async def list_custom(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[CustomAssistant]:
    """The tenant's custom assistants, oldest first."""
    rows = await session.scalars(
        select(CustomAssistant)
        .where(CustomAssistant.tenant_id == tenant_id)
        .order_by(CustomAssistant.created_at, CustomAssistant.id)
    )
    return rows.all()


async def list_watsonx(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    include_hidden: bool,
    ids: Sequence[uuid.UUID] | None = None,
    names: Sequence[str] | None = None,
) -> Sequence[WatsonxAssistant]:
    """The tenant's watsonx Assistant instances, oldest first, filtered."""
    query = select(WatsonxAssistant).where(WatsonxAssistant.tenant_id == tenant_id)
    if not include_hidden:
        query = query.where(WatsonxAssistant.hidden.is_(False))
    if ids:
        query = query.where(WatsonxAssistant.id.in_(ids))
    if names:
        query = query.where(WatsonxAssistant.name.in_(names))
    rows = await session.scalars(query.order_by(WatsonxAssistant.created_at, WatsonxAssistant.id))
    return rows.all()


async def update_row(session: AsyncSession, row: Row, changes: dict[str, Any]) -> Row:
    """Apply `changes` (a duplicate name raises IntegrityError here)."""
    model = type(row)
    await session.execute(
        update(model)
        .where(model.id == row.id)
        .values(**changes, updated_at=func.statement_timestamp())
    )
    await session.refresh(row)
    return row


async def delete_row(session: AsyncSession, row: CustomAssistant | WatsonxAssistant) -> None:
    """Remove the row."""
    model = type(row)
    await session.execute(delete(model).where(model.id == row.id))


async def conversation_context(
    session: AsyncSession, assistant_id: uuid.UUID, thread_id: uuid.UUID
) -> dict[str, Any] | None:
    """The context the instance returned last in the thread (None before its first answer)."""
    value = await session.scalar(
        select(WatsonxConversation.context).where(
            WatsonxConversation.assistant_id == assistant_id,
            WatsonxConversation.thread_id == thread_id,
        )
    )
    return dict(value) if value is not None else None


async def save_conversation_context(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    assistant_id: uuid.UUID,
    thread_id: uuid.UUID,
    context: dict[str, Any],
) -> None:
    """Remember the context the instance returned in the thread (replacing the previous one)."""
    statement = pg_insert(WatsonxConversation).values(
        tenant_id=tenant_id, assistant_id=assistant_id, thread_id=thread_id, context=context
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[WatsonxConversation.assistant_id, WatsonxConversation.thread_id],
            set_={"context": statement.excluded.context, "updated_at": func.statement_timestamp()},
        )
    )
