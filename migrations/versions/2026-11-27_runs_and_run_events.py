"""Runs and run events

`run` (one Orchestrate run: the request, its status and lifecycle stamps, the heartbeat of the
worker executing it, `event_count` allocating event numbers) and `run_event` (the run's events in
order, replayed to streams and `GET /v1/orchestrate/runs/{id}/events`).

Revision ID: f7a2b4c6d812
Revises: e6f1a3b5c701
Create Date: 2026-11-27 00:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f7a2b4c6d812"
down_revision: str | None = "e6f1a3b5c701"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = (
    "pending",
    "running",
    "completed",
    "async_wait",
    "async_completed",
    "failed",
    "cancelled",
    "requires_input",
    "expired",
)


def _jsonb(name: str, default: str) -> sa.Column[object]:
    return sa.Column(
        name, postgresql.JSONB(astext_type=sa.Text()), server_default=default, nullable=False
    )


def _at(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "run",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("assistant_id", sa.Uuid(), nullable=True),
        sa.Column("agent_id", sa.Text(), nullable=True),
        sa.Column("environment_id", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_by_username", sa.Text(), nullable=True),
        sa.Column("task_id", sa.Text(), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("response_message_id", sa.Uuid(), nullable=True),
        _jsonb("llm_params", "{}"),
        _jsonb("guardrails", "{}"),
        _jsonb("context", "{}"),
        _jsonb("context_variables", "{}"),
        _jsonb("additional_parameters", "{}"),
        _jsonb("additional_properties", "{}"),
        sa.Column("capture_logs", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("multiple_content", sa.Boolean(), server_default="false", nullable=False),
        _jsonb("usage", "{}"),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("trace_id", sa.Text(), nullable=True),
        _at("started_at"),
        _at("completed_at"),
        _at("failed_at"),
        _at("cancelled_at"),
        _at("cancel_requested_at"),
        _at("heartbeat_at"),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("event_count", sa.BigInteger(), server_default="0", nullable=False),
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
            "status IN (" + ", ".join(f"'{s}'" for s in _STATUSES) + ")",
            name=op.f("ck_run_status"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_run_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["thread.id"], name=op.f("fk_run_thread_id_thread"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run")),
    )
    op.create_index(
        "ix_run_tenant_id_created_at",
        "run",
        ["tenant_id", sa.text("created_at DESC"), sa.text("id DESC")],
    )
    op.create_index("ix_run_tenant_id_assistant_id", "run", ["tenant_id", "assistant_id"])
    op.create_index(
        "ix_run_heartbeat_at",
        "run",
        ["heartbeat_at"],
        postgresql_where=sa.text("status = 'running'"),
    )
    op.create_table(
        "run_event",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_run_event_run_id_run"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_run_event_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "seq", name="pk_run_event"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("run_event")
    op.drop_index("ix_run_heartbeat_at", table_name="run")
    op.drop_index("ix_run_tenant_id_assistant_id", table_name="run")
    op.drop_index("ix_run_tenant_id_created_at", table_name="run")
    op.drop_table("run")
