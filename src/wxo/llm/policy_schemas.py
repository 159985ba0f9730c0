"""Bodies of the model policy routes (`/v1/model_policy`), in IBM's `ModelPolicy` shape."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from wxo.llm.models import ModelPolicy

MAX_TARGETS = 16
StatusCode = Annotated[int, Field(ge=100, le=599)]


class PolicyStrategy(BaseModel):
    """How the targets share the work; `on_status_codes` narrows when `fallback` moves on."""

    model_config = ConfigDict(extra="ignore")

    mode: Literal["loadbalance", "fallback", "single"]
    on_status_codes: list[StatusCode] | None = Field(
        default=None, description="Upstream statuses that trigger the fallback (default: 429/5xx)."
    )


class PolicyRetry(BaseModel):
    """Retries of one target before the strategy moves on."""

    model_config = ConfigDict(extra="ignore")

    attempts: int | None = Field(default=None, ge=0, le=10, description="Retries per target.")
    on_status_codes: list[StatusCode] | None = Field(
        default=None, description="Upstream statuses worth a retry (default: 429/5xx)."
    )


class PolicyTarget(BaseModel):
    """One model of the policy (a `virtual-model/...` name, or a built-in `local/...` one)."""

    model_config = ConfigDict(extra="forbid")

    model_name: str = Field(min_length=1, max_length=256)
    weight: float | None = Field(default=None, gt=0, description="For `loadbalance` (default 1).")


class PolicyConfig(BaseModel):
    """IBM's `FullModelConfig` / `ModelPolicyInner`. Nested policies are not supported."""

    model_config = ConfigDict(extra="ignore")

    strategy: PolicyStrategy
    retry: PolicyRetry | None = None
    targets: list[PolicyTarget] = Field(min_length=1, max_length=MAX_TARGETS)
    cache: dict[str, Any] | None = Field(default=None, description="Accepted, not used.")


class ModelPolicyCreate(BaseModel):
    """Body of `POST /v1/model_policy` and `PUT /v1/model_policy/{id}` (IBM's `ModelPolicy`)."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=256, pattern=r"^\S+$")
    display_name: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=4096)
    policy: PolicyConfig


class ModelPolicyRead(BaseModel):
    """A model policy as the API returns it (validates as IBM's `ModelPolicy`)."""

    id: uuid.UUID
    name: str
    display_name: str
    description: str
    policy: dict[str, Any]
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ModelPolicy) -> ModelPolicyRead:
        """Build from a row (IBM's client needs `display_name` and `description` as strings)."""
        return cls(
            id=row.id,
            name=row.name,
            display_name=row.display_name or row.name,
            description=row.description or "",
            policy=row.policy,
            created_by=row.created_by,
            created_at=row.created_at.astimezone(UTC),
            updated_at=row.updated_at.astimezone(UTC),
        )


class ModelPolicyDeleted(BaseModel):
    """The answer to a successful delete."""

    id: uuid.UUID
    deleted: bool = True
