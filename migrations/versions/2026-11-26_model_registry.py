"""Model registry: tenants' virtual models (provider endpoints, secrets encrypted)

Revision ID: 6be17c16e0e7
Revises: 3201fcc96399
Create Date: 2026-11-26 05:50:57.483447+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "6be17c16e0e7"
down_revision: str | None = "3201fcc96399"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODEL_TYPES = ("chat", "chat_vision", "completion", "embedding")
# At most one default chat and one default embedding model per tenant (see wxo.llm.models).
DEFAULT_CHAT_WHERE = "model_type <> 'embedding' AND tags ? 'default'"
DEFAULT_EMBEDDING_WHERE = (
    "model_type = 'embedding' AND tags ?| ARRAY['default', 'default_embedding']::text[]"
)


def _jsonb(name: str, default: str) -> sa.Column[object]:
    return sa.Column(
        name, postgresql.JSONB(astext_type=sa.Text()), server_default=default, nullable=False
    )


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "model",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("upstream_model", sa.Text(), nullable=False),
        sa.Column("model_type", sa.Text(), server_default="chat", nullable=False),
        _jsonb("tags", "[]"),
        _jsonb("config", "{}"),
        _jsonb("provider_config", "{}"),
        sa.Column("connection_id", sa.Text(), nullable=True),
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
        sa.CheckConstraint(
            "model_type IN (" + ", ".join(f"'{t}'" for t in MODEL_TYPES) + ")",
            name=op.f("ck_model_model_type"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_model_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_model_tenant_id_name"),
    )
    op.create_index(
        "uq_model_tenant_id_default_chat",
        "model",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text(DEFAULT_CHAT_WHERE),
    )
    op.create_index(
        "uq_model_tenant_id_default_embedding",
        "model",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text(DEFAULT_EMBEDDING_WHERE),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("uq_model_tenant_id_default_embedding", table_name="model")
    op.drop_index("uq_model_tenant_id_default_chat", table_name="model")
    op.drop_table("model")
