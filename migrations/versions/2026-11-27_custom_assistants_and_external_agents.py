"""Custom assistants, watsonx Assistant instances and external chat agents (reserved)

Revision ID: a8b3c5d7e923
Revises: f7a2b4c6d812
Create Date: 2026-11-27 00:00:00.000000+00:00
"""

from collections.abc import Sequence

revision: str = "a8b3c5d7e923"
down_revision: str | None = "f7a2b4c6d812"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""


def downgrade() -> None:
    """Revert this revision."""
