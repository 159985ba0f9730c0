"""Custom assistants, watsonx Assistant instances and external chat agents

`custom_assistant` (instructions + a Model Proxy model; its files in a Document Store collection),
`watsonx_assistant` (a registered watsonx Assistant instance; secrets of `config` encrypted),
`watsonx_conversation` (the context an instance returned last in a thread, sent back next time) and
`external_chat_agent` (a chat-completions agent elsewhere; secrets of `auth_config` encrypted).
Names are unique per tenant in each table.

Revision ID: a8b3c5d7e923
Revises: f7a2b4c6d812
Create Date: 2026-11-27 00:00:00.000000+00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a8b3c5d7e923"
down_revision: str | None = "f7a2b4c6d812"
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


def _common(table: str) -> list[Any]:
    """Columns and constraints every table here has (tenant, names, descriptive fields)."""
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("nickname", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        _jsonb("tags", "[]"),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_by_username", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f(f"fk_{table}_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f(f"uq_{table}_tenant_id")),
    ]


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "custom_assistant",
        *_common("custom_assistant"),
        sa.Column("instructions", sa.Text(), nullable=True),
        _jsonb("user_start_messages", "[]"),
        sa.Column("llm_name", sa.Text(), nullable=True),
        sa.Column("llm_id", sa.Uuid(), nullable=True),
        sa.Column("context_access_enabled", sa.Boolean(), server_default="true", nullable=False),
        _jsonb("context_variables", "[]"),
        sa.Column("collection_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["document_collection.id"],
            name=op.f("fk_custom_assistant_collection_id_document_collection"),
            ondelete="SET NULL",
        ),
    )
    op.create_table(
        "watsonx_assistant",
        *_common("watsonx_assistant"),
        sa.Column("hidden", sa.Boolean(), server_default="false", nullable=False),
        _jsonb("config", "{}"),
    )
    op.create_table(
        "watsonx_conversation",
        sa.Column("assistant_id", sa.Uuid(), nullable=False),
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        _jsonb("context", "{}"),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["watsonx_assistant.id"],
            name=op.f("fk_watsonx_conversation_assistant_id_watsonx_assistant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_watsonx_conversation_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assistant_id", "thread_id", name=op.f("pk_watsonx_conversation")),
    )
    op.create_table(
        "external_chat_agent",
        *_common("external_chat_agent"),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("api_url", sa.Text(), nullable=False),
        sa.Column("auth_scheme", sa.Text(), server_default="NONE", nullable=False),
        _jsonb("auth_config", "{}"),
        _jsonb("chat_params", "{}"),
        sa.Column("hidden", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("enable_cot", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("provider", sa.Text(), server_default="external_chat", nullable=False),
        sa.Column("connection_id", sa.Text(), nullable=True),
        sa.Column("context_access_enabled", sa.Boolean(), server_default="true", nullable=False),
        _jsonb("context_variables", "[]"),
        sa.CheckConstraint(
            "auth_scheme IN ('BEARER_TOKEN', 'API_KEY', 'NONE')",
            name=op.f("ck_external_chat_agent_auth_scheme"),
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("external_chat_agent")
    op.drop_table("watsonx_conversation")
    op.drop_table("watsonx_assistant")
    op.drop_table("custom_assistant")
