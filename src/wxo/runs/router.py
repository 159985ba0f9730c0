"""Orchestrate runs routes (orchestrate.md §1-7) and custom-assistant runs."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from wxo.api.deps import ContainerDep, CurrentTenant, SessionDep
from wxo.container import Container
from wxo.runs import events, service
from wxo.runs.dependencies import OwnedRun, QueueDep, ValidAssistantId
from wxo.runs.exceptions import RunNotFoundError
from wxo.runs.schemas import (
    AssistantRun,
    AssistantRunPage,
    AssistantRunResponse,
    RunEventRead,
    RunOrchestrate,
)

router = APIRouter(tags=["Orchestrate runs"])

MEDIA_TYPE = "application/json"
EVENTS_WAIT_MS = 1000  # the documented default of `stream_timeout` on the events route
STREAM_DOC = (
    "The body is **newline-delimited JSON**: one RunEvent `{id, event, data}` per line (media "
    "type `application/json`, as documented). Order: `run.started`, `message.started`, "
    "`run.step.*` / `run.step.intermediate` / `message.delta` while the answer is produced, "
    "`message.created`, `message.completed` (usage), `run.completed`, `done`; or `run.failed` "
    "(`error`) / `run.cancelled`, then `done`. Every event's `data` has `thread_id` and `run_id`. "
    "Event ids sort in the run's order: after a disconnect, resume with "
    "`GET /v1/orchestrate/runs/{run_id}/events?after=<last id>&follow=true` (or the "
    "`Last-Event-ID` header); nothing is lost or repeated. Disconnecting does not cancel the run."
)
_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such run in the caller's tenant"}}
StreamTimeout = Annotated[
    int | None,
    Query(
        ge=0,
        description="Milliseconds: the stream closes after this long even if the run has not "
        "ended (the run goes on; resume from the last event id). Default: until `done`.",
    ),
]
MultipleContent = Annotated[
    bool,
    Query(description="Accepted and stored; answers are one text content item either way."),
]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Offset = Annotated[int, Query(ge=0, description="Items to skip.")]


def _ndjson(items: AsyncIterator[dict[str, Any]]) -> StreamingResponse:
    async def lines() -> AsyncIterator[bytes]:
        async for item in items:
            yield (json.dumps(item) + "\n").encode()

    return StreamingResponse(lines(), media_type=MEDIA_TYPE)


def _seconds(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000.0


def _stream_run(
    container: Container, run_id: uuid.UUID, timeout_ms: int | None
) -> StreamingResponse:
    return _ndjson(
        service.follow(
            container.sessionmaker, container.redis, run_id, timeout_seconds=_seconds(timeout_ms)
        )
    )


@router.post(
    "/orchestrate/runs",
    response_model=AssistantRunResponse,
    responses={
        200: {"description": "`stream=false`: the run's ids. `stream=true`: " + STREAM_DOC},
        404: {
            "description": "`thread_id` is not a thread of the caller's tenant, or `agent_id`"
            " is no agent (id or name) of it; nothing is stored"
        },
    },
)
async def create_run(
    session: SessionDep,
    container: ContainerDep,
    principal: CurrentTenant,
    queue: QueueDep,
    body: RunOrchestrate,
    stream: Annotated[bool, Query(description="Answer with the event stream.")] = False,
    stream_timeout: StreamTimeout = None,
    multiple_content: MultipleContent = False,
) -> AssistantRunResponse | StreamingResponse:
    """Chat with the Orchestrate assistant: store the user message and run on a worker.

    Without `thread_id` a thread is created (its `agent_id` set when `agent_id` is a uuid). The
    user message is stored at once (`message_id` is its id); the assistant message (content and
    `step_history`) when the run completes. Poll `GET /v1/orchestrate/runs/{run_id}` until
    `completed`, `failed` or `cancelled`, then read `GET /v1/threads/{thread_id}/messages`.
    """
    run = await service.start_run(
        session, principal, body, queue=queue, multiple_content=multiple_content
    )
    if stream:
        return _stream_run(container, run.id, stream_timeout)
    return AssistantRunResponse(
        thread_id=run.thread_id, run_id=run.id, task_id=run.task_id, message_id=run.message_id
    )


@router.post(
    "/orchestrate/runs/stream",
    response_class=StreamingResponse,
    responses={
        200: {"description": STREAM_DOC},
        404: {"description": "Unknown `thread_id` or `agent_id`; nothing is stored"},
    },
)
async def create_run_stream(
    session: SessionDep,
    container: ContainerDep,
    principal: CurrentTenant,
    queue: QueueDep,
    body: RunOrchestrate,
    stream_timeout: StreamTimeout = None,
    multiple_content: MultipleContent = False,
) -> StreamingResponse:
    """Chat with the Orchestrate assistant as a stream of run events."""
    run = await service.start_run(
        session, principal, body, queue=queue, multiple_content=multiple_content
    )
    return _stream_run(container, run.id, stream_timeout)


@router.get("/orchestrate/runs", response_model=AssistantRunPage)
async def list_runs(
    session: SessionDep, principal: CurrentTenant, limit: Limit = 50, offset: Offset = 0
) -> AssistantRunPage:
    """The tenant's runs, newest first."""
    total, runs = await service.list_runs(session, principal, limit=limit, offset=offset)
    return AssistantRunPage(
        total=total, limit=limit, offset=offset, data=[AssistantRun.of(r) for r in runs]
    )


@router.get("/orchestrate/runs/{run_id}", response_model=AssistantRun, responses=_404)
async def get_run(run: OwnedRun) -> AssistantRun:
    """A run: status, lifecycle stamps, echoed parameters, usage, `last_error`, result.

    `status` is one of `pending`, `running`, `completed`, `failed`, `cancelled` (and the other
    documented values, unused here); `result.data.message` is the assistant message once completed.
    """
    return AssistantRun.of(run)


@router.get(
    "/orchestrate/runs/{run_id}/events",
    response_model=list[RunEventRead],
    responses={
        **_404,
        400: {"description": "`after` is not an event id of this run"},
        200: {"description": "An array of RunEvent; with `follow=true`, " + STREAM_DOC},
    },
)
async def get_run_events(
    session: SessionDep,
    container: ContainerDep,
    principal: CurrentTenant,
    run: OwnedRun,
    stream_timeout: Annotated[
        int | None,
        Query(
            ge=0,
            description="Milliseconds to wait for the run to end (`done`) before answering "
            "with the events so far (default 1000; 0 answers at once). With `follow=true`: "
            "how long the stream stays open at most (default: until `done`).",
        ),
    ] = None,
    after: Annotated[
        str | None,
        Query(description="Only events after this event id (a resume cursor)."),
    ] = None,
    follow: Annotated[
        bool,
        Query(description="Stream the events (NDJSON): stored ones, then live ones until `done`."),
    ] = False,
    last_event_id: Annotated[
        str | None,
        Header(alias="Last-Event-ID", description="Same as `after` (used when `after` is absent)."),
    ] = None,
) -> list[RunEventRead] | StreamingResponse:
    """Replay a run's events in order (the same events a live stream carried)."""
    cursor = after if after is not None else last_event_id
    if follow:
        after_seq = events.parse_cursor(run.id, cursor)
        timeout = None if not stream_timeout else stream_timeout / 1000.0
        return _ndjson(
            service.follow(
                container.sessionmaker,
                container.redis,
                run.id,
                after_seq=after_seq,
                timeout_seconds=timeout,
            )
        )
    found = await service.list_events(
        session,
        container.sessionmaker,
        container.redis,
        principal,
        run.id,
        after=cursor,
        wait_seconds=(EVENTS_WAIT_MS if stream_timeout is None else stream_timeout) / 1000.0,
    )
    return [RunEventRead.model_validate(e) for e in found]


@router.post(
    "/orchestrate/runs/cancel/{run_id}",
    response_model=AssistantRun,
    responses={**_404, 409: {"description": "The run already ended"}},
)
async def cancel_run(
    session: SessionDep, container: ContainerDep, principal: CurrentTenant, run_id: uuid.UUID
) -> AssistantRun:
    """Cancel a run; one that already ended: 409.

    A pending run is `cancelled` at once and never runs; a running one is asked to stop
    (`cancel_requested_at` is set) and its worker ends it `cancelled` within about a second
    (`run.cancelled`, `done`).
    """
    return AssistantRun.of(await service.cancel_run(session, container.redis, principal, run_id))


@router.post(
    "/assistants/{assistant_id}/runs",
    response_model=AssistantRunResponse,
    responses={
        200: {"description": "`stream=true`: " + STREAM_DOC},
        404: {"description": "Unknown assistant or thread"},
    },
)
async def create_assistant_run(
    session: SessionDep,
    container: ContainerDep,
    principal: CurrentTenant,
    queue: QueueDep,
    assistant_id: ValidAssistantId,
    body: RunOrchestrate,
    stream: Annotated[bool, Query(description="Answer with the event stream.")] = False,
    stream_timeout: StreamTimeout = None,
    multiple_content: MultipleContent = False,
) -> AssistantRunResponse | StreamingResponse:
    """Run a custom assistant on a message (as `POST /v1/orchestrate/runs`, for this assistant)."""
    run = await service.start_run(
        session,
        principal,
        body,
        queue=queue,
        assistant_id=assistant_id,
        multiple_content=multiple_content,
    )
    if stream:
        return _stream_run(container, run.id, stream_timeout)
    return AssistantRunResponse(
        thread_id=run.thread_id, run_id=run.id, task_id=run.task_id, message_id=run.message_id
    )


@router.get(
    "/assistants/{assistant_id}/runs",
    response_model=list[AssistantRun],
    responses={404: {"description": "No such assistant in the caller's tenant"}},
)
async def list_assistant_runs(
    session: SessionDep,
    principal: CurrentTenant,
    assistant_id: ValidAssistantId,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[AssistantRun]:
    """The assistant's runs, newest first (a bare array)."""
    _, runs = await service.list_runs(
        session, principal, assistant_id=assistant_id, limit=limit, offset=offset
    )
    return [AssistantRun.of(r) for r in runs]


@router.get("/assistants/{assistant_id}/runs/{run_id}", response_model=AssistantRun, responses=_404)
async def get_assistant_run(assistant_id: ValidAssistantId, run: OwnedRun) -> AssistantRun:
    """One run of the assistant (404 if the run belongs to another assistant)."""
    if run.assistant_id != assistant_id:
        raise RunNotFoundError
    return AssistantRun.of(run)
