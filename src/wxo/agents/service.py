"""Agent use-cases: native agents CRUD, reference checks, and the spec the agent loop runs.

Rules (also in the route descriptions and docs/decisions.md):
- `name` is unique in the tenant and identifier-like (see `schemas.NAME_RULE`).
- `llm` must be a chat model the Model Proxy resolves for the tenant; null = the default.
- `knowledge_base` and `collaborators` entries are ids or names of the tenant's knowledge bases
  and agents, stored as ids; an agent cannot be its own collaborator.
- Deleting an agent that other agents list as a collaborator is refused (409, naming them).
  Deleting a knowledge base needs no such check: agents stop seeing ids that no longer exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.agents import repository
from wxo.agents.exceptions import (
    AgentInUseError,
    AgentNameTakenError,
    AgentNotFoundError,
    InvalidAgentError,
)
from wxo.agents.models import Agent
from wxo.agents.schemas import AgentCreate, AgentRead, AgentUpdate, extra_fields
from wxo.agents.spec import AgentSpec
from wxo.auth.schemas import TenantPrincipal
from wxo.core.db import commit_unique
from wxo.core.errors import InvalidInputError, NotFoundError
from wxo.core.extras import merge_extra
from wxo.knowledge_bases import service as knowledge_bases
from wxo.llm import service as proxy

MODEL_HINT = (
    "list the tenant's models with GET /v1/models, register one with POST /v1/models, use a"
    " built-in such as 'local/extractive', or send null for the server's default chat model"
)


def _ids(values: Sequence[str]) -> list[uuid.UUID]:
    return [uuid.UUID(v) for v in values]


async def _find(session: AsyncSession, tenant_id: uuid.UUID, ref: str) -> Agent | None:
    try:
        agent_id = uuid.UUID(ref)
    except ValueError:
        return await repository.get_by_name(session, tenant_id, ref)
    return await repository.get(session, tenant_id, agent_id)


async def get_agent(session: AsyncSession, tenant_id: uuid.UUID, agent_ref: str) -> Agent:
    """The tenant's agent by id or name. Raises `AgentNotFoundError` (also another tenant's)."""
    agent = await _find(session, tenant_id, agent_ref)
    if agent is None:
        raise AgentNotFoundError(agent_ref)
    return agent


async def _live_refs(
    session: AsyncSession, agent: Agent
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """The agent's knowledge base and collaborator ids that still exist."""
    kb_ids = _ids(agent.knowledge_base_ids or [])
    alive_kbs = await knowledge_bases.existing_ids(session, agent.tenant_id, kb_ids)
    collaborators = []
    for collaborator_id in _ids(agent.collaborator_ids or []):
        if await repository.get(session, agent.tenant_id, collaborator_id) is not None:
            collaborators.append(collaborator_id)
    return [i for i in kb_ids if i in alive_kbs], collaborators


async def load_spec(session: AsyncSession, tenant_id: uuid.UUID, agent_ref: str) -> AgentSpec:
    """By id or by name; raises AgentNotFoundError (an AppError with 404) otherwise."""
    agent = await get_agent(session, tenant_id, agent_ref)
    kb_ids, collaborator_ids = await _live_refs(session, agent)
    return AgentSpec(
        id=agent.id,
        name=agent.name,
        display_name=agent.display_name,
        description=agent.description,
        instructions=agent.instructions,
        llm=agent.llm,
        style=agent.style,
        tools=tuple(agent.tools or []),
        knowledge_base_ids=tuple(kb_ids),
        collaborator_ids=tuple(collaborator_ids),
    )


async def read(session: AsyncSession, agent: Agent) -> AgentRead:
    """The read model: columns, live references, then the extra fields at the top level."""
    kb_ids, collaborator_ids = await _live_refs(session, agent)
    return AgentRead(
        **{k: v for k, v in (agent.extra or {}).items() if k not in AgentRead.model_fields},
        id=agent.id,
        tenant_id=agent.tenant_id,
        name=agent.name,
        display_name=agent.display_name,
        description=agent.description,
        instructions=agent.instructions,
        llm=agent.llm,
        style=agent.style,
        kind=str((agent.extra or {}).get("kind") or "native"),
        tools=list(agent.tools or []),
        knowledge_base=kb_ids,
        collaborators=collaborator_ids,
        created_on=agent.created_at,
        updated_at=agent.updated_at,
        created_by=agent.created_by,
    )


async def list_agents(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    names: Sequence[str],
    ids: Sequence[uuid.UUID],
    include_hidden: bool,
    limit: int,
    offset: int,
) -> list[Agent]:
    """The tenant's agents, oldest first (hidden ones only when asked)."""
    rows = await repository.list_agents(
        session,
        tenant_id,
        names=names,
        ids=ids,
        include_hidden=include_hidden,
        limit=limit,
        offset=offset,
    )
    return list(rows)


# --- checks ---------------------------------------------------------------------------------


async def _check_llm(session: AsyncSession, ctx: proxy.ProxyContext, llm: str | None) -> None:
    if llm is None:
        return
    try:
        await proxy.resolve_route(session, ctx, llm, "chat")
    except (NotFoundError, InvalidInputError) as exc:
        raise InvalidAgentError(
            f"llm '{llm}' is not a chat model the Model Proxy knows for this tenant ({exc}):"
            f" {MODEL_HINT}"
        ) from None


async def _knowledge_base_ids(
    session: AsyncSession, tenant_id: uuid.UUID, refs: Sequence[str]
) -> list[str]:
    ids, unknown = await knowledge_bases.resolve_refs(session, tenant_id, refs)
    if unknown:
        raise InvalidAgentError(
            "Unknown knowledge base(s) in knowledge_base: "
            + ", ".join(f"'{u}'" for u in unknown)
            + " (send names or ids of this tenant's knowledge bases: GET"
            " /v1/orchestrate/knowledge-bases)"
        )
    return [str(i) for i in ids]


async def _collaborator_ids(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    refs: Sequence[str],
    *,
    self_id: uuid.UUID | None,
    self_name: str,
) -> list[str]:
    ids: list[str] = []
    unknown: list[str] = []
    for ref in refs:
        if ref == self_name or (self_id is not None and ref == str(self_id)):
            raise InvalidAgentError(f"An agent cannot be its own collaborator ('{ref}')")
        agent = await _find(session, tenant_id, ref)
        if agent is None:
            unknown.append(ref)
        elif agent.id == self_id:
            raise InvalidAgentError(f"An agent cannot be its own collaborator ('{ref}')")
        elif str(agent.id) not in ids:
            ids.append(str(agent.id))
    if unknown:
        raise InvalidAgentError(
            "Unknown agent(s) in collaborators: "
            + ", ".join(f"'{u}'" for u in unknown)
            + " (send names or ids of this tenant's agents: GET /v1/orchestrate/agents)"
        )
    return ids


# --- writes ---------------------------------------------------------------------------------


async def create_agent(
    session: AsyncSession, ctx: proxy.ProxyContext, principal: TenantPrincipal, data: AgentCreate
) -> Agent:
    """Create a native agent after checking its name, model and references.

    Raises:
        AgentNameTakenError: the name is taken in the tenant.
        InvalidAgentError: unknown model, knowledge base or collaborator, or itself.
    """
    tenant_id = principal.tenant_id
    if await repository.get_by_name(session, tenant_id, data.name) is not None:
        raise AgentNameTakenError(data.name)
    await _check_llm(session, ctx, data.llm)
    values: dict[str, Any] = {
        "name": data.name,
        "display_name": data.display_name,
        "description": data.description,
        "instructions": data.instructions,
        "llm": data.llm,
        "style": data.style,
        "tools": list(dict.fromkeys(data.tools)),
        "knowledge_base_ids": await _knowledge_base_ids(session, tenant_id, data.knowledge_base),
        "collaborator_ids": await _collaborator_ids(
            session, tenant_id, data.collaborators, self_id=None, self_name=data.name
        ),
        "extra": extra_fields(data),
        "created_by": principal.user_id,
    }
    return await commit_unique(
        session,
        lambda: repository.insert(session, tenant_id=tenant_id, values=values),
        lambda: AgentNameTakenError(data.name),
    )


async def update_agent(
    session: AsyncSession, ctx: proxy.ProxyContext, agent: Agent, data: AgentUpdate
) -> Agent:
    """Change the fields sent (extra fields sent as null are removed), checked as on create."""
    sent = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    name = sent.get("name") or agent.name
    if name != agent.name:
        if await repository.get_by_name(session, agent.tenant_id, name) is not None:
            raise AgentNameTakenError(name)
        changes["name"] = name
    for key in ("display_name", "description", "instructions"):
        if key in sent:
            changes[key] = sent[key]
    if "llm" in sent:
        await _check_llm(session, ctx, sent["llm"])
        changes["llm"] = sent["llm"]
    if sent.get("style") is not None:
        changes["style"] = sent["style"]
    if sent.get("tools") is not None:
        changes["tools"] = list(dict.fromkeys(sent["tools"]))
    if sent.get("knowledge_base") is not None:
        changes["knowledge_base_ids"] = await _knowledge_base_ids(
            session, agent.tenant_id, sent["knowledge_base"]
        )
    if sent.get("collaborators") is not None:
        changes["collaborator_ids"] = await _collaborator_ids(
            session, agent.tenant_id, sent["collaborators"], self_id=agent.id, self_name=name
        )
    extra = extra_fields(data)
    if extra:
        changes["extra"] = merge_extra(agent.extra, extra)
    return await commit_unique(
        session,
        lambda: repository.update_agent(session, agent, changes),
        lambda: AgentNameTakenError(name),
    )


async def delete_agent(session: AsyncSession, agent: Agent) -> None:
    """Delete an agent.

    Raises:
        AgentInUseError: other agents list it as a collaborator (named in the message).
    """
    users = await repository.referencing(session, agent.tenant_id, "collaborator_ids", agent.id)
    if users:
        raise AgentInUseError(
            f"Agent '{agent.name}' is a collaborator of "
            + ", ".join(f"'{a.name}'" for a in users)
            + ": remove it from their collaborators first"
        )
    await repository.delete(session, agent)
    await session.commit()
