"""What the agent loop needs from other domains, behind one small seam.

The loop reaches agents (`wxo.agents.service.load_spec`), knowledge bases
(`wxo.knowledge_bases.service.search_for_agent` / `describe_for_agent`) and callable assistants
(`wxo.assistants.service.list_callable` / `call`) only through :class:`Backends`, so tests can
script them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.agents import service as agents_service
from wxo.assistants import service as assistants_service
from wxo.core.config import Settings
from wxo.external_agents.outbound import outbound_for
from wxo.knowledge_bases import service as kb_service
from wxo.llm.service import ProxyContext
from wxo.runs.execution import HistoryMessage


class AgentLike(Protocol):
    """The parts of `wxo.agents.service.AgentSpec` the loop reads."""

    @property
    def id(self) -> Any:
        """The agent's id."""

    @property
    def name(self) -> str:
        """Its unique name."""

    @property
    def display_name(self) -> str | None:
        """How it is shown."""

    @property
    def description(self) -> str | None:
        """What it does (offered to a calling agent's model)."""

    @property
    def instructions(self) -> str | None:
        """Its system instructions."""

    @property
    def llm(self) -> str | None:
        """Its model (a Model Proxy name), or None for the tenant's default."""

    @property
    def knowledge_base_ids(self) -> Sequence[Any]:
        """Its knowledge bases."""

    @property
    def collaborator_ids(self) -> Sequence[Any]:
        """Agents (or callable assistants) it may hand work to."""


@dataclass(frozen=True)
class Callee:
    """A callable assistant: an external chat agent, a watsonx Assistant or a custom assistant."""

    kind: str
    id: Any
    name: str
    description: str | None = None


LoadAgent = Callable[[AsyncSession, uuid.UUID, str], Awaitable[AgentLike]]
ListAgents = Callable[[AsyncSession, uuid.UUID, int], Awaitable[Sequence[str]]]
DescribeKB = Callable[[AsyncSession, uuid.UUID, Any], Awaitable[tuple[str, str | None]]]
SearchKB = Callable[[AsyncSession, ProxyContext, uuid.UUID, Any, str, str | None], Awaitable[Any]]
ListCallable = Callable[[AsyncSession, uuid.UUID], Awaitable[Sequence[Callee]]]
CallAssistant = Callable[
    [AsyncSession, ProxyContext, uuid.UUID, str, Any, str, Sequence[HistoryMessage], uuid.UUID],
    AsyncIterator[str],
]


@dataclass(frozen=True)
class Backends:
    """The other domains' services as the loop calls them (positional, normalised)."""

    load_agent: LoadAgent
    describe_kb: DescribeKB
    search_kb: SearchKB
    list_callable: ListCallable
    call_assistant: CallAssistant
    list_agents: ListAgents | None = None  # the tenant's visible agents (ids), for the built-in


def _callee(item: Any) -> Callee:
    """A `list_callable` item (object or mapping) as a :class:`Callee`."""

    def get(key: str) -> Any:
        return item.get(key) if isinstance(item, dict) else getattr(item, key, None)

    name = get("name") or get("nickname") or get("title") or str(get("id"))
    return Callee(
        kind=str(get("kind") or get("type")),
        id=get("id"),
        name=str(name),
        description=get("description"),
    )


def default_backends(settings: Settings | None = None) -> Backends:
    """The real services (`settings`: the server's, for the outgoing-call allow-list)."""
    outbound = outbound_for(settings) if settings is not None else None

    async def load_agent(session: AsyncSession, tenant_id: uuid.UUID, ref: str) -> AgentLike:
        return await agents_service.load_spec(session, tenant_id, ref)

    async def describe_kb(
        session: AsyncSession, tenant_id: uuid.UUID, kb_id: Any
    ) -> tuple[str, str | None]:
        return await kb_service.describe_for_agent(session, tenant_id, kb_id)

    async def search_kb(
        session: AsyncSession,
        ctx: ProxyContext,
        tenant_id: uuid.UUID,
        kb_id: Any,
        query: str,
        model_id: str | None,
    ) -> Any:
        return await kb_service.search_for_agent(
            session, ctx, tenant_id, kb_id, query, model_id=model_id
        )

    async def list_callable(session: AsyncSession, tenant_id: uuid.UUID) -> list[Callee]:
        return [
            _callee(item) for item in await assistants_service.list_callable(session, tenant_id)
        ]

    async def list_agents(session: AsyncSession, tenant_id: uuid.UUID, limit: int) -> list[str]:
        agents = await agents_service.list_agents(
            session, tenant_id, names=[], ids=[], include_hidden=False, limit=limit, offset=0
        )
        return [str(agent.id) for agent in agents]

    async def call_assistant(
        session: AsyncSession,
        ctx: ProxyContext,
        tenant_id: uuid.UUID,
        kind: str,
        callee_id: Any,
        message: str,
        history: Sequence[HistoryMessage],
        thread_id: uuid.UUID,
    ) -> AsyncIterator[str]:
        stream = assistants_service.call(
            session,
            ctx,
            tenant_id,
            kind,
            callee_id,
            message=message,
            history=[(h.role, h.text) for h in history],
            thread_id=thread_id,
            outbound=outbound,
        )
        async for piece in stream:
            yield piece

    return Backends(
        load_agent=load_agent,
        describe_kb=describe_kb,
        search_kb=search_kb,
        list_callable=list_callable,
        call_assistant=call_assistant,
        list_agents=list_agents,
    )
