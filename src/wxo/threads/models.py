"""Message threads and their messages (tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wxo.core.db import Base, Timestamps, UUIDPrimaryKey


class ThreadStatus(StrEnum):
    """Where a thread stands in an (asynchronous) exchange with an agent."""

    ASYNC_WAIT = "async_wait"
    READY = "ready"
    ASYNC_SLOT_REQUEST = "async_slot_request"
    ASYNC_A2A_SLOT_REQUEST = "async_a2a_slot_request"


class MessageRole(StrEnum):
    """Who wrote a message."""

    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    TOOL = "tool"


class Thread(UUIDPrimaryKey, Timestamps, Base):
    """A conversation. Soft-deleted (`deleted_at`); `message_count` allocates message `seq`s."""

    __tablename__ = "thread"
    __table_args__ = (
        # Listing: newest activity first, live threads only.
        Index(
            "ix_thread_tenant_id_updated_at",
            "tenant_id",
            text("updated_at DESC"),
            text("id DESC"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_thread_tenant_id_agent_id", "tenant_id", "agent_id"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in ThreadStatus) + ")", name="status"
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text, server_default="Untitled")
    assistant_id: Mapped[uuid.UUID | None]
    agent_id: Mapped[uuid.UUID | None]
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[ThreadStatus] = mapped_column(
        Enum(
            ThreadStatus,
            native_enum=False,
            create_constraint=False,  # the CHECK above, named by the convention
            length=32,
            values_callable=lambda e: [m.value for m in e],
        ),
        server_default=ThreadStatus.READY.value,
    )
    knowledge_base_id: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]
    created_by_username: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[str | None] = mapped_column(Text)
    last_read_at: Mapped[datetime | None]
    last_agent_message_at: Mapped[datetime | None]
    # Messages ever appended: the `seq` of the latest one. Deletes do not lower it (no reuse).
    message_count: Mapped[int] = mapped_column(BigInteger, server_default="0")


class Message(UUIDPrimaryKey, Timestamps, Base):
    """One message of a thread; `seq` is its position (1, 2, ...) in the thread's total order."""

    __tablename__ = "thread_message"
    __table_args__ = (UniqueConstraint("thread_id", "seq", name="uq_thread_message_thread_id_seq"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    thread_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(Text)
    content: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    mentions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    document_ids: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    additional_properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    step_history: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    message_state: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Not a foreign key: a reply keeps pointing at its parent after the parent is deleted.
    parent_message_id: Mapped[uuid.UUID | None]
    assistant_id: Mapped[uuid.UUID | None]
    created_by: Mapped[uuid.UUID | None]
    created_by_username: Mapped[str | None] = mapped_column(Text)
    # The message's `MessageRead` JSON as written (see `repository._append_statement`): listing
    # a page then aggregates stored text instead of building 50 objects. NULL after an update
    # (the list builds those rows' JSON again).
    rendered: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
