"""watsonx Assistant instance bodies (IBM's WatsonAssistantConfigRequest and response fields).

Unknown request keys are ignored. `api_key` and the secrets of `auth_config` are stored
encrypted and read back as `********` (send `********` back to keep a stored secret).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from wxo.assistants.models import WatsonxAssistant
from wxo.external_agents.fields import redact


class AuthType(StrEnum):
    """How the server authenticates to the instance."""

    BEARER_TOKEN = "BEARER_TOKEN"  # noqa: S105 (a scheme name)
    API_KEY = "API_KEY"
    IBM_CLOUD_IAM = "IBM_CLOUD_IAM"
    MCSP = "MCSP"
    ICP_IAM = "ICP_IAM"
    NONE = "NONE"


_AUTH = (
    "BEARER_TOKEN: `auth_config.token` (or `api_key`) sent as a bearer token. API_KEY and "
    "IBM_CLOUD_IAM: `api_key` exchanged for a token at `authorization_url` (default "
    "`https://iam.cloud.ibm.com/identity/token`). MCSP: `api_key` exchanged at "
    "`authorization_url` (default IBM SaaS MCSP). ICP_IAM: `ZenApiKey` of "
    "`auth_config.username` and `api_key`. NONE: no credentials."
)


class WatsonAssistantConfig(BaseModel):
    """`config` of a watsonx Assistant instance (WatsonAssistantConfigRequest)."""

    model_config = ConfigDict(extra="ignore")

    assistant_id: str | None = Field(default=None, max_length=256)
    environment_id: str | None = Field(
        default=None,
        max_length=256,
        description="The environment messages go to (the assistant id is used when unset).",
    )
    service_instance_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Base URL of the instance (http(s); not an internal address unless the "
        "administrator allows it).",
    )
    intent: str | None = None
    action_title: str | None = None
    search_stickiness: bool = False
    shareable_context: bool = True
    hidden: bool = False
    api_key: str | None = Field(default=None, description="Stored encrypted; reads `********`.")
    api_version: str = Field(default="2023-06-15", max_length=32)
    auth_type: AuthType = Field(default=AuthType.BEARER_TOKEN, description=_AUTH)
    auth_config: dict[str, Any] = Field(
        default_factory=dict, description="Secrets stored encrypted; read `********`."
    )
    authorization_url: str | None = Field(
        default=None, max_length=2048, description="The token endpoint for API-key exchange."
    )
    crn: str | None = None
    message_context: dict[str, Any] = Field(
        default_factory=dict, description="Sent as `context` with every message."
    )
    connection_id: str | None = None
    context_access_enabled: bool = True
    context_variables: list[str] = Field(default_factory=list)


class WatsonAssistantConfigPatch(BaseModel):
    """`config` of a PATCH: the keys sent replace the stored ones, the others are kept."""

    model_config = ConfigDict(extra="ignore")

    assistant_id: str | None = Field(default=None, max_length=256)
    environment_id: str | None = Field(default=None, max_length=256)
    service_instance_url: str | None = Field(default=None, max_length=2048)
    intent: str | None = None
    action_title: str | None = None
    search_stickiness: bool | None = None
    shareable_context: bool | None = None
    hidden: bool | None = None
    api_key: str | None = Field(default=None, description="`********` keeps the stored key.")
    api_version: str | None = Field(default=None, max_length=32)
    auth_type: AuthType | None = None
    auth_config: dict[str, Any] | None = Field(
        default=None, description="Replaced as a whole; `********` keeps a stored secret."
    )
    authorization_url: str | None = Field(default=None, max_length=2048)
    crn: str | None = None
    message_context: dict[str, Any] | None = None
    connection_id: str | None = None
    context_access_enabled: bool | None = None
    context_variables: list[str] | None = None


class WatsonxAssistantCreate(BaseModel):
    """Body of `POST /v1/assistants/watsonx`."""

    model_config = ConfigDict(extra="ignore")

    description: str = Field(max_length=8192)
    config: WatsonAssistantConfig
    title: str | None = Field(default=None, max_length=256)
    tags: list[str] | None = None
    name: str | None = Field(
        default=None,
        max_length=128,
        description="Unique among the tenant's instances (409 otherwise). If only one of name "
        "or nickname is provided, the other is generated (name: the nickname as an "
        "identifier; nickname: the name); with neither, both come from `title`.",
    )
    nickname: str | None = Field(default=None, max_length=256)


class WatsonxAssistantUpdate(BaseModel):
    """Body of `PATCH /v1/assistants/watsonx/{id}`: only the keys sent change.

    `config` keys sent replace the stored ones (others are kept); `auth_config`, when sent, is
    replaced as a whole.
    """

    model_config = ConfigDict(extra="ignore")

    title: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=8192)
    tags: list[str] | None = None
    name: str | None = Field(default=None, min_length=1, max_length=128)
    nickname: str | None = Field(default=None, max_length=256)
    config: WatsonAssistantConfigPatch | None = None
    hidden: bool | None = None


class WatsonxAssistantRead(BaseModel):
    """A watsonx Assistant instance (secrets masked)."""

    type: Literal["watsonx"] = "watsonx"
    id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_name: str | None
    title: str | None
    description: str | None
    created_on: datetime
    created_by: str | None
    created_by_username: str | None
    updated_at: datetime
    tags: list[str]
    name: str
    provider: str = "wxa"
    nickname: str | None
    api_key: str | None = Field(description="`********` when one is stored.")
    service_instance_url: str | None
    assistant_id: str | None
    environment_id: str | None
    api_version: str | None
    auth_type: str | None
    auth_config: dict[str, Any] = Field(description="Secrets masked as `********`.")
    authorization_url: str | None
    crn: str | None
    intent: str | None
    action_title: str | None
    search_stickiness: bool
    shareable_context: bool
    hidden: bool
    message_context: dict[str, Any]
    connection_id: str | None
    context_access_enabled: bool
    context_variables: list[str]

    @classmethod
    def of(cls, row: WatsonxAssistant, tenant_name: str | None) -> WatsonxAssistantRead:
        """Build from a row, secrets masked."""
        config = redact({k: v for k, v in row.config.items() if k != "auth_config"})
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            tenant_name=tenant_name,
            title=row.title,
            description=row.description,
            created_on=row.created_at,
            created_by=str(row.created_by) if row.created_by else None,
            created_by_username=row.created_by_username,
            updated_at=row.updated_at,
            tags=row.tags,
            name=row.name,
            nickname=row.nickname,
            api_key=config.get("api_key"),
            service_instance_url=config.get("service_instance_url"),
            assistant_id=config.get("assistant_id"),
            environment_id=config.get("environment_id"),
            api_version=config.get("api_version"),
            auth_type=config.get("auth_type"),
            auth_config=redact(row.config.get("auth_config") or {}),
            authorization_url=config.get("authorization_url"),
            crn=config.get("crn"),
            intent=config.get("intent"),
            action_title=config.get("action_title"),
            search_stickiness=bool(config.get("search_stickiness", False)),
            shareable_context=bool(config.get("shareable_context", True)),
            hidden=row.hidden,
            message_context=config.get("message_context") or {},
            connection_id=config.get("connection_id"),
            context_access_enabled=bool(config.get("context_access_enabled", True)),
            context_variables=list(config.get("context_variables") or []),
        )
