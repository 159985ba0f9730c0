"""External chat agent routes: `/v1/agents/external-chat` (IBM's paths)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from wxo.api.deps import CurrentTenant, SessionDep, SettingsDep
from wxo.external_agents import service
from wxo.external_agents.dependencies import OutboundDep, OwnedAgent
from wxo.external_agents.schemas import (
    ExternalChatAgentCreate,
    ExternalChatAgentRead,
    ExternalChatAgentUpdate,
)

router = APIRouter(tags=["External Chat Agents"])

_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such agent in the caller's tenant ('Assistant not found')"}
}


@router.post(
    "/agents/external-chat",
    response_model=ExternalChatAgentRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        400: {"description": "api_url refused (not http(s), internal address) or no name"},
        409: {"description": "The tenant has an agent with this name"},
    },
)
async def register_external_chat_agent(
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentTenant,
    outbound: OutboundDep,
    body: ExternalChatAgentCreate,
) -> ExternalChatAgentRead:
    """Register An External Chat Completions Agent.

    The agent must implement the chat-completions protocol: the server POSTs
    `{"messages": [...], "stream": true, ...chat_params}` to `api_url` (used as is) with the
    header `X-THREAD-ID` and the auth header of `auth_scheme`, and reads SSE
    `data: {chat.completion.chunk}` events until `data: [DONE]`. Secrets in `auth_config` are
    stored encrypted and always read back as `********`.
    """
    row = await service.create(
        session, principal, body, key=settings.signing_key(), outbound=outbound
    )
    return ExternalChatAgentRead.of(row, principal.tenant_name)


@router.get("/agents/external-chat", response_model=list[ExternalChatAgentRead])
async def list_external_chat_agents(
    session: SessionDep,
    principal: CurrentTenant,
    include_hidden: Annotated[bool, Query(description="Include agents with hidden=true.")] = False,
    ids: Annotated[list[uuid.UUID] | None, Query(description="Only these ids.")] = None,
    names: Annotated[list[str] | None, Query(description="Only these names.")] = None,
) -> list[ExternalChatAgentRead]:
    """The tenant's external chat agents, oldest first (a bare array, as IBM's client expects)."""
    rows = await service.list_agents(
        session, principal.tenant_id, include_hidden=include_hidden, ids=ids, names=names
    )
    return [ExternalChatAgentRead.of(r, principal.tenant_name) for r in rows]


@router.get(
    "/agents/external-chat/{agent_id}", response_model=ExternalChatAgentRead, responses=_404
)
async def get_external_chat_agent(
    principal: CurrentTenant, agent: OwnedAgent
) -> ExternalChatAgentRead:
    """Get A Registered External Chat Completions Agent By Id (secrets masked)."""
    return ExternalChatAgentRead.of(agent, principal.tenant_name)


@router.patch(
    "/agents/external-chat/{agent_id}",
    response_model=ExternalChatAgentRead,
    responses={**_404, 400: {"description": "api_url refused"}, 409: {"description": "Name taken"}},
)
async def update_external_chat_agent(
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentTenant,
    outbound: OutboundDep,
    agent: OwnedAgent,
    body: ExternalChatAgentUpdate,
) -> ExternalChatAgentRead:
    """Change the fields sent.

    `auth_config` is replaced as a whole; a secret sent as `********` keeps the stored one.
    `config.hidden` (or `hidden`) hides the agent from lists without `include_hidden=true` and
    from the Orchestrate Assistant.
    """
    row = await service.update(session, agent, body, key=settings.signing_key(), outbound=outbound)
    return ExternalChatAgentRead.of(row, principal.tenant_name)


@router.delete(
    "/agents/external-chat/{agent_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_404
)
async def delete_external_chat_agent(session: SessionDep, agent: OwnedAgent) -> Response:
    """Delete the agent (its secrets with it)."""
    await service.delete(session, agent)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
