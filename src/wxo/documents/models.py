"""Document Store tables: collections, documents, extracted elements, images and content."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wxo.core.db import Base, Timestamps, UUIDPrimaryKey


class DocumentStatus(StrEnum):
    """Where a document stands in the pipeline."""

    QUEUED = "queued"
    EXTRACTING = "extracting"
    INDEXING = "indexing"
    READY = "ready"
    FAILED = "failed"


class DocumentCollection(UUIDPrimaryKey, Timestamps, Base):
    """A tenant's named set of documents; `settings` holds its duplicate and extraction policy."""

    __tablename__ = "document_collection"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_document_collection_tenant_id_name"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_by: Mapped[uuid.UUID | None]
    created_by_username: Mapped[str | None] = mapped_column(Text)


class Document(UUIDPrimaryKey, Timestamps, Base):
    """One document: its metadata, where its bytes are, and its pipeline state."""

    __tablename__ = "document"
    __table_args__ = (
        Index("ix_document_tenant_id_created_at", "tenant_id", "created_at"),
        # Duplicate detection: the same bytes in the same collection.
        Index("ix_document_collection_id_content_hash", "collection_id", "content_hash"),
        Index("ix_document_status", "status"),
        # Is a blob still referenced (before deleting it)?
        Index("ix_document_blob_key", "blob_key"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in DocumentStatus) + ")", name="status"
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document_collection.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    meta: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    source_uri: Mapped[str | None] = mapped_column(Text)
    source_date: Mapped[datetime | None]
    source_name: Mapped[str | None] = mapped_column(Text)
    source_title: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    content_hash: Mapped[str | None] = mapped_column(Text)
    blob_key: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    status: Mapped[DocumentStatus] = mapped_column(
        Enum(
            DocumentStatus,
            native_enum=False,
            create_constraint=False,  # the CHECK above, named by the convention
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        server_default=DocumentStatus.QUEUED.value,
    )
    status_detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    page_count: Mapped[int | None] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer, server_default="0")
    created_by: Mapped[uuid.UUID | None]
    created_by_username: Mapped[str | None] = mapped_column(Text)


class DocumentContent(Base):
    """A document's extracted text, Markdown and metadata (kept off the `document` row)."""

    __tablename__ = "document_content"

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text)
    markdown: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(Text)
    # NULL until computed: by the annotate stage after `ready`, by a metadata read that comes
    # first, or at extraction by an extractor that returns them. [] means none were found.
    keywords: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    entities: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    warnings: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    # Filled by the annotate stage (summary, questions) when an LLM is configured; absent otherwise.
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # When the annotate stage finished; NULL from each extraction until it has run.
    annotated_at: Mapped[datetime | None]


class DocumentElement(Base):
    """One ordered element of a document's extraction (keyed by its document and position)."""

    __tablename__ = "document_element"

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )
    ord: Mapped[int] = mapped_column(Integer, primary_key=True)
    element_id: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    page_number: Mapped[int | None] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, server_default="{}")


class DocumentImage(UUIDPrimaryKey, Base):
    """An image extracted from a document; its bytes are in the blob store."""

    __tablename__ = "document_image"
    __table_args__ = (
        UniqueConstraint("document_id", "image_id", name="uq_document_image_document_id_image_id"),
        Index("ix_document_image_blob_key", "blob_key"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    image_id: Mapped[str] = mapped_column(Text)
    blob_key: Mapped[str] = mapped_column(Text)
    mime_type: Mapped[str] = mapped_column(Text)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    caption: Mapped[str | None] = mapped_column(Text)
    page_number: Mapped[int | None] = mapped_column(Integer)
