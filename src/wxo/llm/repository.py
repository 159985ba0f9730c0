"""Queries for the model registry. Never commits; every statement filters by tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Text, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.llm.models import Model

_REFRESH = {"populate_existing": True}

CHAT_DEFAULT_TAGS = ("default",)
EMBEDDING_DEFAULT_TAGS = ("default", "default_embedding")


def _now() -> ColumnElement[datetime]:
    return func.statement_timestamp()


def _has_any_tag(tags: Sequence[str]) -> ColumnElement[bool]:
    return Model.tags.op("?|", return_type=Boolean)(array(list(tags), type_=Text))


def _default_of(*, embedding: bool) -> tuple[ColumnElement[bool], ...]:
    """The rows that are a tenant's default model of one kind (mirrors the partial indexes)."""
    if embedding:
        return (Model.model_type == "embedding", _has_any_tag(EMBEDDING_DEFAULT_TAGS))
    return (Model.model_type != "embedding", _has_any_tag(CHAT_DEFAULT_TAGS))


async def lock_tenant_models(session: AsyncSession, *, tenant_id: uuid.UUID) -> None:
    """Serialize writes to one tenant's models until the transaction ends (advisory lock).

    Name checks and default-tag moves then see every earlier write of the tenant.
    """
    key = func.hashtextextended("wxo.model:" + str(tenant_id), 0)
    await session.execute(select(func.pg_advisory_xact_lock(key)))


async def insert_model(
    session: AsyncSession, *, tenant_id: uuid.UUID, values: dict[str, Any]
) -> Model:
    """Add a model with `values` (column name → value)."""
    stmt = (
        insert(Model)
        .values(
            id=uuid.uuid4(), tenant_id=tenant_id, created_at=_now(), updated_at=_now(), **values
        )
        .returning(Model)
    )
    return (await session.scalars(stmt, execution_options=_REFRESH)).one()


async def get_model(
    session: AsyncSession, *, tenant_id: uuid.UUID, model_id: uuid.UUID
) -> Model | None:
    """The tenant's model with this id."""
    stmt = select(Model).where(Model.id == model_id, Model.tenant_id == tenant_id)
    return (await session.scalars(stmt, execution_options=_REFRESH)).one_or_none()


async def get_model_by_name(
    session: AsyncSession, *, tenant_id: uuid.UUID, names: Sequence[str]
) -> Model | None:
    """The tenant's model with the first of `names` that exists."""
    stmt = select(Model).where(Model.tenant_id == tenant_id, Model.name.in_(names))
    found = {m.name: m for m in (await session.scalars(stmt, execution_options=_REFRESH)).all()}
    return next((found[n] for n in names if n in found), None)


async def name_taken(
    session: AsyncSession, *, tenant_id: uuid.UUID, name: str, except_id: uuid.UUID | None = None
) -> bool:
    """Whether another model of the tenant has this name."""
    stmt = select(Model.id).where(Model.tenant_id == tenant_id, Model.name == name)
    if except_id is not None:
        stmt = stmt.where(Model.id != except_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def list_models(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    names: Sequence[str] | None = None,
    ids: Sequence[uuid.UUID] | None = None,
    embedding_only: bool = False,
) -> Sequence[Model]:
    """The tenant's models by name, optionally only those named or with these ids."""
    stmt = select(Model).where(Model.tenant_id == tenant_id)
    if names is not None:
        stmt = stmt.where(Model.name.in_(names))
    if ids is not None:
        stmt = stmt.where(Model.id.in_(ids))
    if embedding_only:
        stmt = stmt.where(Model.model_type == "embedding")
    stmt = stmt.order_by(Model.name)
    return (await session.scalars(stmt, execution_options=_REFRESH)).all()


async def get_default(
    session: AsyncSession, *, tenant_id: uuid.UUID, embedding: bool
) -> Model | None:
    """The tenant's default chat (or embedding) model, if one is tagged."""
    stmt = select(Model).where(Model.tenant_id == tenant_id, *_default_of(embedding=embedding))
    return (await session.scalars(stmt, execution_options=_REFRESH)).first()


async def clear_default(
    session: AsyncSession, *, tenant_id: uuid.UUID, embedding: bool, except_id: uuid.UUID | None
) -> None:
    """Remove the default tags of one kind from the tenant's models (but `except_id`)."""
    tags = EMBEDDING_DEFAULT_TAGS if embedding else CHAT_DEFAULT_TAGS
    stmt = (
        update(Model)
        .where(Model.tenant_id == tenant_id, *_default_of(embedding=embedding))
        .values(tags=Model.tags.op("-")(array(list(tags), type_=Text)), updated_at=_now())
        .execution_options(synchronize_session=False)
    )
    if except_id is not None:
        stmt = stmt.where(Model.id != except_id)
    await session.execute(stmt)


async def update_model(
    session: AsyncSession, *, tenant_id: uuid.UUID, model_id: uuid.UUID, values: dict[str, Any]
) -> Model | None:
    """Apply `values` to the tenant's model and set `updated_at`; None if there is none."""
    stmt = (
        update(Model)
        .where(Model.id == model_id, Model.tenant_id == tenant_id)
        .values(updated_at=_now(), **values)
        .returning(Model)
        .execution_options(synchronize_session=False)
    )
    return (await session.scalars(stmt, execution_options=_REFRESH)).one_or_none()


async def delete_model(session: AsyncSession, *, tenant_id: uuid.UUID, model_id: uuid.UUID) -> bool:
    """Delete the tenant's model; False if there was none."""
    stmt = (
        delete(Model)
        .where(Model.id == model_id, Model.tenant_id == tenant_id)
        .returning(Model.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None
