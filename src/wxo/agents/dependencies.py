"""Request dependencies of the agent routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from wxo.agents import service
from wxo.agents.models import Agent
from wxo.api.deps import CurrentTenant, SessionDep

AgentRefPath = Annotated[str, Path(description="The agent's id (or its name).")]


async def valid_owned_agent(
    session: SessionDep, principal: CurrentTenant, agent_id: AgentRefPath
) -> Agent:
    """The agent in the path, if it is the caller's tenant's (404 otherwise)."""
    return await service.get_agent(session, principal.tenant_id, agent_id)


OwnedAgent = Annotated[Agent, Depends(valid_owned_agent)]
