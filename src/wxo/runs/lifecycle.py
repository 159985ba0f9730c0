"""Executing a run on a worker: claim, lifecycle events, heartbeat, cancellation, the answer.

Event order: `run.started`, `message.started`, the executor's `run.step.*` /
`run.step.intermediate` / `message.delta`, `message.created`, `message.completed` (usage),
`run.completed`, `done`; or `run.failed` (`error`) / `run.cancelled`, then `done`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.auth.schemas import TenantPrincipal
from wxo.core.config import RunSettings
from wxo.core.errors import AppError
from wxo.runs import events, repository
from wxo.runs.execution import Executor, HistoryMessage, RunEnv, RunInput, RunOutput
from wxo.runs.models import Run, RunStatus
from wxo.runs.schemas import AssistantRun
from wxo.runs.service import message_text
from wxo.threads import service as thread_service
from wxo.threads.models import MessageRole
from wxo.threads.schemas import ContentItem, MessageCreate

logger = logging.getLogger(__name__)
HISTORY_MESSAGES = 50


class RunSinkImpl:
    """`RunSink`: every call stores and publishes one event."""

    def __init__(self, writer: events.EventWriter, stop: asyncio.Event) -> None:
        """Write through `writer`; `stop` is set when the run is asked to stop."""
        self.writer = writer
        self.stop = stop

    async def step(self, step_details: list[dict[str, Any]]) -> None:
        """`run.step.delta`."""
        await self.writer.emit(
            "run.step.delta", {"delta": {"role": "assistant", "step_details": step_details}}
        )

    async def intermediate(self, text: str, current_agent: str | None = None) -> None:
        """`run.step.intermediate`."""
        await self.writer.emit(
            "run.step.intermediate", {"message": {"text": text}, "current_agent": current_agent}
        )

    async def delta(self, text: str) -> None:
        """`message.delta` (coalesced by the writer: see `wxo.runs.events`)."""
        await self.writer.text_delta(text)

    def cancelled(self) -> bool:
        """True once the run was asked to stop."""
        return self.stop.is_set()


@dataclass
class Worker:
    """What executing runs needs from the worker process."""

    sessions: async_sessionmaker[AsyncSession]
    redis: aioredis.Redis
    settings: RunSettings
    env_for: Callable[[uuid.UUID], RunEnv]  # resources as the run's tenant sees them


def _principal(run: Run) -> TenantPrincipal:
    """The run's creator, for thread writes made on its behalf."""
    return TenantPrincipal(
        user_id=run.created_by or uuid.UUID(int=0),
        username=run.created_by_username or "",
        token_id=uuid.UUID(int=0),
        tenant_id=run.tenant_id,
        tenant_name="",
    )


async def load_input(sessions: async_sessionmaker[AsyncSession], run: Run) -> RunInput:
    """The run's user message and the thread's earlier messages."""
    principal = _principal(run)
    async with sessions() as session:
        thread = await thread_service.get_thread(session, principal, run.thread_id)
        message = await thread_service.get_message(
            session, thread, run.message_id or uuid.UUID(int=0)
        )
        earlier = json.loads(
            await thread_service.list_messages(
                session,
                principal,
                run.thread_id,
                before=run.message_id,
                limit=HISTORY_MESSAGES,
                latest=True,
            )
        )
    history = [
        HistoryMessage(role=m["role"], text=message_text(m["content"]))
        for m in earlier
        if m["role"] in ("user", "assistant")
    ]
    return RunInput(
        run_id=run.id,
        tenant_id=run.tenant_id,
        thread_id=run.thread_id,
        user_id=run.created_by,
        agent_id=run.agent_id,
        assistant_id=run.assistant_id,
        message=message_text(message.content),
        content=message.content,
        history=history,
        llm_params=run.llm_params,
        guardrails=run.guardrails,
        context=run.context,
        context_variables=run.context_variables,
        additional_parameters=run.additional_parameters,
    )


async def _cancel_message(pubsub: Any, wait: float) -> bool:
    """Whether a cancel message arrives within `wait` s (Redis trouble: wait, then no)."""
    if pubsub is not None:
        try:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
        except Exception:  # the heartbeat still reads the cancel flag from the table
            logger.warning("cancel channel unavailable", exc_info=True)
        else:
            return message is not None
    await asyncio.sleep(wait)
    return False


async def _watch(worker: Worker, run_id: uuid.UUID, stop: asyncio.Event) -> str:
    """Heartbeat the run until asked to stop; why it stopped (`cancelled` or `lost`).

    A cancel arrives on the run's Redis channel (at once) or as `cancel_requested_at`, read by
    every heartbeat (within `heartbeat_seconds`, also when Redis pub/sub is unavailable).
    """
    pubsub: Any = worker.redis.pubsub()
    try:
        await pubsub.subscribe(events.cancel_channel(run_id))
    except Exception:
        logger.warning("run %s: cancel channel unavailable", run_id, exc_info=True)
        pubsub = None
    try:
        while True:
            async with worker.sessions() as session:
                state = await repository.heartbeat(session, run_id=run_id)
                await session.commit()
            if state == "gone":
                stop.set()
                return "lost"  # no longer running: the sweeper or a cancel ended it
            if state == "cancel" or await _cancel_message(
                pubsub, worker.settings.heartbeat_seconds
            ):
                stop.set()
                return "cancelled"
    finally:
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(pubsub.aclose())


def _reason(watcher: asyncio.Task[str]) -> str | None:
    """Why the watcher stopped (`cancelled`, `lost`), or None if it has not or it failed."""
    if not watcher.done() or watcher.cancelled() or watcher.exception() is not None:
        return None
    return watcher.result()


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, AppError):
        return f"{exc.code}: {exc}"
    return f"The run failed with an internal error ({type(exc).__name__})"


async def execute_run(worker: Worker, executor: Executor, run_id: uuid.UUID) -> str:
    """Execute one run if it is pending; its final status (`skipped` if it was not pending)."""
    async with worker.sessions() as session:
        run = await repository.claim(session, run_id=run_id)
        await session.commit()
    if run is None:
        return "skipped"  # cancelled before it started, or a redelivered message
    writer = events.EventWriter(
        worker.sessions, worker.redis, run_id=run.id, thread_id=run.thread_id
    )
    await writer.emit(
        "run.started",
        {"status": "running", "agent_id": run.agent_id, "assistant_id": run.assistant_id},
    )
    await writer.emit("message.started", {"message": {"role": "assistant"}})
    stop = asyncio.Event()
    watcher = asyncio.create_task(_watch(worker, run.id, stop))
    work: asyncio.Task[RunOutput] | None = None
    try:
        run_input = await load_input(worker.sessions, run)
        sink = RunSinkImpl(writer, stop)
        work = asyncio.ensure_future(executor(worker.env_for(run.tenant_id), run_input, sink))
        await asyncio.wait({work, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if not work.done():
            work.cancel()
            with contextlib.suppress(BaseException):
                await work
            reason = _reason(watcher)
            if reason is None:
                raise RuntimeError("the run's heartbeat failed")
            if reason == "lost":
                return "lost"
            return await _end(worker, writer, run, RunStatus.CANCELLED, "run.cancelled", {})
        output = work.result()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if stop.is_set() and _reason(watcher) == "cancelled":
            return await _end(worker, writer, run, RunStatus.CANCELLED, "run.cancelled", {})
        logger.warning("run %s failed", run.id, exc_info=not isinstance(exc, AppError))
        error = _error_text(exc)
        return await _end(
            worker, writer, run, RunStatus.FAILED, "run.failed", {"error": error}, error=error
        )
    finally:
        watcher.cancel()
        with contextlib.suppress(BaseException):
            await watcher
    if stop.is_set():
        return await _end(worker, writer, run, RunStatus.CANCELLED, "run.cancelled", {})
    try:
        return await _complete(worker, writer, run, output)
    except Exception as exc:  # e.g. the thread was deleted meanwhile
        logger.warning("run %s: storing the answer failed", run.id, exc_info=True)
        error = _error_text(exc)
        return await _end(
            worker, writer, run, RunStatus.FAILED, "run.failed", {"error": error}, error=error
        )


async def _end(
    worker: Worker,
    writer: events.EventWriter,
    run: Run,
    status: RunStatus,
    event: str,
    data: dict[str, Any],
    *,
    error: str | None = None,
) -> str:
    """End the run (if still running) with its terminal event and `done`."""
    await writer.close()
    async with worker.sessions() as session:
        values: dict[str, Any] = {"last_error": error} if error is not None else {}
        if not await repository.finish(
            session,
            run_id=run.id,
            status=status,
            from_statuses=[RunStatus.RUNNING.value],
            values=values,
        ):
            return "lost"
        written = [
            await events.append(session, run.id, run.thread_id, event, data),
            await events.append(session, run.id, run.thread_id, events.DONE, {}),
        ]
        await session.commit()
    for rendered in written:
        await writer.publish(rendered)
    return status.value


async def _complete(worker: Worker, writer: events.EventWriter, run: Run, output: RunOutput) -> str:
    """Store the assistant message, complete the run, then its closing events."""
    principal = _principal(run)
    answer = MessageCreate(
        role=MessageRole.ASSISTANT,
        content=[ContentItem.model_validate(item) for item in output.content],
        step_history=output.step_history,
        additional_properties={"display_properties": {"is_async": False, "skip_render": False}},
        assistant_id=run.assistant_id,
        parent_message_id=run.message_id,
    )
    async with worker.sessions() as session:
        message = json.loads(
            await thread_service.append_message(session, principal, run.thread_id, answer)
        )
        message_id = uuid.UUID(message["id"])
        done = await repository.finish(
            session,
            run_id=run.id,
            status=RunStatus.COMPLETED,
            from_statuses=[RunStatus.RUNNING.value],
            values={
                "usage": output.usage,
                "response_message_id": message_id,
                "result": {"data": {"message": message}},
            },
        )
        await session.commit()
        if not done:
            return "lost"
        final = await repository.get_run(session, tenant_id=None, run_id=run.id)
    if final is None:
        return "lost"
    await writer.close()
    await writer.emit_many(
        [
            (
                "message.created",
                {
                    "message": message,
                    "agent_id": output.agent_id or run.agent_id,
                    "trace_id": run.trace_id,
                },
            ),
            ("message.completed", {"message_id": str(message_id), "usage": output.usage}),
            ("run.completed", AssistantRun.of(final).model_dump(mode="json")),
            (events.DONE, {}),
        ]
    )
    return RunStatus.COMPLETED.value
