"""Web sources, refresh schedules and refresh runs

(Reserved slot: filled in by the work that owns it.)

Revision ID: d2a9b4e87c42
Revises: c8f3a2d65b31
Create Date: 2026-11-26 20:30:00.000000+00:00
"""

from collections.abc import Sequence

revision: str = "d2a9b4e87c42"
down_revision: str | None = "c8f3a2d65b31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""


def downgrade() -> None:
    """Revert this revision."""
