"""Search engines: `search_engine` (tenant-owned), the indices each one searches, suggestions

Revision ID: b5c0e7d41a20
Revises: a7d2e4c91b05
Create Date: 2026-11-26 20:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b5c0e7d41a20"
down_revision: str | None = "a7d2e4c91b05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "search_engine",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "settings", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("suggestions_source", sa.Text(), nullable=True),
        sa.Column("suggestions_built_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suggestions_queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_search_engine_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_engine")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_search_engine_tenant_id_name"),
    )
    op.create_index(
        "ix_search_engine_tenant_id_created_at",
        "search_engine",
        ["tenant_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "search_engine_index",
        sa.Column("engine_id", sa.Uuid(), nullable=False),
        sa.Column("index_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engine_id"],
            ["search_engine.id"],
            name=op.f("fk_search_engine_index_engine_id_search_engine"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["index_id"],
            ["vector_index.id"],
            name=op.f("fk_search_engine_index_index_id_vector_index"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("engine_id", "index_id", name="pk_search_engine_index"),
    )
    op.create_index(
        "ix_search_engine_index_index_id", "search_engine_index", ["index_id"], unique=False
    )
    op.create_table(
        "search_suggestion",
        sa.Column("engine_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engine_id"],
            ["search_engine.id"],
            name=op.f("fk_search_suggestion_engine_id_search_engine"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("engine_id", "source", "key", name="pk_search_suggestion"),
    )
    op.create_index(
        "ix_search_suggestion_engine_id_key",
        "search_suggestion",
        ["engine_id", "key"],
        unique=False,
        postgresql_ops={"key": "text_pattern_ops"},
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_search_suggestion_engine_id_key", table_name="search_suggestion")
    op.drop_table("search_suggestion")
    op.drop_index("ix_search_engine_index_index_id", table_name="search_engine_index")
    op.drop_table("search_engine_index")
    op.drop_index("ix_search_engine_tenant_id_created_at", table_name="search_engine")
    op.drop_table("search_engine")
