"""Runs and run events (reserved)

Revision ID: f7a2b4c6d812
Revises: e6f1a3b5c701
Create Date: 2026-11-27 00:00:00.000000+00:00
"""

from collections.abc import Sequence

revision: str = "f7a2b4c6d812"
down_revision: str | None = "e6f1a3b5c701"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""


def downgrade() -> None:
    """Revert this revision."""
