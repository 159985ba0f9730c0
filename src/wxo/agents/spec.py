"""What the agent loop needs to know about an agent: `AgentSpec` (no ORM, no HTTP)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class AgentSpec:
    """A native agent as the runtime sees it (ids resolved, defaults applied)."""

    id: uuid.UUID
    name: str
    display_name: str | None
    description: str | None
    instructions: str | None
    llm: str | None  # Model Proxy model id; None = the server default chat model
    style: str  # "default" | "react" | "planner" ...
    tools: tuple[str, ...]
    knowledge_base_ids: tuple[uuid.UUID, ...]
    collaborator_ids: tuple[uuid.UUID, ...]
