"""Auth request/response models and the authenticated principal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, and the tenant the token is scoped to (if any)."""

    user_id: uuid.UUID
    username: str
    token_id: uuid.UUID
    tenant_id: uuid.UUID | None
    tenant_name: str | None


@dataclass(frozen=True)
class TenantPrincipal(Principal):
    """A principal whose token is scoped to a tenant (required by every tenant-owned route)."""

    tenant_id: uuid.UUID
    tenant_name: str


class TokenRead(BaseModel):
    """The body of `POST /api/v1/auth/token`."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105
    tenant_id: uuid.UUID | None = None


class TenantCreate(BaseModel):
    """Body of `POST /api/v1/tenants` (the ADK sends name, title and tags)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    title: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=4096)
    tags: list[str] = Field(default_factory=list)


class TenantUpdate(BaseModel):
    """Body of `PATCH /v1/tenants/{tenant_id}`."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=4096)
    tags: list[str] | None = None
    settings: dict[str, Any] | None = None


class TenantRead(BaseModel):
    """A tenant as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    title: str | None
    description: str | None
    tags: list[str]
    settings: dict[str, Any]
    created_on: datetime
    created_by: str | None
    created_by_username: str | None
    updated_at: datetime
