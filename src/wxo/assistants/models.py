"""Custom assistant and watsonx Assistant instance tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wxo.core.db import Base, Timestamps, UUIDPrimaryKey


class CustomAssistant(UUIDPrimaryKey, Timestamps, Base):
    """An assistant defined here: instructions answered by a Model Proxy model.

    Its files live in a Document Store collection made for it on the first upload
    (`collection_id`; deleting the assistant deletes the collection).
    """

    __tablename__ = "custom_assistant"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_custom_assistant_tenant_id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    nickname: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    instructions: Mapped[str | None] = mapped_column(Text)
    user_start_messages: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    llm_name: Mapped[str | None] = mapped_column(Text)
    llm_id: Mapped[uuid.UUID | None]
    context_access_enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    context_variables: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    collection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document_collection.id", ondelete="SET NULL")
    )
    created_by: Mapped[uuid.UUID | None]
    created_by_username: Mapped[str | None] = mapped_column(Text)


class WatsonxAssistant(UUIDPrimaryKey, Timestamps, Base):
    """A registered watsonx Assistant instance.

    `config` holds the WatsonAssistantConfigRequest keys (snake_case); `api_key` and every
    secret of `auth_config` are encrypted (`wxo.llm.crypto`), never stored in clear.
    """

    __tablename__ = "watsonx_assistant"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_watsonx_assistant_tenant_id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    nickname: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    hidden: Mapped[bool] = mapped_column(Boolean, server_default="false")
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_by: Mapped[uuid.UUID | None]
    created_by_username: Mapped[str | None] = mapped_column(Text)


class WatsonxConversation(Base):
    """The context a watsonx Assistant instance returned last in one of our threads.

    The stateless message API keeps no state: sending the previous answer's `context` back
    continues the conversation (an action's pending question, its variables).
    """

    __tablename__ = "watsonx_conversation"

    assistant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("watsonx_assistant.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    context: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
