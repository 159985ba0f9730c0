"""External chat agent use-cases: register, read, change, delete, and call one.

Each writing use-case commits once, at its end. Secrets go through `fields.seal` only.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.core.db import commit_unique
from wxo.external_agents import fields, repository
from wxo.external_agents.client import ExternalChatTarget, chat_external_agent
from wxo.external_agents.exceptions import (
    ExternalAgentNameTakenError,
    ExternalAgentNotFoundError,
)
from wxo.external_agents.models import ExternalChatAgent
from wxo.external_agents.outbound import Outbound, check_target
from wxo.external_agents.schemas import ExternalChatAgentCreate, ExternalChatAgentUpdate


async def create(
    session: AsyncSession,
    principal: TenantPrincipal,
    data: ExternalChatAgentCreate,
    *,
    key: str,
    outbound: Outbound,
) -> ExternalChatAgent:
    """Register an agent in the caller's tenant.

    Raises:
        RefusedURLError: `api_url` is not a URL the server calls.
        InvalidInputError: no name, nickname or title.
        ExternalAgentNameTakenError: the name is taken in the tenant.
    """
    check_target(data.api_url, outbound)
    name, nickname = fields.name_and_nickname(data.name, data.nickname, data.title)
    config = data.config or None
    values: dict[str, Any] = {
        "name": name,
        "nickname": nickname,
        "title": data.title,
        "description": data.description,
        "tags": data.tags or [],
        "instructions": data.instructions,
        "api_url": data.api_url.strip(),
        "auth_scheme": data.auth_scheme.value,
        "auth_config": fields.seal(data.auth_config, key),
        "chat_params": data.chat_params,
        "hidden": config.hidden if config else False,
        "enable_cot": config.enable_cot if config else False,
        "provider": data.provider,
        "connection_id": data.connection_id,
        "context_access_enabled": data.context_access_enabled,
        "context_variables": data.context_variables,
        "created_by": principal.user_id,
        "created_by_username": principal.username or None,
    }
    return await commit_unique(
        session,
        lambda: repository.insert(session, principal.tenant_id, values),
        lambda: ExternalAgentNameTakenError(name),
    )


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID
) -> ExternalChatAgent:
    """The tenant's agent. Raises `ExternalAgentNotFoundError` (also for another tenant's)."""
    row = await repository.get(session, tenant_id, agent_id)
    if row is None:
        raise ExternalAgentNotFoundError
    return row


async def list_agents(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    include_hidden: bool = False,
    ids: Sequence[uuid.UUID] | None = None,
    names: Sequence[str] | None = None,
) -> Sequence[ExternalChatAgent]:
    """The tenant's agents (hidden ones only with `include_hidden`)."""
    return await repository.list_agents(
        session, tenant_id, include_hidden=include_hidden, ids=ids, names=names
    )


_NULLABLE = frozenset({"title", "description", "instructions", "connection_id"})
"""Columns a PATCH may set to null."""


async def update(
    session: AsyncSession,
    row: ExternalChatAgent,
    data: ExternalChatAgentUpdate,
    *,
    key: str,
    outbound: Outbound,
) -> ExternalChatAgent:
    """Change the keys sent; `auth_config` is replaced (`********` keeps a stored secret).

    Raises:
        RefusedURLError: a new `api_url` is not a URL the server calls.
        ExternalAgentNameTakenError: the new name is taken in the tenant.
    """
    sent = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for column in (
        "title",
        "description",
        "instructions",
        "connection_id",
        "provider",
        "context_access_enabled",
        "chat_params",
        "hidden",
    ):
        if column in sent and (sent[column] is not None or column in _NULLABLE):
            changes[column] = sent[column]
    for column in ("tags", "context_variables"):
        if column in sent:
            changes[column] = sent[column] or []
    if sent.get("name"):
        changes["name"] = sent["name"].strip()
    if "nickname" in sent:
        changes["nickname"] = sent["nickname"]
    if data.api_url is not None:
        check_target(data.api_url, outbound)
        changes["api_url"] = data.api_url.strip()
    if data.auth_scheme is not None:
        changes["auth_scheme"] = data.auth_scheme.value
    if "auth_config" in sent:
        changes["auth_config"] = fields.seal(data.auth_config or {}, key, row.auth_config)
    if data.config is not None:
        changes["hidden"] = data.config.hidden if data.hidden is None else data.hidden
        changes["enable_cot"] = data.config.enable_cot
    if not changes:
        return row
    return await commit_unique(
        session,
        lambda: repository.update_agent(session, row, changes),
        lambda: ExternalAgentNameTakenError(changes.get("name", row.name)),
    )


async def delete(session: AsyncSession, row: ExternalChatAgent) -> None:
    """Delete the agent."""
    await repository.delete_agent(session, row)
    await session.commit()


def target_of(row: ExternalChatAgent, key: str) -> ExternalChatTarget:
    """What the client needs to call the agent, secrets decrypted (never log or return it)."""
    return ExternalChatTarget(
        name=row.name,
        api_url=row.api_url,
        auth_scheme=row.auth_scheme,
        auth_config=fields.unseal(row.auth_config, key),
        chat_params=row.chat_params,
    )


def chat(
    row: ExternalChatAgent,
    *,
    key: str,
    outbound: Outbound,
    messages: list[dict[str, str]],
    thread_id: uuid.UUID | None,
) -> AsyncIterator[str]:
    """The agent's answer to `messages`, as text deltas (see `client.chat_external_agent`)."""
    return chat_external_agent(
        target_of(row, key), messages=messages, thread_id=thread_id, outbound=outbound
    )
