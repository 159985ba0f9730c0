"""Agent request and response bodies, shaped as IBM's `AgentClient` sends and reads them.

Fields the server does not interpret (e.g. `additional_properties`, `guidelines`, `hidden`,
`tags`, `spec_version`, `kind`, `context_variables`) are accepted, stored and returned at the
top level as they came, so a spec round-trips through create and get.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from wxo.core import extras

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
NAME_RULE = (
    "1 to 64 characters: letters, digits, '_' and '-', starting with a letter or '_' (the rule of"
    " tool names in chat completions, as an agent is offered to others as a tool), and not a UUID"
    " (agents are looked up by id or name); unique in the tenant"
)
#: Keys the server sets; sent in a body they are ignored, never stored as extra fields.
SERVER_KEYS = frozenset(
    {"id", "tenant_id", "created_on", "created_at", "updated_at", "created_by", "updated_by"}
)
#: Extra (uninterpreted) fields stored per agent, at most.
MAX_EXTRA_BYTES = 256 * 1024


def _not_uuid(value: str) -> str:
    if _UUID.match(value):
        raise ValueError("a name must not be a UUID: agents are looked up by id or by name")
    return value


AgentName = Annotated[
    str, Field(pattern=NAME_PATTERN, description=NAME_RULE), AfterValidator(_not_uuid)
]
Style = Literal["default", "react", "planner"]
Refs = Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=100)]


class AgentCreate(BaseModel):
    """Body of `POST /v1/orchestrate/agents` (a native agent, as IBM's `AgentClient.create`)."""

    model_config = ConfigDict(extra="allow")

    name: AgentName
    display_name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(
        default=None,
        max_length=10_000,
        description="What the agent does: other agents read it when choosing a collaborator.",
    )
    instructions: str | None = Field(default=None, max_length=100_000)
    llm: str | None = Field(
        default=None,
        max_length=300,
        description="A chat model the Model Proxy knows for this tenant (GET /v1/models), e.g."
        " `local/extractive` or a registered `virtual-model/...`; null uses the server's default"
        " chat model when the agent runs. An unknown model is refused (400).",
    )
    style: Style = "default"
    tools: Refs = Field(default_factory=list, description="Tool names or ids, stored as sent.")
    knowledge_base: Refs = Field(
        default_factory=list,
        description="Knowledge base names or ids of this tenant; stored and returned as ids."
        " Unknown ones are refused (400).",
    )
    collaborators: Refs = Field(
        default_factory=list,
        description="Agent names or ids of this tenant; stored and returned as ids. Unknown"
        " ones, or the agent itself, are refused (400).",
    )


class AgentUpdate(BaseModel):
    """Body of `PATCH /v1/orchestrate/agents/{id}`: only the keys sent change.

    An extra field sent as null is removed.
    """

    model_config = ConfigDict(extra="allow")

    name: AgentName | None = None
    display_name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    instructions: str | None = Field(default=None, max_length=100_000)
    llm: str | None = Field(default=None, max_length=300)
    style: Style | None = None
    tools: Refs | None = None
    knowledge_base: Refs | None = None
    collaborators: Refs | None = None


class AgentRead(BaseModel):
    """A native agent; extra fields stored with it follow at the top level."""

    model_config = ConfigDict(extra="allow")

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    display_name: str | None
    description: str | None
    instructions: str | None
    llm: str | None = Field(description="null: the server's default chat model is used.")
    style: str
    kind: str = "native"
    tools: list[str]
    knowledge_base: list[uuid.UUID] = Field(description="Ids of the agent's knowledge bases.")
    collaborators: list[uuid.UUID] = Field(description="Ids of the agent's collaborator agents.")
    created_on: datetime
    updated_at: datetime
    created_by: uuid.UUID | None


def extra_fields(body: BaseModel) -> dict[str, Any]:
    """The fields of a body that its model does not declare, minus server-managed keys."""
    return extras.extra_fields(body, SERVER_KEYS)
