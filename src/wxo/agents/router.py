"""Native agent routes (`/v1/orchestrate/agents`), as IBM's `AgentClient` calls them."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from wxo.agents import service
from wxo.agents.dependencies import OwnedAgent
from wxo.agents.schemas import NAME_RULE, AgentCreate, AgentRead, AgentUpdate
from wxo.api.deps import CurrentTenant, SessionDep
from wxo.llm.dependencies import ProxyDep

router = APIRouter(prefix="/orchestrate/agents", tags=["Agents"])

_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such agent in the tenant"}}
_400: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Unknown llm, knowledge base or collaborator, or the agent names itself"
        " as a collaborator"
    }
}


class Deleted(BaseModel):
    """The answer to a delete."""

    id: uuid.UUID
    deleted: bool = True


_CREATE = (
    "Create a native agent. The answer is the whole agent; its `id` is what IBM's client reads."
    f" Name rule: {NAME_RULE}. `llm` must be a chat model the Model Proxy knows for the tenant"
    " (null: the server's default chat model when the agent runs). `knowledge_base` and"
    " `collaborators` take names or ids of the tenant's knowledge bases and agents and are"
    " stored (and returned) as ids. Other fields IBM's clients send (`additional_properties`,"
    " `guidelines`, `hidden`, `tags`, ...) are kept as sent and returned at the top level."
)


@router.post(
    "",
    description=_CREATE,
    response_model=AgentRead,
    status_code=status.HTTP_201_CREATED,
    responses={**_400, 409: {"description": "The tenant already has an agent with this name"}},
)
async def create_agent(
    session: SessionDep, proxy: ProxyDep, principal: CurrentTenant, body: AgentCreate
) -> AgentRead:
    """Create a native agent (see the route description)."""
    agent = await service.create_agent(session, proxy, principal, body)
    return await service.read(session, agent)


@router.get("", response_model=list[AgentRead])
async def list_agents(
    session: SessionDep,
    principal: CurrentTenant,
    names: Annotated[list[str] | None, Query(description="Only these names (repeat).")] = None,
    ids: Annotated[list[uuid.UUID] | None, Query(description="Only these ids (repeat).")] = None,
    include_hidden: Annotated[
        bool, Query(description="Also agents stored with `hidden: true`.")
    ] = False,
    include: Annotated[  # noqa: ARG001 (accepted for IBM's client)
        str | None, Query(description="Accepted for IBM's client (`global`); no effect here.")
    ] = None,
    workspace_id: Annotated[  # noqa: ARG001 (accepted for IBM's client)
        str | None, Query(description="Accepted for IBM's client; no workspaces here.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[AgentRead]:
    """List the tenant's agents, oldest first, as a bare JSON array.

    A bare array is what IBM's `AgentClient` expects. `names` and `ids` filter (sent together,
    an agent must match both); agents stored with `hidden: true` are left out unless
    `include_hidden=true` (IBM's client always sends it).
    """
    agents = await service.list_agents(
        session,
        principal.tenant_id,
        names=names or [],
        ids=ids or [],
        include_hidden=include_hidden,
        limit=limit,
        offset=offset,
    )
    return [await service.read(session, a) for a in agents]


@router.get("/{agent_id}", response_model=AgentRead, responses=_404)
async def get_agent(session: SessionDep, agent: OwnedAgent) -> AgentRead:
    """Get an agent by id (or by name)."""
    return await service.read(session, agent)


@router.patch(
    "/{agent_id}",
    response_model=AgentRead,
    responses={**_404, **_400, 409: {"description": "The new name is taken"}},
)
async def update_agent(
    session: SessionDep, proxy: ProxyDep, agent: OwnedAgent, body: AgentUpdate
) -> AgentRead:
    """Update an agent: only the fields sent change, checked as on create.

    An extra field sent as null is removed. The answer is the whole agent.
    """
    updated = await service.update_agent(session, proxy, agent, body)
    return await service.read(session, updated)


@router.delete(
    "/{agent_id}",
    response_model=Deleted,
    responses={
        **_404,
        409: {"description": "Other agents list this agent as a collaborator (named)"},
    },
)
async def delete_agent(session: SessionDep, agent: OwnedAgent) -> Deleted:
    """Delete an agent.

    Refused (409, naming them) while other agents list it as a collaborator: remove it from
    them first, so that no agent silently loses a collaborator.
    """
    agent_id = agent.id
    await service.delete_agent(session, agent)
    return Deleted(id=agent_id)
