"""External chat agent request and response bodies (IBM's CreateExternalChatAgent shape).

Unknown keys are ignored (IBM's client adds e.g. `workspace_id`). Secrets of `auth_config`
read back as `********`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from wxo.external_agents.fields import redact
from wxo.external_agents.models import ExternalChatAgent


class AuthScheme(StrEnum):
    """How the server authenticates to the agent."""

    BEARER_TOKEN = "BEARER_TOKEN"  # noqa: S105 (a scheme name)
    API_KEY = "API_KEY"
    NONE = "NONE"


_AUTH_CONFIG = (
    'Credentials for `auth_scheme`: `{"token": ...}` for BEARER_TOKEN (sent as '
    '`Authorization: Bearer <token>`); `{"api_key": ..., "header_name": "X-API-Key"}` for '
    "API_KEY (sent in that header, `X-API-Key` by default). Stored encrypted; read back as "
    "`********` (send `********` back to keep a stored secret)."
)
_API_URL = (
    "The agent's full chat-completions endpoint (e.g. `https://host/v1/chat/completions`): the "
    "server POSTs to it as is. Must be http(s) and, unless allowed by the administrator, not an "
    "internal address (400 otherwise)."
)


class AgentConfig(BaseModel):
    """`config` of an external chat agent."""

    model_config = ConfigDict(extra="ignore")

    hidden: bool = False
    enable_cot: bool = False


class ExternalChatAgentCreate(BaseModel):
    """Body of `POST /v1/agents/external-chat`."""

    model_config = ConfigDict(extra="ignore")

    api_url: str = Field(min_length=1, max_length=2048, description=_API_URL)
    title: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=8192)
    tags: list[str] | None = None
    name: str | None = Field(
        default=None,
        max_length=128,
        description="Unique in the tenant (409 otherwise). With only one of `name` and "
        "`nickname`, the other is generated; with neither, both come from `title`.",
    )
    nickname: str | None = Field(default=None, max_length=256)
    instructions: str | None = Field(default=None, max_length=32768)
    connection_id: str | None = None
    auth_scheme: AuthScheme = AuthScheme.NONE
    auth_config: dict[str, Any] = Field(default_factory=dict, description=_AUTH_CONFIG)
    chat_params: dict[str, Any] = Field(
        default_factory=dict,
        description='Extra request fields sent to the agent (e.g. `{"stream": true}`; '
        "`stream` defaults to true).",
    )
    config: AgentConfig | None = None
    provider: str = Field(default="external_chat", max_length=128)
    context_access_enabled: bool = True
    context_variables: list[str] = Field(default_factory=list)


class ExternalChatAgentUpdate(BaseModel):
    """Body of `PATCH /v1/agents/external-chat/{id}`: only the keys sent change."""

    model_config = ConfigDict(extra="ignore")

    api_url: str | None = Field(default=None, min_length=1, max_length=2048)
    title: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=8192)
    tags: list[str] | None = None
    name: str | None = Field(default=None, min_length=1, max_length=128)
    nickname: str | None = Field(default=None, max_length=256)
    instructions: str | None = Field(default=None, max_length=32768)
    connection_id: str | None = None
    auth_scheme: AuthScheme | None = None
    auth_config: dict[str, Any] | None = Field(default=None, description=_AUTH_CONFIG)
    chat_params: dict[str, Any] | None = None
    config: AgentConfig | None = None
    hidden: bool | None = None
    provider: str | None = Field(default=None, max_length=128)
    context_access_enabled: bool | None = None
    context_variables: list[str] | None = None


class ExternalChatAgentRead(BaseModel):
    """An external chat agent (secrets masked)."""

    type: Literal["external_chat"] = "external_chat"
    id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_name: str | None
    title: str | None
    description: str | None
    created_on: datetime
    created_by: uuid.UUID | None
    created_by_username: str | None
    updated_at: datetime
    tags: list[str]
    name: str
    provider: str
    nickname: str | None
    hidden: bool
    api_url: str
    auth_scheme: AuthScheme
    instructions: str | None
    auth_config: dict[str, Any] = Field(description="Secrets masked as `********`.")
    chat_params: dict[str, Any]
    enable_cot: bool
    connection_id: str | None
    config: AgentConfig
    context_access_enabled: bool
    context_variables: list[str]

    @classmethod
    def of(cls, row: ExternalChatAgent, tenant_name: str | None) -> ExternalChatAgentRead:
        """Build from a row, secrets masked."""
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            tenant_name=tenant_name,
            title=row.title,
            description=row.description,
            created_on=row.created_at,
            created_by=row.created_by,
            created_by_username=row.created_by_username,
            updated_at=row.updated_at,
            tags=row.tags,
            name=row.name,
            provider=row.provider,
            nickname=row.nickname,
            hidden=row.hidden,
            api_url=row.api_url,
            auth_scheme=AuthScheme(row.auth_scheme),
            instructions=row.instructions,
            auth_config=redact(row.auth_config),
            chat_params=row.chat_params,
            enable_cot=row.enable_cot,
            connection_id=row.connection_id,
            config=AgentConfig(hidden=row.hidden, enable_cot=row.enable_cot),
            context_access_enabled=row.context_access_enabled,
            context_variables=row.context_variables,
        )
