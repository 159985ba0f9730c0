"""Request dependencies of the Message Threads routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.threads import service
from wxo.threads.models import Thread

ThreadIdPath = Annotated[uuid.UUID, Path(description="Id of the thread.")]
MessageIdPath = Annotated[uuid.UUID, Path(description="Id of a message of the thread.")]


async def valid_owned_thread(
    session: SessionDep, principal: CurrentTenant, thread_id: ThreadIdPath
) -> Thread:
    """The live thread named in the path, if it belongs to the caller's tenant (404 otherwise)."""
    return await service.get_thread(session, principal, thread_id)


OwnedThread = Annotated[Thread, Depends(valid_owned_thread)]
