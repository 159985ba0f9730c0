"""Query engines: `query_engine` (tenant-owned, config as JSONB) and the indices it retrieves from

Revision ID: c8f3a2d65b31
Revises: b5c0e7d41a20
Create Date: 2026-11-26 20:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c8f3a2d65b31"
down_revision: str | None = "b5c0e7d41a20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "query_engine",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("model_id", sa.Text(), nullable=True),
        sa.Column(
            "config", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("created_by", sa.Uuid(), nullable=True),
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
            name=op.f("fk_query_engine_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_query_engine")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_query_engine_tenant_id_name"),
    )
    op.create_index(
        "ix_query_engine_tenant_id_created_at",
        "query_engine",
        ["tenant_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "query_engine_index",
        sa.Column("engine_id", sa.Uuid(), nullable=False),
        sa.Column("index_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engine_id"],
            ["query_engine.id"],
            name=op.f("fk_query_engine_index_engine_id_query_engine"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["index_id"],
            ["vector_index.id"],
            name=op.f("fk_query_engine_index_index_id_vector_index"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("engine_id", "index_id", name="pk_query_engine_index"),
    )
    op.create_index(
        "ix_query_engine_index_index_id", "query_engine_index", ["index_id"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_query_engine_index_index_id", table_name="query_engine_index")
    op.drop_table("query_engine_index")
    op.drop_index("ix_query_engine_tenant_id_created_at", table_name="query_engine")
    op.drop_table("query_engine")
