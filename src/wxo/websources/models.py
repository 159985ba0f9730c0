"""Web source, refresh schedule and refresh run tables."""

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
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wxo.core.db import Base, Timestamps, UUIDPrimaryKey


class OwnerKind(StrEnum):
    """What a refresh schedule belongs to."""

    COLLECTION = "collection"
    QUERY_ENGINE = "query_engine"
    SEARCH_ENGINE = "search_engine"


class RunStatus(StrEnum):
    """Where a refresh run stands."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


ACTIVE_STATUSES = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)


class WebSource(UUIDPrimaryKey, Timestamps, Base):
    """The crawl configuration of a collection fed from a website (one per collection)."""

    __tablename__ = "web_source"
    __table_args__ = (UniqueConstraint("collection_id", name="uq_web_source_collection_id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document_collection.id", ondelete="CASCADE")
    )
    seed_urls: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    sitemap_url: Mapped[str | None] = mapped_column(Text)
    max_depth: Mapped[int] = mapped_column(Integer)
    max_pages: Mapped[int] = mapped_column(Integer)
    max_page_bytes: Mapped[int] = mapped_column(BigInteger)
    same_host_only: Mapped[bool] = mapped_column(Boolean, server_default="true")
    include_patterns: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    exclude_patterns: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")


class RefreshSchedule(UUIDPrimaryKey, Timestamps, Base):
    """A cron schedule refreshing a collection, or the collections of an engine's indices."""

    __tablename__ = "refresh_schedule"
    __table_args__ = (
        UniqueConstraint("owner_kind", "owner_id", name="uq_refresh_schedule_owner_kind_owner_id"),
        Index("ix_refresh_schedule_next_run_at", "next_run_at", postgresql_where=text("enabled")),
        CheckConstraint(
            "owner_kind IN ('collection', 'query_engine', 'search_engine')", name="owner_kind"
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    owner_kind: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[uuid.UUID]
    cron: Mapped[str] = mapped_column(Text)
    # An engine's schedule covers the collections attached to these indices (resolved per run);
    # a collection's covers `collection_ids`.
    index_ids: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    collection_ids: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    next_run_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")


class RefreshRun(UUIDPrimaryKey, Timestamps, Base):
    """One refresh of one collection: what it fetched, added, updated, removed, and its errors."""

    __tablename__ = "refresh_run"
    __table_args__ = (
        Index("ix_refresh_run_tenant_id_created_at", "tenant_id", "created_at"),
        Index("ix_refresh_run_collection_id_created_at", "collection_id", "created_at"),
        # At most one queued or running refresh per collection.
        Index(
            "uq_refresh_run_active_collection_id",
            "collection_id",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        CheckConstraint("status IN ('queued', 'running', 'completed', 'failed')", name="status"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document_collection.id", ondelete="CASCADE")
    )
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("refresh_schedule.id", ondelete="SET NULL")
    )
    trigger: Mapped[str] = mapped_column(Text)  # manual | schedule
    status: Mapped[str] = mapped_column(Text, server_default=RunStatus.QUEUED.value)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None]
