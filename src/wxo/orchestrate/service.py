"""Chat With Agents: an OpenAI-like chat completion answered by a run of the agent.

The last user message of the request starts a run (`wxo.runs.service.start_run`) of the agent
on the thread named by `X-IBM-THREAD-ID` (the caller's tenant's, else 404), or on a new thread
that first receives the request's earlier user/assistant messages. The run executes on a worker
like any other; this module follows its events (`wxo.runs.service.follow`) and turns them into
one `chat.completion` or a stream of `chat.completion.chunk` objects.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.agents import service as agents_service
from wxo.auth.schemas import TenantPrincipal
from wxo.core.errors import UpstreamError
from wxo.orchestrate.exceptions import NoUserMessageError
from wxo.orchestrate.schemas import (
    ChatCompletion,
    ChatCompletionResponse,
    ChatMessageV2,
    Choice,
    ChoiceMessage,
    CompletionUsage,
)
from wxo.queue.base import Queue
from wxo.runs import service as runs_service
from wxo.runs.schemas import RunMessage, RunOrchestrate
from wxo.threads import service as thread_service
from wxo.threads.exceptions import ThreadNotFoundError
from wxo.threads.models import MessageRole
from wxo.threads.schemas import MessageCreate, ThreadCreate

TITLE_CHARS = 80


class RunFailedError(UpstreamError):
    """The agent's run failed (its model or a service it needs)."""

    code = "run_failed"


@dataclass(frozen=True)
class ChatRun:
    """A started chat completion run."""

    run_id: uuid.UUID
    thread_id: uuid.UUID
    agent_name: str
    agent_llm: str | None
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def model(self) -> str:
        """The model named in chunks: the agent's, else the agent's name."""
        return self.agent_llm or self.agent_name


def _items(content: str | list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Content as content items (OpenAI `{"type": "text"}` parts become `text` items)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"response_type": "text", "text": content}] if content else []
    items = []
    for part in content:
        kind = part.get("response_type") or part.get("type") or "text"
        if kind == "text" and not isinstance(part.get("text"), str):
            continue
        items.append({**{k: v for k, v in part.items() if k != "type"}, "response_type": kind})
    return items


def _text(items: Sequence[dict[str, Any]]) -> str:
    return "\n\n".join(
        str(i["text"]) for i in items if isinstance(i.get("text"), str) and i["text"]
    )


def _thread_id(header: str | None) -> uuid.UUID | None:
    if header is None or not header.strip():
        return None
    try:
        return uuid.UUID(header.strip())
    except ValueError:
        raise ThreadNotFoundError("Thread not found") from None


async def start_chat(
    session: AsyncSession,
    principal: TenantPrincipal,
    agent_ref: str,
    body: ChatCompletion,
    thread_header: str | None,
    *,
    queue: Queue,
) -> ChatRun:
    """Start the agent's run for the request's last user message.

    Raises:
        AgentNotFoundError: no such agent (id or name) in the caller's tenant.
        ThreadNotFoundError: `X-IBM-THREAD-ID` is not a live thread of the caller's tenant.
        NoUserMessageError: no user message with text to answer.
    """
    agent = await agents_service.get_agent(session, principal.tenant_id, agent_ref)
    last = _last_user(body.messages)
    thread_id = _thread_id(thread_header)
    if thread_id is not None:
        await thread_service.get_thread(session, principal, thread_id)
    else:
        earlier = [m for m in body.messages[:last] if m.role in ("user", "assistant")]
        if earlier:
            thread_id = await _thread_with(session, principal, agent.id, body, earlier)
    data = RunOrchestrate(
        message=RunMessage(content=_items(body.messages[last].content)),
        thread_id=thread_id,
        agent_id=str(agent.id),
        context=body.context or None,
        additional_parameters=body.additional_parameters or None,
    )
    run = await runs_service.start_run(session, principal, data, queue=queue)
    return ChatRun(
        run_id=run.id, thread_id=run.thread_id, agent_name=agent.name, agent_llm=agent.llm
    )


def _last_user(messages: Sequence[ChatMessageV2]) -> int:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "user" and _items(messages[index].content):
            return index
    raise NoUserMessageError("'messages' must contain a user message with content")


async def _thread_with(
    session: AsyncSession,
    principal: TenantPrincipal,
    agent_id: uuid.UUID,
    body: ChatCompletion,
    earlier: Sequence[ChatMessageV2],
) -> uuid.UUID:
    """A new thread of the agent holding the request's earlier messages."""
    title = " ".join(_text(_items(body.messages[_last_user(body.messages)].content)).split())
    thread = await thread_service.create_thread(
        session,
        principal,
        ThreadCreate(agent_id=agent_id, title=title[:TITLE_CHARS] or "Untitled"),
    )
    for message in earlier:
        items = _items(message.content)
        if items:
            role = MessageRole.USER if message.role == "user" else MessageRole.ASSISTANT
            await thread_service.append_message(
                session,
                principal,
                thread.id,
                MessageCreate(role=role, content=items),
            )
    return thread.id


async def events_of(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis, chat: ChatRun
) -> AsyncIterator[dict[str, Any]]:
    """The run's events, stored then live, until `done`."""
    async for event in runs_service.follow(sessions, redis, chat.run_id):
        yield event


def _usage(usage: dict[str, Any] | None) -> CompletionUsage | None:
    tokens = (usage or {}).get("token_usage")
    if not isinstance(tokens, dict):
        return None
    prompt = int(tokens.get("prompt_tokens") or 0)
    completion = int(tokens.get("completion_tokens") or 0)
    total = int(tokens.get("total_tokens") or prompt + completion)
    return CompletionUsage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)


def _answered_by(usage: dict[str, Any] | None) -> str | None:
    models = (usage or {}).get("model_usage") or []
    name = models[0].get("model_name") if models and isinstance(models[0], dict) else None
    return name if isinstance(name, str) else None


async def complete(chat: ChatRun, events: AsyncIterator[dict[str, Any]]) -> ChatCompletionResponse:
    """Wait for the run's end; its answer as one `chat.completion`.

    Raises:
        RunFailedError: the run failed (502, with the run's error).
    """
    deltas: list[str] = []
    content: list[dict[str, Any]] | None = None
    usage: dict[str, Any] | None = None
    finish = "stop"
    async for event in events:
        kind, data = event["event"], event.get("data") or {}
        if kind == "message.delta":
            deltas += [str(c.get("text") or "") for c in data["delta"].get("content") or []]
        elif kind == "message.created":
            content = list((data.get("message") or {}).get("content") or [])
        elif kind == "message.completed":
            usage = data.get("usage")
        elif kind == "run.failed":
            raise RunFailedError(f"The run failed: {data.get('error') or 'unknown error'}")
        elif kind == "run.cancelled":
            finish = "cancelled"
    text = _text(content) if content is not None else "".join(deltas)
    return ChatCompletionResponse(
        id=str(chat.run_id),
        created=chat.created,
        model=chat.agent_llm or _answered_by(usage) or chat.agent_name,
        choices=[Choice(message=ChoiceMessage(content=text), finish_reason=finish)],
        usage=_usage(usage),
        thread_id=str(chat.thread_id),
    )


async def chunks(
    chat: ChatRun, events: AsyncIterator[dict[str, Any]]
) -> AsyncIterator[dict[str, Any]]:
    """The run's answer as `chat.completion.chunk` objects (each with `thread_id`).

    A role chunk first, one chunk per text delta, then a chunk with `finish_reason` (`stop`, or
    `cancelled`) and `usage`. A failed run ends with `{"error": {"message", "type"}}` instead,
    which OpenAI's SDKs raise as an API error.
    """
    base = {
        "id": str(chat.run_id),
        "object": "chat.completion.chunk",
        "created": chat.created,
        "model": chat.model,
        "thread_id": str(chat.thread_id),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return {**base, "choices": [choice], **extra}

    yield chunk({"role": "assistant", "content": ""})
    streamed = False
    usage: dict[str, Any] | None = None
    async for event in events:
        kind, data = event["event"], event.get("data") or {}
        if kind == "message.delta":
            for item in data["delta"].get("content") or []:
                if item.get("text"):
                    streamed = True
                    yield chunk({"content": str(item["text"])})
        elif kind == "message.created" and not streamed:
            text = _text((data.get("message") or {}).get("content") or [])
            if text:
                yield chunk({"content": text})
        elif kind == "message.completed":
            usage = data.get("usage")
        elif kind in ("run.completed", "run.cancelled"):
            finish = "stop" if kind == "run.completed" else "cancelled"
            counted = _usage(usage)
            extra = {"usage": counted.model_dump()} if counted is not None else {}
            yield chunk({}, finish, **extra)
        elif kind == "run.failed":
            message = f"The run failed: {data.get('error') or 'unknown error'}"
            yield {"error": {"message": message, "type": "run_failed"}, **base}
