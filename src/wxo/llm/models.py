"""The model registry table: a tenant's virtual models (provider endpoints and their secrets)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from wxo.core.db import Base, Timestamps, UUIDPrimaryKey

MODEL_TYPES = ("chat", "chat_vision", "completion", "embedding")

# The rows that count as a tenant's default chat / embedding model (IBM also marks a default
# embedding model with plain `default`). Partial unique indexes keep them at most one each.
DEFAULT_CHAT_WHERE = "model_type <> 'embedding' AND tags ? 'default'"
DEFAULT_EMBEDDING_WHERE = (
    "model_type = 'embedding' AND tags ?| ARRAY['default', 'default_embedding']::text[]"
)


class Model(UUIDPrimaryKey, Timestamps, Base):
    """A virtual model: a name the tenant calls, and how to reach the provider behind it.

    `provider_config` holds IBM's provider-config keys (snake_case) with secret values encrypted
    (`wxo.llm.crypto`); `config` holds non-secret settings: `fallbacks` and default parameters.
    """

    __tablename__ = "model"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_model_tenant_id_name"),
        Index(
            "uq_model_tenant_id_default_chat",
            "tenant_id",
            unique=True,
            postgresql_where=text(DEFAULT_CHAT_WHERE),
        ),
        Index(
            "uq_model_tenant_id_default_embedding",
            "tenant_id",
            unique=True,
            postgresql_where=text(DEFAULT_EMBEDDING_WHERE),
        ),
        CheckConstraint(
            "model_type IN (" + ", ".join(f"'{t}'" for t in MODEL_TYPES) + ")", name="model_type"
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(Text)
    upstream_model: Mapped[str] = mapped_column(Text)
    model_type: Mapped[str] = mapped_column(Text, server_default="chat")
    tags: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    provider_config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    connection_id: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]


class ModelPolicy(UUIDPrimaryKey, Timestamps, Base):
    """A model policy (IBM's `ModelPolicy`): a name that routes to several virtual models.

    `policy` holds IBM's `{strategy{mode, on_status_codes}, retry{attempts, on_status_codes},
    targets[{model_name, weight}], cache}` as validated by `wxo.llm.policy_schemas`.
    """

    __tablename__ = "model_policy"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_model_policy_tenant_id_name"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[uuid.UUID | None]
