"""Document elements keyed by (document_id, ord); extracted text stored uncompressed

An element's surrogate UUID was read by nothing, and its random values made every insert
touch a random page of a second B-tree: storing an HTML manual's elements cost PostgreSQL
about a third more (bench/ingest.py, docs/decisions.md "Storing extraction results").
`(document_id, ord)`, unique already, becomes the primary key.

`document_content.text` and `.markdown` are stored uncompressed (`STORAGE EXTERNAL`): pglz
took two thirds of PostgreSQL's time to store them, for texts that are read whole.

Revision ID: b9c4d6e8f034
Revises: a8b3c5d7e923
Create Date: 2026-11-27 14:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b9c4d6e8f034"
down_revision: str | None = "a8b3c5d7e923"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("pk_document_element", "document_element", type_="primary")
    op.drop_column("document_element", "id")
    op.drop_constraint("uq_document_element_document_id_ord", "document_element", type_="unique")
    op.create_primary_key("pk_document_element", "document_element", ["document_id", "ord"])
    op.execute(
        "ALTER TABLE document_content"
        " ALTER COLUMN text SET STORAGE EXTERNAL, ALTER COLUMN markdown SET STORAGE EXTERNAL"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE document_content"
        " ALTER COLUMN text SET STORAGE EXTENDED, ALTER COLUMN markdown SET STORAGE EXTENDED"
    )
    op.drop_constraint("pk_document_element", "document_element", type_="primary")
    op.create_unique_constraint(
        "uq_document_element_document_id_ord", "document_element", ["document_id", "ord"]
    )
    op.add_column(
        "document_element",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
    )
    op.alter_column("document_element", "id", server_default=None)
    op.create_primary_key("pk_document_element", "document_element", ["id"])
