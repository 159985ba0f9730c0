"""Search Engine tables: the engine, the indices it searches (in order), and its suggestions.

`search_suggestion` is a cache of the titles, headings and keywords an engine can complete,
built by the first `suggest` and rebuilt by a worker when the engine's chunks changed or the
cache is older than a few minutes (see `wxo.search_engines.service.suggest`): a prefix lookup
is then one index range scan.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, PrimaryKeyConstraint, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wxo.core.db import Base, Timestamps, UUIDPrimaryKey


class SearchEngine(UUIDPrimaryKey, Timestamps, Base):
    """A tenant's search engine: its indices are in `search_engine_index`."""

    __tablename__ = "search_engine"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_search_engine_tenant_id_name"),
        Index("ix_search_engine_tenant_id_created_at", "tenant_id", "created_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_by: Mapped[uuid.UUID | None]
    # What `search_suggestion` was built from (index ids and chunk count), when, and when a
    # rebuild was last sent to the workers.
    suggestions_source: Mapped[str | None] = mapped_column(Text)
    suggestions_built_at: Mapped[datetime | None]
    suggestions_queued_at: Mapped[datetime | None]


class SearchEngineIndex(Base):
    """One index an engine searches; deleting the index removes it from the engine."""

    __tablename__ = "search_engine_index"
    __table_args__ = (
        PrimaryKeyConstraint("engine_id", "index_id", name="pk_search_engine_index"),
        Index("ix_search_engine_index_index_id", "index_id"),
    )

    engine_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("search_engine.id", ondelete="CASCADE"))
    index_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vector_index.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)


class SearchSuggestion(Base):
    """A text an engine's suggest can complete to: a title, heading or keyword."""

    __tablename__ = "search_suggestion"
    __table_args__ = (
        PrimaryKeyConstraint("engine_id", "source", "key", name="pk_search_suggestion"),
        Index(
            "ix_search_suggestion_engine_id_key",
            "engine_id",
            "key",
            postgresql_ops={"key": "text_pattern_ops"},
        ),
    )

    engine_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("search_engine.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(Text)  # title | heading | keyword
    key: Mapped[str] = mapped_column(Text)  # lower case, spaces collapsed: what prefixes match
    text: Mapped[str] = mapped_column(Text)  # as shown
    documents: Mapped[int] = mapped_column(Integer)
