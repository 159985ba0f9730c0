"""Message Threads use-cases. Each writing use-case commits once, at its end."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.threads import repository
from wxo.threads.exceptions import (
    InvalidCursorError,
    InvalidParentMessageError,
    LogsNotFoundError,
    MessageNotFoundError,
    ThreadNotFoundError,
)
from wxo.threads.models import Message, MessageRole, Thread
from wxo.threads.schemas import (
    CapturedLogsRead,
    MessageCreate,
    MessageUpdate,
    ThreadCreate,
    ThreadUpdate,
    normalise_content,
)

# Keys whose `null` means "empty" rather than "unset" (factories of the empty value).
_EMPTY_WHEN_NULL: dict[str, Callable[[], Any]] = {
    "mentions": list,
    "document_ids": list,
    "step_history": list,
    "additional_properties": dict,
}


def _thread_not_found() -> ThreadNotFoundError:
    return ThreadNotFoundError("Thread not found")


def _message_not_found() -> MessageNotFoundError:
    return MessageNotFoundError("Message not found")


def _message_columns(changes: dict[str, Any]) -> dict[str, Any]:
    """Turn validated message fields into column values (content as a list, ids as strings)."""
    values = {
        key: (_EMPTY_WHEN_NULL[key]() if value is None and key in _EMPTY_WHEN_NULL else value)
        for key, value in changes.items()
    }
    if "content" in values:
        values["content"] = normalise_content(values["content"])
    if "document_ids" in values:
        values["document_ids"] = [str(d) for d in values["document_ids"]]
    if "role" in values:
        values["role"] = str(values["role"])
    return values


async def create_thread(
    session: AsyncSession, principal: TenantPrincipal, data: ThreadCreate
) -> Thread:
    """Start an empty thread in the caller's tenant, created by the caller."""
    thread = await repository.insert_thread(
        session,
        tenant_id=principal.tenant_id,
        values={
            "title": data.title,
            "assistant_id": data.assistant_id,
            "agent_id": data.agent_id,
            "context": data.context,
            "created_by": principal.user_id,
            "created_by_username": principal.username or None,
        },
    )
    await session.commit()
    return thread


async def list_threads(
    session: AsyncSession,
    principal: TenantPrincipal,
    *,
    agent_id: uuid.UUID | None = None,
    assistant_id: uuid.UUID | None = None,
    title: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[Thread]:
    """The tenant's live threads, most recently active first (`title`: a title substring)."""
    return await repository.list_threads(
        session,
        tenant_id=principal.tenant_id,
        agent_id=agent_id,
        assistant_id=assistant_id,
        title=title,
        limit=limit,
        offset=offset,
    )


async def get_thread(
    session: AsyncSession, principal: TenantPrincipal, thread_id: uuid.UUID
) -> Thread:
    """A live thread of the caller's tenant.

    Raises:
        ThreadNotFoundError: no such thread, another tenant's, or soft-deleted.
    """
    thread = await repository.get_thread(
        session, tenant_id=principal.tenant_id, thread_id=thread_id
    )
    if thread is None:
        raise _thread_not_found()
    return thread


async def update_thread(session: AsyncSession, thread: Thread, data: ThreadUpdate) -> Thread:
    """Change the fields sent; `updated_at` becomes now unless it was sent.

    Raises:
        ThreadNotFoundError: the thread was deleted meanwhile.
    """
    updated = await repository.update_thread(
        session,
        tenant_id=thread.tenant_id,
        thread_id=thread.id,
        values=data.model_dump(exclude_unset=True),
    )
    if updated is None:
        raise _thread_not_found()
    await session.commit()
    return updated


async def delete_thread(
    session: AsyncSession, principal: TenantPrincipal, thread: Thread
) -> Thread:
    """Soft-delete a thread: it and its messages disappear from the API, rows stay.

    Raises:
        ThreadNotFoundError: the thread was deleted meanwhile.
    """
    deleted = await repository.soft_delete_thread(
        session,
        tenant_id=thread.tenant_id,
        thread_id=thread.id,
        deleted_by=principal.username or str(principal.user_id),
    )
    if deleted is None:
        raise _thread_not_found()
    await session.commit()
    return deleted


async def _check_parent(
    session: AsyncSession, *, tenant_id: uuid.UUID, thread_id: uuid.UUID, parent_id: uuid.UUID
) -> None:
    seq = await repository.message_seq(
        session, tenant_id=tenant_id, thread_id=thread_id, message_id=parent_id
    )
    if seq is not None:
        return
    if await repository.get_thread(session, tenant_id=tenant_id, thread_id=thread_id) is None:
        raise _thread_not_found()
    raise InvalidParentMessageError(f"parent_message_id {parent_id} does not belong to this thread")


async def append_message(
    session: AsyncSession, principal: TenantPrincipal, thread_id: uuid.UUID, data: MessageCreate
) -> str:
    """Add a message at the end of a thread; its `MessageRead` JSON.

    One statement updates the thread (`message_count + 1`, `updated_at`, and for `assistant`
    messages `last_agent_message_at`; its row lock orders concurrent appends, the new count is
    the message's `seq`) and inserts the message.

    Raises:
        ThreadNotFoundError: no live thread with this id in the caller's tenant.
        InvalidParentMessageError: `parent_message_id` is not a message of this thread.
    """
    tenant_id = principal.tenant_id
    values = _message_columns(data.model_dump())
    appended = await repository.append_message_json(
        session,
        tenant_id=tenant_id,
        thread_id=thread_id,
        agent_message=data.role == MessageRole.ASSISTANT,
        values={
            **values,
            "created_by": principal.user_id,
            "created_by_username": principal.username or None,
        },
    )
    if appended is None:
        if data.parent_message_id is not None:
            await _check_parent(
                session, tenant_id=tenant_id, thread_id=thread_id, parent_id=data.parent_message_id
            )
        raise _thread_not_found()
    await session.commit()
    return appended


async def list_messages(
    session: AsyncSession,
    principal: TenantPrincipal,
    thread_id: uuid.UUID,
    *,
    after: uuid.UUID | None = None,
    before: uuid.UUID | None = None,
    limit: int | None = None,
    latest: bool = False,
) -> str:
    """Messages oldest first, as a JSON array of `MessageRead`; `after`/`before` are message ids.

    Without `limit` every message (between the cursors) is returned; with `latest`, the last
    `limit` ones.

    Raises:
        ThreadNotFoundError: no live thread with this id in the caller's tenant.
        InvalidCursorError: a cursor is not a message of this thread.
    """
    page = await repository.list_messages_json(
        session,
        tenant_id=principal.tenant_id,
        thread_id=thread_id,
        after=after,
        before=before,
        limit=limit,
        latest=latest,
    )
    if not page.thread_found:
        raise _thread_not_found()
    for name, cursor, found in (
        ("after", after, page.after_found),
        ("before", before, page.before_found),
    ):
        if not found:
            raise InvalidCursorError(f"'{name}' names no message of this thread: {cursor}")
    return page.json


async def get_message(session: AsyncSession, thread: Thread, message_id: uuid.UUID) -> Message:
    """One message of the thread.

    Raises:
        MessageNotFoundError: not a message of this thread.
    """
    message = await repository.get_message(
        session, tenant_id=thread.tenant_id, thread_id=thread.id, message_id=message_id
    )
    if message is None:
        raise _message_not_found()
    return message


async def update_message(
    session: AsyncSession, thread: Thread, message_id: uuid.UUID, data: MessageUpdate
) -> Message:
    """Change the fields sent (the thread's activity time does not change).

    Raises:
        MessageNotFoundError: not a message of this thread.
        InvalidParentMessageError: `parent_message_id` is the message itself or not in the thread.
    """
    changes = data.model_dump(exclude_unset=True)
    parent_id = changes.get("parent_message_id")
    if parent_id is not None:
        if parent_id == message_id:
            raise InvalidParentMessageError("A message cannot be its own parent")
        await _check_parent(
            session, tenant_id=thread.tenant_id, thread_id=thread.id, parent_id=parent_id
        )
    message = await repository.update_message(
        session,
        tenant_id=thread.tenant_id,
        thread_id=thread.id,
        message_id=message_id,
        values=_message_columns(changes),
    )
    if message is None:
        raise _message_not_found()
    await session.commit()
    return message


async def delete_message(session: AsyncSession, thread: Thread, message_id: uuid.UUID) -> None:
    """Delete a message for good (replies keep their `parent_message_id`).

    Raises:
        MessageNotFoundError: not a message of this thread.
    """
    if not await repository.delete_message(
        session, tenant_id=thread.tenant_id, thread_id=thread.id, message_id=message_id
    ):
        raise _message_not_found()
    await session.commit()


async def get_message_logs(
    session: AsyncSession, thread: Thread, message_id: uuid.UUID
) -> CapturedLogsRead:
    """Logs captured while a message was produced. Runs capture none yet.

    Raises:
        MessageNotFoundError: not a message of this thread.
        LogsNotFoundError: always, for an existing message.
    """
    await get_message(session, thread, message_id)
    raise LogsNotFoundError(f"No captured logs for message {message_id}")


def get_logs(log_id: str) -> CapturedLogsRead:
    """Logs captured under `log_id`. Runs capture none yet.

    Raises:
        LogsNotFoundError: always.
    """
    raise LogsNotFoundError(f"No captured logs for log_id {log_id}")
