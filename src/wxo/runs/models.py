"""Orchestrate runs and their events (tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wxo.core.db import Base, Timestamps, UUIDPrimaryKey


class RunStatus(StrEnum):
    """AssistantRunStatus (orchestrate.md §5). This server sets pending, running and the ends."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    ASYNC_WAIT = "async_wait"
    ASYNC_COMPLETED = "async_completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REQUIRES_INPUT = "requires_input"
    EXPIRED = "expired"


TERMINAL_STATUSES = frozenset(
    {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.EXPIRED}
)


class Run(UUIDPrimaryKey, Timestamps, Base):
    """One run: a user message answered on a worker; `event_count` allocates event `seq`s."""

    __tablename__ = "run"
    __table_args__ = (
        Index("ix_run_tenant_id_created_at", "tenant_id", text("created_at DESC"), text("id DESC")),
        Index("ix_run_tenant_id_assistant_id", "tenant_id", "assistant_id"),
        # The sweeper's scan: running runs by heartbeat.
        Index(
            "ix_run_heartbeat_at",
            "heartbeat_at",
            postgresql_where=text("status = 'running'"),
        ),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in RunStatus) + ")", name="status"
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    thread_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    assistant_id: Mapped[uuid.UUID | None]
    agent_id: Mapped[str | None] = mapped_column(Text)
    environment_id: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, server_default=RunStatus.PENDING.value)
    created_by: Mapped[uuid.UUID | None]
    created_by_username: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[uuid.UUID | None]  # the user message this run answers
    response_message_id: Mapped[uuid.UUID | None]  # the assistant message it produced
    llm_params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    guardrails: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    context: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    context_variables: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    additional_parameters: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    additional_properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    capture_logs: Mapped[bool] = mapped_column(Boolean, server_default="false")
    multiple_content: Mapped[bool] = mapped_column(Boolean, server_default="false")
    usage: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    last_error: Mapped[str | None] = mapped_column(Text)
    trace_id: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_requested_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    event_count: Mapped[int] = mapped_column(BigInteger, server_default="0")


class RunEvent(Base):
    """One event of a run, in the run's order (`seq` 1, 2, ...)."""

    __tablename__ = "run_event"
    __table_args__ = (PrimaryKeyConstraint("run_id", "seq", name="pk_run_event"),)

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
