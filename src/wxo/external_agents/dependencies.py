"""Request dependencies of the external chat agent routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from wxo.api.deps import CurrentTenant, SessionDep, SettingsDep
from wxo.external_agents import service
from wxo.external_agents.models import ExternalChatAgent
from wxo.external_agents.outbound import Outbound, outbound_for

AgentIdPath = Annotated[uuid.UUID, Path(description="Id of the external chat agent.")]


async def get_outbound(settings: SettingsDep) -> Outbound:
    """The server's outgoing-call policy (URL-safety allow-list, time limits)."""
    return outbound_for(settings)


OutboundDep = Annotated[Outbound, Depends(get_outbound)]


async def valid_owned_agent(
    session: SessionDep, principal: CurrentTenant, agent_id: AgentIdPath
) -> ExternalChatAgent:
    """The agent in the path, if it is the caller's tenant's (404 otherwise)."""
    return await service.get(session, principal.tenant_id, agent_id)


OwnedAgent = Annotated[ExternalChatAgent, Depends(valid_owned_agent)]
