"""Run use-cases of the API side: start, read, list, cancel, events, follow, sweep.

The worker side (executing a run, its lifecycle events) is `wxo.runs.lifecycle`.
Entry points other packages may use (e.g. chat completions):

- `start_run(session, principal, data, queue=..., assistant_id=None, multiple_content=False)`
  -> `Run` (thread created or checked, user message stored, job queued);
- `follow(sessions, redis, run_id, after_seq=0, timeout_seconds=None)` -> async iterator of
  RunEvent dicts `{id, event, data}`, stored then live, ending after `done`;
- `get_run`, `list_runs`, `cancel_run`, `list_events`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.agents import service as agent_service
from wxo.assistants import service as assistant_service
from wxo.auth.schemas import TenantPrincipal
from wxo.queue.base import Queue
from wxo.runs import events, repository
from wxo.runs.exceptions import AssistantNotFoundError, RunFinishedError, RunNotFoundError
from wxo.runs.models import Run, RunStatus
from wxo.runs.schemas import RunOrchestrate
from wxo.threads import service as thread_service
from wxo.threads.schemas import ThreadCreate

logger = logging.getLogger(__name__)

RUN_TASK = "wxo.runs.execute"
SWEEP_TASK = "wxo.runs.sweep"
TITLE_CHARS = 80


def message_text(content: Sequence[dict[str, Any]]) -> str:
    """The text of content items (`text` of each item that has one), joined by blank lines."""
    return "\n\n".join(
        str(item["text"]) for item in content if isinstance(item.get("text"), str) and item["text"]
    )


def _title(text: str) -> str:
    flat = " ".join(text.split())
    return (flat[: TITLE_CHARS - 1] + "…") if len(flat) > TITLE_CHARS else (flat or "Untitled")


async def start_run(
    session: AsyncSession,
    principal: TenantPrincipal,
    data: RunOrchestrate,
    *,
    queue: Queue,
    assistant_id: uuid.UUID | None = None,
    multiple_content: bool = False,
) -> Run:
    """Create a run and queue it: the thread (new, or the caller's), the user message, the run.

    Raises:
        AgentNotFoundError: `agent_id` names no agent (id or name) of the caller's tenant.
        ThreadNotFoundError: `thread_id` is not a live thread of the caller's tenant.
    """
    agent_uuid: uuid.UUID | None = None
    if data.agent_id is not None and assistant_id is None:
        # Checked up front: an unknown agent is a 404 and stores nothing (no thread, no run).
        agent_uuid = (await agent_service.get_agent(session, principal.tenant_id, data.agent_id)).id
    if data.thread_id is not None:
        thread = await thread_service.get_thread(session, principal, data.thread_id)
    else:
        thread = await thread_service.create_thread(
            session,
            principal,
            ThreadCreate(
                agent_id=agent_uuid,
                assistant_id=assistant_id,
                title=_title(_first_text(data)),
            ),
        )
    stored = json.loads(
        await thread_service.append_message(session, principal, thread.id, data.message)
    )
    run = await repository.insert_run(
        session,
        values={
            "tenant_id": principal.tenant_id,
            "thread_id": thread.id,
            "assistant_id": assistant_id,
            "agent_id": data.agent_id,
            "environment_id": data.environment_id,
            "version": data.version,
            "created_by": principal.user_id,
            "created_by_username": principal.username or None,
            "message_id": uuid.UUID(stored["id"]),
            "llm_params": _dump(data.llm_params),
            "guardrails": _dump(data.guardrails),
            "context": data.context or {},
            "context_variables": data.context_variables or {},
            "additional_parameters": data.additional_parameters or {},
            "additional_properties": data.additional_properties or {},
            "capture_logs": data.capture_logs,
            "multiple_content": multiple_content,
            "trace_id": uuid.uuid4().hex,
        },
    )
    await session.commit()
    await send_run(session, queue, run)
    return run


def _first_text(data: RunOrchestrate) -> str:
    content = data.message.content
    if isinstance(content, str):
        return content
    return message_text([item.model_dump() for item in content])


def _dump(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    dumped: dict[str, Any] = value.model_dump(exclude_none=True)
    return dumped


async def send_run(session: AsyncSession, queue: Queue, run: Run) -> None:
    """Queue the run's job and record its id (a lost job is re-sent by the sweeper)."""
    try:
        task_id = queue.enqueue(RUN_TASK, run_id=str(run.id))
    except Exception:
        logger.warning("run %s: queueing failed; the sweeper will send it", run.id, exc_info=True)
        return
    await repository.set_values(session, run_id=run.id, values={"task_id": task_id})
    await session.commit()
    run.task_id = task_id


async def get_run(session: AsyncSession, principal: TenantPrincipal, run_id: uuid.UUID) -> Run:
    """A run of the caller's tenant.

    Raises:
        RunNotFoundError: no such run, or another tenant's.
    """
    run = await repository.get_run(session, tenant_id=principal.tenant_id, run_id=run_id)
    if run is None:
        raise RunNotFoundError
    return run


async def list_runs(
    session: AsyncSession,
    principal: TenantPrincipal,
    *,
    assistant_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, Sequence[Run]]:
    """The tenant's runs newest first (of one assistant if given) and their total."""
    return await repository.list_runs(
        session,
        tenant_id=principal.tenant_id,
        assistant_id=assistant_id,
        limit=limit,
        offset=offset,
    )


async def cancel_run(
    session: AsyncSession, redis: aioredis.Redis, principal: TenantPrincipal, run_id: uuid.UUID
) -> Run:
    """Stop a run: a pending one at once (it never runs), a running one through its worker.

    The worker cancels the executor within about a second and ends the run `cancelled`.

    Raises:
        RunNotFoundError: no such run, or another tenant's.
        RunFinishedError: the run already ended.
    """
    run = await get_run(session, principal, run_id)
    if repository.is_terminal(run.status):
        raise RunFinishedError(f"Run {run_id} already ended ({run.status})")
    if run.status == RunStatus.PENDING and await repository.finish(
        session,
        run_id=run.id,
        status=RunStatus.CANCELLED,
        from_statuses=[RunStatus.PENDING.value],
        values={"cancel_requested_at": datetime.now(UTC), "last_error": "Cancelled before start"},
    ):
        await _end_with(session, redis, run, "run.cancelled", {"status": "cancelled"})
        return await get_run(session, principal, run_id)
    status = await repository.request_cancel(session, run_id=run.id)
    await session.commit()
    if status is None:
        raise RunFinishedError(f"Run {run_id} already ended")
    try:
        await redis.publish(events.cancel_channel(run.id), "cancel")
    except Exception:
        logger.warning("run %s: publishing the cancel request failed", run.id, exc_info=True)
    return await get_run(session, principal, run_id)


async def _end_with(
    session: AsyncSession, redis: aioredis.Redis, run: Run, event: str, data: dict[str, Any]
) -> None:
    """Write the terminal event and `done` with the status change, commit, then publish them."""
    written = [
        await events.append(session, run.id, run.thread_id, event, data),
        await events.append(session, run.id, run.thread_id, events.DONE, {}),
    ]
    await session.commit()
    for rendered in written:
        await events.publish(redis, run.id, rendered)


async def list_events(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    redis: aioredis.Redis,
    principal: TenantPrincipal,
    run_id: uuid.UUID,
    *,
    after: str | None = None,
    wait_seconds: float = 0.0,
) -> list[dict[str, Any]]:
    """The run's events after `after`; waits up to `wait_seconds` for the run to end (`done`).

    Raises:
        RunNotFoundError: no such run, or another tenant's.
        InvalidEventCursorError: `after` is not an event id of this run.
    """
    run = await get_run(session, principal, run_id)
    after_seq = events.parse_cursor(run.id, after)
    return [
        rendered
        async for rendered in events.follow(
            sessions, redis, run.id, after_seq=after_seq, timeout_seconds=max(wait_seconds, 0.0)
        )
    ]


async def follow(
    sessions: async_sessionmaker[AsyncSession],
    redis: aioredis.Redis,
    run_id: uuid.UUID,
    *,
    after_seq: int = 0,
    timeout_seconds: float | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """A run's events after `after_seq`, stored then live, until `done` (or the timeout).

    The caller has checked that the run is its tenant's (`get_run`).
    """
    async for rendered in events.follow(
        sessions, redis, run_id, after_seq=after_seq, timeout_seconds=timeout_seconds
    ):
        yield rendered


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    redis: aioredis.Redis,
    queue: Queue,
    *,
    stale_after_seconds: float,
    backlog: int = 0,
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Fail running runs whose heartbeat is stale (their worker died); re-send lost pending runs.

    While the broker holds `backlog` messages a pending run may just be waiting its turn: then
    only runs whose message was never sent are sent (no duplicates piling onto a backlog).

    A run whose worker died is not run again (its model or tool calls may have had effects): it
    ends `failed` with `last_error` saying why. Returns (failed, re-sent) run ids.
    """
    older_than = datetime.now(UTC) - timedelta(seconds=stale_after_seconds)
    failed: list[uuid.UUID] = []
    async with sessions() as session:
        for run_id in await repository.stale_running(session, older_than=older_than):
            reason = (
                f"The worker executing this run stopped (no heartbeat for more than "
                f"{stale_after_seconds:g} s); the run was not retried"
            )
            if await repository.finish(
                session,
                run_id=run_id,
                status=RunStatus.FAILED,
                from_statuses=[RunStatus.RUNNING.value],
                values={"last_error": reason},
            ):
                run = await repository.get_run(session, tenant_id=None, run_id=run_id)
                if run is None:
                    continue
                await _end_with(session, redis, run, "run.failed", {"error": reason})
                failed.append(run_id)
        await session.commit()
    async with sessions() as session:
        lost = list(
            await repository.lost_pending(session, older_than=older_than, unsent_only=backlog > 0)
        )
        await session.commit()
        for run_id in lost:
            run = await repository.get_run(session, tenant_id=None, run_id=run_id)
            if run is not None:
                await send_run(session, queue, run)
    return failed, lost


async def check_assistant_exists(
    session: AsyncSession, principal: TenantPrincipal, assistant_id: uuid.UUID
) -> None:
    """Raise unless the tenant has an assistant with this id (`wxo.assistants`).

    Custom assistants, watsonx Assistant instances and external chat agents count.

    Raises:
        AssistantNotFoundError: none of the tenant's assistants has this id.
    """
    if not await assistant_service.assistant_exists(session, principal.tenant_id, assistant_id):
        raise AssistantNotFoundError
