"""The contract between the run machinery (`wxo.runs`) and what executes a run.

`wxo.runs` owns the run's life: the run row, the thread messages, the lifecycle events
(`run.started`, `message.started`, `message.created`, `message.completed`, `run.completed` /
`run.failed` / `run.cancelled`, `done`), cancellation and faults. An `Executor` only produces
the answer: it reports progress through the `RunSink` (steps, intermediate text, text deltas)
and returns a `RunOutput`; it raises to fail the run, and stops soon after `sink.cancelled()`
turns true (the run machinery also cancels its task).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.core.config import Settings
from wxo.llm.service import ProxyContext


@dataclass(frozen=True)
class HistoryMessage:
    """A message already in the thread before this run (oldest first)."""

    role: str  # "user" | "assistant"
    text: str  # the message's text content items joined


@dataclass(frozen=True)
class RunInput:
    """What a run was asked to do."""

    run_id: uuid.UUID
    tenant_id: uuid.UUID
    thread_id: uuid.UUID
    user_id: uuid.UUID | None
    agent_id: str | None  # an agent's id or name, as the client sent it
    assistant_id: uuid.UUID | None  # a custom assistant's runs (`/v1/assistants/{id}/runs`)
    message: str  # the user message's text
    content: list[dict[str, Any]]  # the user message's content items, as stored
    history: list[HistoryMessage]
    llm_params: dict[str, Any] = field(default_factory=dict)
    guardrails: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    context_variables: dict[str, Any] = field(default_factory=dict)
    additional_parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunEnv:
    """Resources an executor may use (the worker's)."""

    sessions: async_sessionmaker[AsyncSession]
    proxy: ProxyContext
    settings: Settings | None = None  # the process's (e.g. the outgoing-call allow-list)


class RunSink(Protocol):
    """Where an executor reports progress; every call becomes one stored, published event."""

    async def step(self, step_details: list[dict[str, Any]]) -> None:
        """`run.step.delta` with `delta{role: "assistant", step_details}` (threads.md §5)."""

    async def intermediate(self, text: str, current_agent: str | None = None) -> None:
        """`run.step.intermediate` with `message{text}` and `current_agent`."""

    async def delta(self, text: str) -> None:
        """`message.delta` with `delta{role: "assistant", content[{response_type: "text", text}]}`."""

    def cancelled(self) -> bool:
        """True once the run was asked to stop."""


@dataclass
class RunOutput:
    """The assistant message an executor produced."""

    content: list[dict[str, Any]]  # content items: text, conversational_search, ...
    step_history: list[dict[str, Any]] = field(default_factory=list)
    # {"token_usage": {"total_tokens"}, "model_usage": [{model_name, provider, token_usage{...}}]}
    usage: dict[str, Any] = field(default_factory=dict)
    agent_id: str | None = None  # the agent that answered, when one did


Executor = Callable[[RunEnv, RunInput, RunSink], Awaitable[RunOutput]]


def default_executor() -> Executor:
    """The executor runs use unless settings name another (`WXO_RUNS__EXECUTOR`).

    The Orchestrate agent loop (`wxo.orchestrate.loop.execute`).
    """
    from wxo.orchestrate.loop import execute

    return execute
