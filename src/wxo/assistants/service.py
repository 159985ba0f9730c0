"""Custom assistant use-cases, and the entry points other packages call assistants through.

Entry points (stable; the Orchestrate Assistant and the runs code use them):
`load_custom`, `list_callable`, `call`, `assistant_exists`. Each writing use-case commits
once, at its end.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.assistants import files, repository
from wxo.assistants.exceptions import (
    AssistantNameTakenError,
    AssistantNotFoundError,
    InvalidAssistantError,
    UnknownLLMError,
)
from wxo.assistants.models import CustomAssistant, WatsonxAssistant
from wxo.assistants.schemas import FIELDS, CustomAssistantCreate, CustomAssistantUpdate
from wxo.assistants.watsonx_client import call_watsonx_assistant
from wxo.assistants.watsonx_service import target_of as watsonx_target
from wxo.auth.schemas import TenantPrincipal
from wxo.core.db import commit_unique
from wxo.core.errors import NotFoundError
from wxo.external_agents import fields
from wxo.external_agents import service as external_service
from wxo.external_agents.exceptions import ExternalAgentNotFoundError
from wxo.external_agents.outbound import Outbound
from wxo.llm.base import ChatMessage, ChatRequest
from wxo.llm.service import ProxyContext, resolve_route, stream_chat

AssistantKind = Literal["custom", "watsonx", "external_chat"]


@dataclass(frozen=True)
class CustomAssistantSpec:
    """What an agent loop needs to answer as a custom assistant."""

    id: uuid.UUID
    name: str
    title: str | None
    description: str | None
    instructions: str | None
    llm_name: str | None


@dataclass(frozen=True)
class CallableAssistant:
    """An assistant the Orchestrate Assistant may hand a message to."""

    kind: AssistantKind
    id: uuid.UUID
    name: str
    description: str | None


# --- custom assistants: CRUD --------------------------------------------------------------------


def parse_select(select: str | None) -> tuple[str, ...] | None:
    """`select=name,llm_name` → those fields; `*` or empty → None (all).

    Raises:
        InvalidAssistantError: an unknown field name.
    """
    names = [s.strip() for s in (select or "*").split(",") if s.strip()]
    if not names or "*" in names:
        return None
    unknown = [n for n in names if n not in FIELDS]
    if unknown:
        raise InvalidAssistantError(
            f"Unknown field(s) in select: {', '.join(unknown)}; known: {', '.join(FIELDS)}"
        )
    return tuple(names)


async def check_llm(session: AsyncSession, ctx: ProxyContext, llm_name: str | None) -> None:
    """Refuse an `llm_name` the Model Proxy does not know as a chat model (400)."""
    if llm_name is None:
        return
    try:
        await resolve_route(session, ctx, llm_name, "chat")
    except NotFoundError:
        raise UnknownLLMError(
            f"llm_name '{llm_name}' is not a chat model known to the Model Proxy in this tenant "
            "(register it with POST /v1/models)"
        ) from None


async def create_custom(
    session: AsyncSession,
    ctx: ProxyContext,
    principal: TenantPrincipal,
    data: CustomAssistantCreate,
) -> CustomAssistant:
    """Create a custom assistant in the caller's tenant.

    Raises:
        UnknownLLMError: `llm_name` is not a chat model of the tenant.
        InvalidInputError: no name, nickname or title.
        AssistantNameTakenError: the name is taken.
    """
    name, nickname = fields.name_and_nickname(data.name, data.nickname, data.title)
    await check_llm(session, ctx, data.llm_name)
    values: dict[str, Any] = {
        "name": name,
        "nickname": nickname,
        "title": data.title,
        "description": data.description,
        "tags": data.tags or [],
        "instructions": data.instructions,
        "user_start_messages": data.user_start_messages or [],
        "llm_name": data.llm_name,
        "llm_id": data.llm_id,
        "context_access_enabled": data.context_access_enabled,
        "context_variables": data.context_variables,
        "created_by": principal.user_id,
        "created_by_username": principal.username or None,
    }
    return await commit_unique(
        session,
        lambda: repository.insert(session, CustomAssistant, principal.tenant_id, values),
        lambda: AssistantNameTakenError(name),
    )


async def get_custom(
    session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID
) -> CustomAssistant:
    """The tenant's custom assistant. Raises `AssistantNotFoundError` (also another tenant's)."""
    row = await repository.get(session, CustomAssistant, tenant_id, assistant_id)
    if row is None:
        raise AssistantNotFoundError
    return row


async def list_custom(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[CustomAssistant]:
    """The tenant's custom assistants, oldest first."""
    return await repository.list_custom(session, tenant_id)


_NULLABLE = ("nickname", "title", "description", "instructions", "llm_name", "llm_id")
_LISTS = ("tags", "user_start_messages", "context_variables")


async def update_custom(
    session: AsyncSession, ctx: ProxyContext, row: CustomAssistant, data: CustomAssistantUpdate
) -> CustomAssistant:
    """Change the keys sent (`null` clears a nullable field).

    Raises:
        UnknownLLMError: a new `llm_name` is not a chat model of the tenant.
        AssistantNameTakenError: the new name is taken.
    """
    sent = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {k: sent[k] for k in _NULLABLE if k in sent}
    changes.update({k: sent[k] or [] for k in _LISTS if k in sent})
    if sent.get("name"):
        changes["name"] = sent["name"].strip()
    if sent.get("context_access_enabled") is not None:
        changes["context_access_enabled"] = sent["context_access_enabled"]
    if changes.get("llm_name") is not None and changes["llm_name"] != row.llm_name:
        await check_llm(session, ctx, changes["llm_name"])
    if not changes:
        return row
    return await commit_unique(
        session,
        lambda: repository.update_row(session, row, changes),
        lambda: AssistantNameTakenError(changes.get("name", row.name)),
    )


# --- entry points for other packages ------------------------------------------------------------


async def load_custom(
    session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID
) -> CustomAssistantSpec:
    """A custom assistant as an agent loop needs it. Raises `AssistantNotFoundError` (404)."""
    row = await get_custom(session, tenant_id, assistant_id)
    return CustomAssistantSpec(
        id=row.id,
        name=row.name,
        title=row.title,
        description=row.description,
        instructions=row.instructions,
        llm_name=row.llm_name,
    )


async def assistant_exists(
    session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID
) -> bool:
    """Whether the tenant has a custom assistant, watsonx instance or external agent so named."""
    if await repository.get(session, CustomAssistant, tenant_id, assistant_id) is not None:
        return True
    if await repository.get(session, WatsonxAssistant, tenant_id, assistant_id) is not None:
        return True
    try:
        await external_service.get(session, tenant_id, assistant_id)
    except ExternalAgentNotFoundError:
        return False
    return True


async def list_callable(session: AsyncSession, tenant_id: uuid.UUID) -> list[CallableAssistant]:
    """Every custom assistant, visible watsonx instance and visible external agent of the tenant."""
    found = [
        CallableAssistant("custom", r.id, r.name, r.description)
        for r in await repository.list_custom(session, tenant_id)
    ]
    found += [
        CallableAssistant("watsonx", r.id, r.name, r.description)
        for r in await repository.list_watsonx(session, tenant_id, include_hidden=False)
    ]
    found += [
        CallableAssistant("external_chat", r.id, r.name, r.description)
        for r in await external_service.list_agents(session, tenant_id)
    ]
    return found


def _system(instructions: str | None, found: Sequence[tuple[str, str]]) -> str | None:
    """The instructions, followed by the passages of the assistant's files (if any)."""
    if not found:
        return instructions
    excerpts = "\n\n".join(f"[{n}] {name}:\n{text}" for n, (name, text) in enumerate(found, 1))
    head = f"{instructions}\n\n" if instructions else ""
    return (
        f"{head}Excerpts from your files that may help answer the user (use them when they "
        f"are relevant):\n\n{excerpts}"
    )


Turn = tuple[Literal["system", "user", "assistant"], str]


def _messages(system: str | None, history: Sequence[tuple[str, str]], message: str) -> list[Turn]:
    turns: list[Turn] = [("system", system)] if system else []
    for role, text in history:
        if text and role == "user":
            turns.append(("user", text))
        elif text and role == "assistant":
            turns.append(("assistant", text))
    return [*turns, ("user", message)]


async def call(
    session: AsyncSession,
    ctx: ProxyContext,
    tenant_id: uuid.UUID,
    kind: str,
    id: uuid.UUID,
    *,
    message: str,
    history: list[tuple[str, str]],
    thread_id: uuid.UUID | None,
    outbound: Outbound | None = None,
) -> AsyncIterator[str]:
    """The assistant's answer to `message` (after `history`: `(role, text)` turns), as deltas.

    custom: the Model Proxy (`llm_name`, or the tenant's default chat model) with the
    assistant's instructions as the system message, followed by the best passages of its files
    for `message` (`files.passages`). watsonx: `call_watsonx_assistant`, its text parts
    separated by blank lines; the context it returns is kept per `thread_id` and sent back on
    the thread's next call (which commits the session). external_chat: `chat_external_agent`
    with the history and `X-THREAD-ID: thread_id`. `outbound` is the URL-safety policy of
    outgoing calls (default: no internal address; pass `outbound_for(settings)` to honour the
    administrator's allow-list). Errors surface on the first iteration: `NotFoundError` (404) for an unknown
    assistant, `InvalidInputError` for a bad kind, `UpstreamError`s for failed peers.
    """
    policy = outbound or Outbound()
    if kind == "custom":
        custom = await get_custom(session, tenant_id, id)
        route = await resolve_route(session, ctx, custom.llm_name, "chat")
        found = await files.passages(session, ctx, tenant_id, custom.collection_id, message)
        request = ChatRequest(
            messages=[
                ChatMessage(role=role, content=text)
                for role, text in _messages(_system(custom.instructions, found), history, message)
            ]
        )
        _, chunks = await stream_chat(ctx, route, request)
        async for chunk in chunks:
            if chunk.content:
                yield chunk.content
    elif kind == "watsonx":
        row = await repository.get(session, WatsonxAssistant, tenant_id, id)
        if row is None:
            raise AssistantNotFoundError
        previous = None
        if thread_id is not None:
            previous = await repository.conversation_context(session, row.id, thread_id)
        reply = await call_watsonx_assistant(
            watsonx_target(row, ctx.key), message=message, outbound=policy, context=previous
        )
        if thread_id is not None and reply.context is not None:
            await repository.save_conversation_context(
                session, tenant_id, row.id, thread_id, reply.context
            )
            await session.commit()
        for n, text in enumerate(reply.texts):
            yield text if n == 0 else "\n\n" + text
    elif kind == "external_chat":
        agent = await external_service.get(session, tenant_id, id)
        turns = [{"role": r, "content": t} for r, t in _messages(None, history, message)]
        async for delta in external_service.chat(
            agent, key=ctx.key, outbound=policy, messages=turns, thread_id=thread_id
        ):
            yield delta
    else:
        raise InvalidAssistantError(
            f"Unknown assistant kind '{kind}' (custom, watsonx or external_chat)"
        )
