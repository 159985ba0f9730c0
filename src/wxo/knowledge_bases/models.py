"""The `knowledge_base` table: a tenant's knowledge bases, each over one document collection.

The documents live in `collection_id` (Document Store); the collection's automatic vector
index is what is searched. Deleting the collection deletes the knowledge base (cascade).
`extra` keeps the other fields IBM's clients send (e.g. `conversational_search_tool`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wxo.core.db import Base, Timestamps, UUIDPrimaryKey


class KnowledgeBase(UUIDPrimaryKey, Timestamps, Base):
    """A tenant's knowledge base."""

    __tablename__ = "knowledge_base"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_knowledge_base_tenant_id_name"),
        Index("ix_knowledge_base_tenant_id_created_at", "tenant_id", "created_at"),
        Index("ix_knowledge_base_collection_id", "collection_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document_collection.id", ondelete="CASCADE")
    )
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_by: Mapped[uuid.UUID | None]
