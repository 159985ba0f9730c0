"""Agents and knowledge bases

`agent` (a tenant's native agents; knowledge base and collaborator ids as JSONB arrays, other
client fields in `extra`) and `knowledge_base` (a tenant's knowledge bases, each over one
document collection whose automatic index is searched; cascade-deleted with the collection).

Revision ID: e6f1a3b5c701
Revises: d2a9b4e87c42
Create Date: 2026-11-27 00:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e6f1a3b5c701"
down_revision: str | None = "d2a9b4e87c42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
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
    ]


def _jsonb(name: str, default: str) -> sa.Column[object]:
    return sa.Column(
        name, postgresql.JSONB(astext_type=sa.Text()), server_default=default, nullable=False
    )


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenant.id"], name=op.f(f"fk_{table}_tenant_id_tenant"), ondelete="CASCADE"
    )


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "agent",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("llm", sa.Text(), nullable=True),
        sa.Column("style", sa.Text(), server_default="default", nullable=False),
        _jsonb("tools", "[]"),
        _jsonb("knowledge_base_ids", "[]"),
        _jsonb("collaborator_ids", "[]"),
        _jsonb("extra", "{}"),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        _tenant_fk("agent"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_agent_tenant_id_name"),
    )
    op.create_index("ix_agent_tenant_id_created_at", "agent", ["tenant_id", "created_at"])
    op.create_table(
        "knowledge_base",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        _jsonb("extra", "{}"),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        _tenant_fk("knowledge_base"),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["document_collection.id"],
            name=op.f("fk_knowledge_base_collection_id_document_collection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_base")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_knowledge_base_tenant_id_name"),
    )
    op.create_index(
        "ix_knowledge_base_tenant_id_created_at", "knowledge_base", ["tenant_id", "created_at"]
    )
    op.create_index("ix_knowledge_base_collection_id", "knowledge_base", ["collection_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_knowledge_base_collection_id", table_name="knowledge_base")
    op.drop_index("ix_knowledge_base_tenant_id_created_at", table_name="knowledge_base")
    op.drop_table("knowledge_base")
    op.drop_index("ix_agent_tenant_id_created_at", table_name="agent")
    op.drop_table("agent")
