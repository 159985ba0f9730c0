"""Agents and knowledge bases (reserved)

Revision ID: e6f1a3b5c701
Revises: d2a9b4e87c42
Create Date: 2026-11-27 00:00:00.000000+00:00
"""

from collections.abc import Sequence

revision: str = "e6f1a3b5c701"
down_revision: str | None = "d2a9b4e87c42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""


def downgrade() -> None:
    """Revert this revision."""
