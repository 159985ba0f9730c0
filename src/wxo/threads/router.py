"""Message Threads routes: threads, their messages, and (not yet captured) run logs."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.threads import service
from wxo.threads.dependencies import MessageIdPath, OwnedThread, ThreadIdPath
from wxo.threads.schemas import (
    CapturedLogsRead,
    Deleted,
    MessageCreate,
    MessageRead,
    MessageUpdate,
    ThreadCreate,
    ThreadRead,
    ThreadUpdate,
)

router = APIRouter(prefix="/threads", tags=["Message Threads"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such thread (or message) in the caller's tenant"}
}


# Declared before `/{thread_id}` routes so that `/threads/logs/...` is never read as a thread id.
@router.get(
    "/logs/{log_id}",
    response_model=CapturedLogsRead,
    responses={404: {"description": "No captured logs"}},
)
async def get_logs(_principal: CurrentTenant, log_id: str) -> CapturedLogsRead:
    """Logs captured by a run started with `capture_logs: true` (none are captured yet: 404)."""
    return service.get_logs(log_id)


@router.post("", response_model=ThreadRead, status_code=status.HTTP_201_CREATED)
async def create_thread(
    session: SessionDep,
    principal: CurrentTenant,
    body: Annotated[ThreadCreate | None, Body()] = None,
) -> ThreadRead:
    """Create a message thread (an empty or missing body gives an `Untitled` thread)."""
    thread = await service.create_thread(session, principal, body or ThreadCreate())
    return ThreadRead.of(thread, principal.tenant_name)


@router.get("", response_model=list[ThreadRead])
async def list_threads(
    session: SessionDep,
    principal: CurrentTenant,
    agent_id: Annotated[uuid.UUID | None, Query(description="Only this agent's threads.")] = None,
    assistant_id: Annotated[
        uuid.UUID | None, Query(description="Only this assistant's threads.")
    ] = None,
    title: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[^\x00]*$",
            description="Only threads whose title contains this text, in any case (`%` and `_` "
            "are plain characters). An extension: the documented API filters by agent only.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, description="Threads to skip.")] = 0,
) -> list[ThreadRead]:
    """List message threads, most recently active first (bare array; deleted ones hidden).

    The filters combine. `title` is this server's addition (the web console searches threads by
    title with it): a case-insensitive substring match on the thread's title, wildcards taken
    literally; an empty `title` filters nothing.
    """
    threads = await service.list_threads(
        session,
        principal,
        agent_id=agent_id,
        assistant_id=assistant_id,
        title=title,
        limit=limit,
        offset=offset,
    )
    return [ThreadRead.of(t, principal.tenant_name) for t in threads]


@router.get("/{thread_id}", response_model=ThreadRead, responses=_NOT_FOUND)
async def get_thread(principal: CurrentTenant, thread: OwnedThread) -> ThreadRead:
    """Get a message thread by id."""
    return ThreadRead.of(thread, principal.tenant_name)


@router.patch("/{thread_id}", response_model=ThreadRead, responses=_NOT_FOUND)
async def update_thread(
    session: SessionDep, principal: CurrentTenant, thread: OwnedThread, body: ThreadUpdate
) -> ThreadRead:
    """Update a message thread (only the fields sent change)."""
    updated = await service.update_thread(session, thread, body)
    return ThreadRead.of(updated, principal.tenant_name)


@router.delete("/{thread_id}", response_model=Deleted, responses=_NOT_FOUND)
async def delete_thread(
    session: SessionDep, principal: CurrentTenant, thread: OwnedThread
) -> Deleted:
    """Soft-delete a message thread: 200 `{"id", "deleted": true}`; then it and its messages 404."""
    deleted = await service.delete_thread(session, principal, thread)
    return Deleted(id=deleted.id)


@router.post(
    "/{thread_id}/messages",
    response_model=MessageRead,
    status_code=status.HTTP_201_CREATED,
    responses={**_NOT_FOUND, 400: {"description": "parent_message_id is not in this thread"}},
)
async def create_message(
    session: SessionDep, principal: CurrentTenant, thread_id: ThreadIdPath, body: MessageCreate
) -> Response:
    """Append a message to a thread (`content` may be a string or an array of content items)."""
    message = await service.append_message(session, principal, thread_id, body)
    # Rendered by PostgreSQL in the `MessageRead` shape (tests compare it with the model's).
    return Response(
        content=message, status_code=status.HTTP_201_CREATED, media_type="application/json"
    )


@router.get(
    "/{thread_id}/messages",
    response_model=list[MessageRead],
    responses={**_NOT_FOUND, 400: {"description": "A cursor is not a message of this thread"}},
)
async def list_messages(
    session: SessionDep,
    principal: CurrentTenant,
    thread_id: ThreadIdPath,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=1000,
            description="Page size. Without it, every message (between the cursors) is returned, "
            "as the documented API has no pagination and IBM's clients expect the whole thread.",
        ),
    ] = None,
    latest: Annotated[
        bool,
        Query(description="Return the last `limit` messages (still oldest first)."),
    ] = False,
    after: Annotated[
        uuid.UUID | None, Query(description="A message id: return the messages after it.")
    ] = None,
    before: Annotated[
        uuid.UUID | None,
        Query(description="A message id: return the `limit` messages just before it."),
    ] = None,
) -> Response:
    """List a thread's messages, oldest first (bare array)."""
    body = await service.list_messages(
        session, principal, thread_id, after=after, before=before, limit=limit, latest=latest
    )
    # Rendered by PostgreSQL in the `MessageRead` shape (tests compare it with the model's).
    return Response(content=body, media_type="application/json")


@router.get("/{thread_id}/messages/{message_id}", response_model=MessageRead, responses=_NOT_FOUND)
async def get_message(
    session: SessionDep, thread: OwnedThread, message_id: MessageIdPath
) -> MessageRead:
    """Get one message of a thread."""
    return MessageRead.of(await service.get_message(session, thread, message_id))


@router.patch(
    "/{thread_id}/messages/{message_id}",
    response_model=MessageRead,
    responses={**_NOT_FOUND, 400: {"description": "parent_message_id is not in this thread"}},
)
async def update_message(
    session: SessionDep, thread: OwnedThread, message_id: MessageIdPath, body: MessageUpdate
) -> MessageRead:
    """Update a message (only the fields sent change)."""
    return MessageRead.of(await service.update_message(session, thread, message_id, body))


@router.delete("/{thread_id}/messages/{message_id}", response_model=Deleted, responses=_NOT_FOUND)
async def delete_message(
    session: SessionDep, thread: OwnedThread, message_id: MessageIdPath
) -> Deleted:
    """Delete a message for good: 200 `{"id", "deleted": true}`."""
    await service.delete_message(session, thread, message_id)
    return Deleted(id=message_id)


@router.get(
    "/{thread_id}/messages/{message_id}/logs",
    response_model=CapturedLogsRead,
    responses={404: {"description": "No such thread or message, or no captured logs"}},
)
async def get_message_logs(
    session: SessionDep, thread: OwnedThread, message_id: MessageIdPath
) -> CapturedLogsRead:
    """Logs captured while this message was produced (none are captured yet: 404)."""
    return await service.get_message_logs(session, thread, message_id)
