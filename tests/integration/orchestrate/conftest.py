"""Agent loop fixtures: a scripted OpenAI-compatible model, a recording sink, stand-in services.

The agents, knowledge bases and callable assistants are scripted stand-ins with the signatures of
`wxo.agents.service`, `wxo.knowledge_bases.service` and `wxo.assistants.service`; the model is a
real HTTP peer (`FakeOpenAI`) registered through `/v1/models`, so the loop runs the real Model
Proxy (routing, the OpenAI adapter, streaming, usage).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.integration.llm.peers import FakeOpenAI
from wxo.container import Container
from wxo.core.errors import NotFoundError, UpstreamError
from wxo.llm import service as llm_service
from wxo.llm.base import ChatMessage, ChatRequest
from wxo.llm.service import ProxyContext, proxy_for
from wxo.orchestrate.backends import AgentLike, Backends, Callee
from wxo.runs.execution import HistoryMessage, RunEnv, RunInput


def sse_text(pieces: Sequence[str], usage: tuple[int, int] = (20, 6)) -> list[Any]:
    """A streamed text answer, then OpenAI's usage chunk."""
    base = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 0, "model": "fake"}
    events: list[Any] = [
        {**base, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]}
        for p in pieces
    ]
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    events.append({**base, "choices": [], "usage": _usage(usage)})
    return events


def sse_tool_calls(
    calls: Sequence[tuple[str, str, Any]], usage: tuple[int, int] = (12, 4)
) -> list[Any]:
    """Streamed tool calls `(id, name, arguments)`; arguments split over two chunks each."""
    base = {"id": "chatcmpl-t", "object": "chat.completion.chunk", "created": 0, "model": "fake"}
    events: list[Any] = []
    for index, (call_id, name, arguments) in enumerate(calls):
        text = arguments if isinstance(arguments, str) else json.dumps(arguments)
        half = len(text) // 2
        head = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": text[:half]},
        }
        tail = {"index": index, "function": {"arguments": text[half:]}}
        for part in (head, tail):
            events.append(
                {
                    **base,
                    "choices": [
                        {"index": 0, "delta": {"tool_calls": [part]}, "finish_reason": None}
                    ],
                }
            )
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    events.append({**base, "choices": [], "usage": _usage(usage)})
    return events


def _usage(usage: tuple[int, int]) -> dict[str, int]:
    return {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    """A scripted OpenAI-compatible server on the loopback."""
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.stop()


class RecordingSink:
    """A `RunSink` that records every call; `cancel_after` steps flips `cancelled()`."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.events: list[tuple[str, Any]] = []
        self.cancel_after = cancel_after
        self.stop = False

    async def step(self, step_details: list[dict[str, Any]]) -> None:
        self.events.append(("step", step_details))
        if self.cancel_after is not None and len(self.steps) >= self.cancel_after:
            self.stop = True

    async def intermediate(self, text: str, current_agent: str | None = None) -> None:
        self.events.append(("intermediate", (text, current_agent)))

    async def delta(self, text: str) -> None:
        self.events.append(("delta", text))

    def cancelled(self) -> bool:
        return self.stop

    @property
    def steps(self) -> list[list[dict[str, Any]]]:
        return [e[1] for e in self.events if e[0] == "step"]

    @property
    def text(self) -> str:
        return "".join(e[1] for e in self.events if e[0] == "delta")


@dataclass
class Spec:
    """A stand-in `AgentSpec`."""

    name: str
    llm: str | None = None
    instructions: str | None = None
    description: str | None = None
    display_name: str | None = None
    style: str = "default"
    tools: list[str] = field(default_factory=list)
    knowledge_base_ids: list[Any] = field(default_factory=list)
    collaborator_ids: list[Any] = field(default_factory=list)
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class KB:
    """A stand-in knowledge base: named chunks of text."""

    name: str
    chunks: dict[str, str]
    description: str | None = None
    fail: bool = False
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class Services:
    """Scripted stand-ins for the agents, knowledge bases and assistants services."""

    agents: list[Spec] = field(default_factory=list)
    kbs: list[KB] = field(default_factory=list)
    callees: list[Callee] = field(default_factory=list)
    answers: dict[str, list[str]] = field(default_factory=dict)  # callee name -> pieces
    searches: list[tuple[uuid.UUID, str, str | None]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def backends(self) -> Backends:
        async def load_agent(session: Any, tenant_id: uuid.UUID, ref: str) -> AgentLike:
            for agent in self.agents:
                if ref in (agent.name, str(agent.id)):
                    return agent
            raise NotFoundError(f"Agent '{ref}' not found")

        def kb(kb_id: Any) -> KB:
            found = next((k for k in self.kbs if k.id == kb_id), None)
            if found is None:
                raise NotFoundError(f"Knowledge base '{kb_id}' not found")
            return found

        async def describe(
            session: Any, tenant_id: uuid.UUID, kb_id: Any
        ) -> tuple[str, str | None]:
            k = kb(kb_id)
            return k.name, k.description

        async def search(
            session: Any,
            ctx: ProxyContext,
            tenant_id: uuid.UUID,
            kb_id: Any,
            query: str,
            model_id: str | None,
        ) -> dict[str, Any]:
            k = kb(kb_id)
            self.searches.append((k.id, query, model_id))
            if k.fail:
                raise UpstreamError("the index is unavailable")
            return await answer_from(session, ctx, k, query, model_id)

        async def list_callable(session: Any, tenant_id: uuid.UUID) -> list[Callee]:
            return list(self.callees)

        async def call(
            session: Any,
            ctx: ProxyContext,
            tenant_id: uuid.UUID,
            kind: str,
            callee_id: Any,
            message: str,
            history: Sequence[HistoryMessage],
            thread_id: uuid.UUID,
        ) -> AsyncIterator[str]:
            self.calls.append(
                {
                    "kind": kind,
                    "id": callee_id,
                    "message": message,
                    "history": list(history),
                    "thread_id": thread_id,
                }
            )
            name = next((c.name for c in self.callees if c.id == callee_id), str(callee_id))
            for piece in self.answers.get(name, ["(nothing)"]):
                yield piece

        async def list_agents(session: Any, tenant_id: uuid.UUID, limit: int) -> list[str]:
            return [str(agent.id) for agent in self.agents][:limit]

        return Backends(load_agent, describe, search, list_callable, call, list_agents)


async def answer_from(
    session: Any, ctx: ProxyContext, kb: KB, query: str, model_id: str | None
) -> dict[str, Any]:
    """A `conversational_search` item, as a knowledge base service would make it.

    The named model answers from the chunks; citations are the answer's quoted sentences,
    located in their chunk.
    """
    route = await llm_service.resolve_route(session, ctx, model_id, "chat")
    context = "\n".join(f"[{name}]\n{text}" for name, text in kb.chunks.items())
    result = await llm_service.chat(
        ctx,
        route,
        ChatRequest(
            messages=[
                ChatMessage(role="system", content=context),
                ChatMessage(role="user", content=query),
            ]
        ),
    )
    text = result.content or ""
    names = list(kb.chunks)
    citations = []
    for name, body in kb.chunks.items():
        for line in text.splitlines():
            sentence = line.removeprefix("- ").removesuffix(f" [{name}]")
            if line.endswith(f"[{name}]") and sentence in body:
                start = body.index(sentence)
                citations.append(
                    {
                        "url": None,
                        "title": name,
                        "body": body,
                        "text": sentence,
                        "range_start": start,
                        "range_end": start + len(sentence),
                        "search_result_idx": names.index(name),
                    }
                )
    return {
        "response_type": "conversational_search",
        "text": text,
        "citations": citations,
        "search_results": [
            {"url": None, "title": n, "body": b, "result_metadata": {"score": 1.0}}
            for n, b in kb.chunks.items()
        ],
        "citations_title": "How do we know?",
    }


def env_for(container: Container, tenant_id: uuid.UUID) -> RunEnv:
    """The worker's resources for one tenant."""
    return RunEnv(sessions=container.sessionmaker, proxy=proxy_for(container, tenant_id))


def run_input(
    tenant_id: uuid.UUID,
    message: str,
    *,
    agent_id: str | None = None,
    assistant_id: uuid.UUID | None = None,
    history: list[HistoryMessage] | None = None,
    **extra: Any,
) -> RunInput:
    """A run as the run machinery hands it over."""
    return RunInput(
        run_id=uuid.uuid4(),
        tenant_id=tenant_id,
        thread_id=uuid.uuid4(),
        user_id=None,
        agent_id=agent_id,
        assistant_id=assistant_id,
        message=message,
        content=[{"response_type": "text", "text": message}],
        history=history or [],
        **extra,
    )
