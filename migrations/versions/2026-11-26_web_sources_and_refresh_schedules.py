"""Web sources, refresh schedules and refresh runs

`web_source` (one crawl configuration per collection), `refresh_schedule` (cron schedules of
collections and engines, claimed by the beat tick with FOR UPDATE SKIP LOCKED) and
`refresh_run` (what each refresh did; at most one queued or running per collection).

Revision ID: d2a9b4e87c42
Revises: c8f3a2d65b31
Create Date: 2026-11-26 20:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d2a9b4e87c42"
down_revision: str | None = "c8f3a2d65b31"
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


def _collection_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["collection_id"],
        ["document_collection.id"],
        name=op.f(f"fk_{table}_collection_id_document_collection"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "web_source",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        _jsonb("seed_urls", "[]"),
        sa.Column("sitemap_url", sa.Text(), nullable=True),
        sa.Column("max_depth", sa.Integer(), nullable=False),
        sa.Column("max_pages", sa.Integer(), nullable=False),
        sa.Column("max_page_bytes", sa.BigInteger(), nullable=False),
        sa.Column("same_host_only", sa.Boolean(), server_default="true", nullable=False),
        _jsonb("include_patterns", "[]"),
        _jsonb("exclude_patterns", "[]"),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        _tenant_fk("web_source"),
        _collection_fk("web_source"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_source")),
        sa.UniqueConstraint("collection_id", name="uq_web_source_collection_id"),
    )
    op.create_table(
        "refresh_schedule",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("owner_kind", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("cron", sa.Text(), nullable=False),
        _jsonb("index_ids", "[]"),
        _jsonb("collection_ids", "[]"),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "owner_kind IN ('collection', 'query_engine', 'search_engine')",
            name=op.f("ck_refresh_schedule_owner_kind"),
        ),
        _tenant_fk("refresh_schedule"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_schedule")),
        sa.UniqueConstraint(
            "owner_kind", "owner_id", name="uq_refresh_schedule_owner_kind_owner_id"
        ),
    )
    op.create_index(
        "ix_refresh_schedule_next_run_at",
        "refresh_schedule",
        ["next_run_at"],
        unique=False,
        postgresql_where=sa.text("enabled"),
    )
    op.create_table(
        "refresh_run",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("schedule_id", sa.Uuid(), nullable=True),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="queued", nullable=False),
        _jsonb("counts", "{}"),
        _jsonb("errors", "[]"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'completed', 'failed')",
            name=op.f("ck_refresh_run_status"),
        ),
        _tenant_fk("refresh_run"),
        _collection_fk("refresh_run"),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["refresh_schedule.id"],
            name=op.f("fk_refresh_run_schedule_id_refresh_schedule"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_run")),
    )
    op.create_index(
        "ix_refresh_run_tenant_id_created_at", "refresh_run", ["tenant_id", "created_at"]
    )
    op.create_index(
        "ix_refresh_run_collection_id_created_at", "refresh_run", ["collection_id", "created_at"]
    )
    op.create_index(
        "uq_refresh_run_active_collection_id",
        "refresh_run",
        ["collection_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("refresh_run")
    op.drop_index("ix_refresh_schedule_next_run_at", table_name="refresh_schedule")
    op.drop_table("refresh_schedule")
    op.drop_table("web_source")
