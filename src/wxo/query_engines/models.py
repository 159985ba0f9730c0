"""Query Engine tables: the engine (config as JSONB) and the indices it retrieves from, in order."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, PrimaryKeyConstraint, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wxo.core.db import Base, Timestamps, UUIDPrimaryKey


class QueryEngine(UUIDPrimaryKey, Timestamps, Base):
    """A tenant's query engine; `config` holds `retrieval`, `synthesis` and `data_management`."""

    __tablename__ = "query_engine"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_query_engine_tenant_id_name"),
        Index("ix_query_engine_tenant_id_created_at", "tenant_id", "created_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    model_id: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_by: Mapped[uuid.UUID | None]


class QueryEngineIndex(Base):
    """One index an engine retrieves from; deleting the index removes it from the engine."""

    __tablename__ = "query_engine_index"
    __table_args__ = (
        PrimaryKeyConstraint("engine_id", "index_id", name="pk_query_engine_index"),
        Index("ix_query_engine_index_index_id", "index_id"),
    )

    engine_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("query_engine.id", ondelete="CASCADE"))
    index_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vector_index.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
