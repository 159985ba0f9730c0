"""Query engines

(Reserved slot: filled in by the work that owns it.)

Revision ID: c8f3a2d65b31
Revises: b5c0e7d41a20
Create Date: 2026-11-26 20:30:00.000000+00:00
"""

from collections.abc import Sequence

revision: str = "c8f3a2d65b31"
down_revision: str | None = "b5c0e7d41a20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""


def downgrade() -> None:
    """Revert this revision."""
