"""Vector Index tables: indices, the collections they cover, chunks and the BM25 postings.

One `chunk` table serves every index and every embedding size: `embedding` is an untyped
`vector`, and the migration adds one partial HNSW index per common size (`dims` = 384, 768,
1024, 1536) on `embedding::vector(n)`. Searches name the size, so the planner picks the
matching partial index; other sizes are searched exactly.

Keyword search is BM25 over `bm25_posting` (one row per term per chunk, with its frequency and
the chunk's length). A term's document frequency is the sum of its rows in `bm25_df`, which
statement triggers on `bm25_posting` append to (+n on insert, -n on delete) in the writer's own
transaction, so it is exact in every snapshot and writers never wait on a shared term's row;
`bm25_stat` (chunk count and total length per index and language) is kept by statement triggers
on `chunk` (see the migrations).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    Text,
    UniqueConstraint,
    cast,
    column,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wxo.core.db import Base, Timestamps, UUIDPrimaryKey

#: Embedding sizes with an HNSW index (the migration creates one partial index per size).
HNSW_DIMENSIONS = (384, 768, 1024, 1536)


class IndexStatus(StrEnum):
    """`VectorIndexStatus` (documented)."""

    READY = "ready"
    NOT_READY = "not_ready"
    REBUILDING = "rebuilding"
    ERROR = "error"
    UPDATE_PENDING = "update_pending"


class VectorIndex(UUIDPrimaryKey, Timestamps, Base):
    """A tenant's searchable index over one or more collections."""

    __tablename__ = "vector_index"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_vector_index_tenant_id_name"),
        # At most one automatic index per collection.
        Index(
            "uq_vector_index_default_for_collection_id",
            "default_for_collection_id",
            unique=True,
            postgresql_where="default_for_collection_id IS NOT NULL",
        ),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in IndexStatus) + ")", name="status"
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    embeddings_model_name: Mapped[str | None] = mapped_column(Text)
    dimensions: Mapped[int | None] = mapped_column(Integer)
    chunk_size: Mapped[int] = mapped_column(Integer)
    chunk_overlap: Mapped[int] = mapped_column(Integer)
    top_k: Mapped[int] = mapped_column(Integer)
    extraction_strategy: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # Bumped when chunking or the model changes: documents indexed under an older one are stale.
    generation: Mapped[int] = mapped_column(Integer, server_default="1")
    status: Mapped[IndexStatus] = mapped_column(
        Enum(
            IndexStatus,
            native_enum=False,
            create_constraint=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        server_default=IndexStatus.READY.value,
    )
    status_detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    default_for_collection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document_collection.id", ondelete="CASCADE")
    )
    created_by: Mapped[uuid.UUID | None]


class VectorIndexCollection(Base):
    """A collection an index covers."""

    __tablename__ = "vector_index_collection"
    __table_args__ = (
        PrimaryKeyConstraint("index_id", "collection_id", name="pk_vector_index_collection"),
        Index("ix_vector_index_collection_collection_id", "collection_id"),
    )

    index_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vector_index.id", ondelete="CASCADE"))
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document_collection.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(server_default="now()")


class IndexedDocument(Base):
    """Which bytes of a document an index holds chunks of (and under which generation)."""

    __tablename__ = "indexed_document"
    __table_args__ = (
        PrimaryKeyConstraint("index_id", "document_id", name="pk_indexed_document"),
        Index("ix_indexed_document_document_id", "document_id"),
    )

    index_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vector_index.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(Text)
    generation: Mapped[int] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer)
    indexed_at: Mapped[datetime] = mapped_column(server_default="now()")


class Chunk(UUIDPrimaryKey, Base):
    """A passage of a document in one index, with its embedding and BM25 length."""

    __tablename__ = "chunk"
    __table_args__ = (
        Index("ix_chunk_document_id", "document_id"),
        Index("ix_chunk_index_id_collection_id", "index_id", "collection_id"),
        UniqueConstraint("seq", name="uq_chunk_seq"),
        *(
            Index(
                f"ix_chunk_embedding_hnsw_{dims}",
                cast(column("embedding"), Vector(dims)).label("embedding"),
                postgresql_using="hnsw",
                postgresql_ops={"embedding": "vector_cosine_ops"},
                postgresql_where=text(f"dims = {dims}"),
            )
            for dims in HNSW_DIMENSIONS
        ),
    )

    # A compact key for the postings (a UUID would double their size).
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    index_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vector_index.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    collection_id: Mapped[uuid.UUID]
    ord: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # Indexed with the text: the heading path, or the document title (see `chunking`).
    context: Mapped[str] = mapped_column(Text, server_default="")
    heading_path: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    page_number: Mapped[int | None] = mapped_column(Integer)
    element_types: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    # Copied from the document so that filters need no join.
    tags: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    meta: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    content_type: Mapped[str | None] = mapped_column(Text)
    source_date: Mapped[datetime | None]
    language: Mapped[str] = mapped_column(Text)  # a PostgreSQL text search configuration
    length: Mapped[int] = mapped_column(Integer)  # BM25 document length: lexeme positions
    dims: Mapped[int] = mapped_column(SmallInteger)
    embedding: Mapped[Any] = mapped_column(Vector())
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, server_default="{}")


class Bm25Posting(Base):
    """One term of one chunk: how often it occurs there, and the chunk's length."""

    __tablename__ = "bm25_posting"
    __table_args__ = (
        # Index-only scans of a term's postings; `tf` and `dl` ride along in the leaf pages.
        PrimaryKeyConstraint(
            "index_id",
            "term",
            "chunk_seq",
            name="pk_bm25_posting",
            postgresql_include=["tf", "dl"],
        ),
        # Deleting a chunk finds its postings through this tiny index (rows arrive in seq order).
        Index("ix_bm25_posting_chunk_seq", "chunk_seq", postgresql_using="brin"),
    )

    index_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vector_index.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(Text)
    chunk_seq: Mapped[int] = mapped_column(BigInteger, ForeignKey("chunk.seq", ondelete="CASCADE"))
    tf: Mapped[int] = mapped_column(SmallInteger)
    dl: Mapped[int] = mapped_column(Integer)


class Bm25Df(Base):
    """A change to the document frequency of an index's term: df(term) = the sum of its rows.

    Written only by triggers (migration `c4e7a9d1f256`): each statement that inserts or deletes
    postings appends one row per index and term it touched; the insert trigger folds a term's
    rows into one once it has more than 32. No foreign key (a check per row would cost more
    than the row): a trigger on `vector_index` deletes an index's rows with it.
    """

    __tablename__ = "bm25_df"
    __table_args__ = (
        # A term's rows are one index-only range scan.
        PrimaryKeyConstraint(
            "index_id", "term", "seq", name="pk_bm25_df", postgresql_include=["df"]
        ),
    )

    index_id: Mapped[uuid.UUID] = mapped_column()
    term: Mapped[str] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    df: Mapped[int] = mapped_column(Integer)


class Bm25Stat(Base):
    """Chunk count and total length of an index's chunks in one language (kept by triggers)."""

    __tablename__ = "bm25_stat"
    __table_args__ = (PrimaryKeyConstraint("index_id", "language", name="pk_bm25_stat"),)

    index_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vector_index.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(Text)
    chunk_count: Mapped[int] = mapped_column(BigInteger, server_default="0")
    total_length: Mapped[int] = mapped_column(BigInteger, server_default="0")


class IndexTask(UUIDPrimaryKey, Timestamps, Base):
    """A background task on an index (rebuild, refresh): the documented task object."""

    __tablename__ = "vector_index_task"
    __table_args__ = (Index("ix_vector_index_task_index_id", "index_id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    index_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vector_index.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="unknown")
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
