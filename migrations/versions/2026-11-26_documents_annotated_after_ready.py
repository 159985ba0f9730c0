"""Documents are annotated after they are ready

Keywords, entities and the LLM summary move to an `annotate` stage that runs once a document is
searchable: `document_content.annotated_at` says when it ran, and `keywords`/`entities` are NULL
until they are computed. Existing rows were annotated inline at extraction: they get `now()`.

Revision ID: a7d2e4c91b05
Revises: f427b570224a
Create Date: 2026-11-26 18:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a7d2e4c91b05"
down_revision: str | None = "f427b570224a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "document_content", sa.Column("annotated_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute("UPDATE document_content SET annotated_at = now()")
    for column in ("keywords", "entities"):
        op.alter_column(
            "document_content",
            column,
            existing_type=postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            server_default=None,
        )


def downgrade() -> None:
    """Revert this revision."""
    op.execute(
        "UPDATE document_content SET keywords = coalesce(keywords, '[]'),"
        " entities = coalesce(entities, '[]') WHERE keywords IS NULL OR entities IS NULL"
    )
    for column in ("keywords", "entities"):
        op.alter_column(
            "document_content",
            column,
            existing_type=postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default="[]",
        )
    op.drop_column("document_content", "annotated_at")
