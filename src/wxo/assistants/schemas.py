"""Custom assistant request and response bodies (IBM's CustomAssistant fields).

Unknown request keys are ignored (IBM's client adds e.g. `workspace_id`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from wxo.assistants.models import CustomAssistant

_NAME = (
    "Unique among the tenant's custom assistants (409 otherwise). With only one of `name` and "
    "`nickname`, the other is generated (name: the nickname as an identifier); with neither, "
    "both come from `title` (400 if that is missing too)."
)
_LLM = (
    "A chat model the Model Proxy knows in the tenant (a registered model or model policy, "
    "e.g. `virtual-model/openai/gpt-4o`); 400 otherwise. Unset: the tenant's default chat model."
)


class CustomAssistantCreate(BaseModel):
    """Body of `POST /v1/assistants/custom`."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, max_length=128, description=_NAME)
    nickname: str | None = Field(default=None, max_length=256)
    title: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=8192)
    tags: list[str] | None = None
    instructions: str | None = Field(
        default=None, max_length=32768, description="The system prompt the assistant answers by."
    )
    user_start_messages: list[str] | None = Field(
        default=None, description="Conversation starters shown to users."
    )
    llm_name: str | None = Field(default=None, max_length=512, description=_LLM)
    llm_id: uuid.UUID | None = None
    context_access_enabled: bool = Field(
        default=True, description="Enable access to context variables for this agent."
    )
    context_variables: list[str] = Field(
        default_factory=list,
        description="List of context variable names that this agent can access.",
    )


class CustomAssistantUpdate(BaseModel):
    """Body of `PATCH /v1/assistants/custom/{id}`: only the keys sent change."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=128)
    nickname: str | None = Field(default=None, max_length=256)
    title: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=8192)
    tags: list[str] | None = None
    instructions: str | None = Field(default=None, max_length=32768)
    user_start_messages: list[str] | None = None
    llm_name: str | None = Field(default=None, max_length=512, description=_LLM)
    llm_id: uuid.UUID | None = None
    context_access_enabled: bool | None = None
    context_variables: list[str] | None = None


class CustomAssistantRead(BaseModel):
    """A custom assistant, as `GET /v1/assistants/custom` lists it."""

    type: Literal["custom"] = "custom"
    id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_name: str | None
    title: str | None
    description: str | None
    created_on: datetime
    updated_at: datetime
    created_by: str | None
    created_by_username: str | None
    tags: list[str]
    name: str
    nickname: str | None
    instructions: str | None
    user_start_messages: list[str]
    llm_name: str | None
    llm_id: uuid.UUID | None
    context_access_enabled: bool
    context_variables: list[str]
    collection_id: uuid.UUID | None = Field(
        description="The Document Store collection holding the assistant's files (ours; null "
        "until the first upload)."
    )

    @classmethod
    def of(cls, row: CustomAssistant, tenant_name: str | None) -> CustomAssistantRead:
        """Build from a row."""
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            tenant_name=tenant_name,
            title=row.title,
            description=row.description,
            created_on=row.created_at,
            updated_at=row.updated_at,
            created_by=str(row.created_by) if row.created_by else None,
            created_by_username=row.created_by_username,
            tags=row.tags,
            name=row.name,
            nickname=row.nickname,
            instructions=row.instructions,
            user_start_messages=row.user_start_messages,
            llm_name=row.llm_name,
            llm_id=row.llm_id,
            context_access_enabled=row.context_access_enabled,
            context_variables=row.context_variables,
            collection_id=row.collection_id,
        )


FIELDS: tuple[str, ...] = tuple(CustomAssistantRead.model_fields)


def selected(read: CustomAssistantRead, fields: tuple[str, ...] | None) -> dict[str, Any]:
    """The object with only `fields` (and `type`, which is always there); None: all."""
    data = read.model_dump(mode="json")
    if fields is None:
        return data
    return {k: v for k, v in data.items() if k == "type" or k in fields}
