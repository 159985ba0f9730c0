"""The `agent` table: a tenant's native agents.

`knowledge_base_ids` and `collaborator_ids` are JSONB arrays of ids (strings) of the same
tenant's knowledge bases and agents, resolved from names or ids when written; `extra` keeps the
other fields IBM's clients send (e.g. `additional_properties`, `guidelines`, `hidden`, `tags`)
so they round-trip.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wxo.core.db import Base, Timestamps, UUIDPrimaryKey


class Agent(UUIDPrimaryKey, Timestamps, Base):
    """A tenant's native agent."""

    __tablename__ = "agent"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_agent_tenant_id_name"),
        Index("ix_agent_tenant_id_created_at", "tenant_id", "created_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    instructions: Mapped[str | None] = mapped_column(Text)
    llm: Mapped[str | None] = mapped_column(Text)
    style: Mapped[str] = mapped_column(Text, server_default="default")
    tools: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    knowledge_base_ids: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    collaborator_ids: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_by: Mapped[uuid.UUID | None]
