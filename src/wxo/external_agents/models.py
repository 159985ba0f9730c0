"""The external chat agent table."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wxo.core.db import Base, Timestamps, UUIDPrimaryKey


class ExternalChatAgent(UUIDPrimaryKey, Timestamps, Base):
    """An agent elsewhere that speaks the chat-completions protocol.

    Secrets of `auth_config` are encrypted (`wxo.llm.crypto`), never stored in clear.
    """

    __tablename__ = "external_chat_agent"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_external_chat_agent_tenant_id"),
        CheckConstraint("auth_scheme IN ('BEARER_TOKEN', 'API_KEY', 'NONE')", name="auth_scheme"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    nickname: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    instructions: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    api_url: Mapped[str] = mapped_column(Text)
    auth_scheme: Mapped[str] = mapped_column(Text, server_default="NONE")
    auth_config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    chat_params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    hidden: Mapped[bool] = mapped_column(Boolean, server_default="false")
    enable_cot: Mapped[bool] = mapped_column(Boolean, server_default="false")
    provider: Mapped[str] = mapped_column(Text, server_default="external_chat")
    connection_id: Mapped[str | None] = mapped_column(Text)
    context_access_enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    context_variables: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    created_by: Mapped[uuid.UUID | None]
    created_by_username: Mapped[str | None] = mapped_column(Text)
