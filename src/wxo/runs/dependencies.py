"""Request dependencies of the runs routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.documents.dependencies import get_queue
from wxo.queue.base import Queue
from wxo.runs import service
from wxo.runs.models import Run

RunIdPath = Annotated[uuid.UUID, Path(description="Id of the run.")]
AssistantIdPath = Annotated[uuid.UUID, Path(description="Id of the custom assistant.")]
# The documents' queue dependency: a test that overrides it overrides it here too.
QueueDep = Annotated[Queue, Depends(get_queue)]


async def valid_owned_run(session: SessionDep, principal: CurrentTenant, run_id: RunIdPath) -> Run:
    """The run in the path, if it is the caller's tenant's (404 otherwise)."""
    return await service.get_run(session, principal, run_id)


OwnedRun = Annotated[Run, Depends(valid_owned_run)]


async def valid_assistant_id(
    session: SessionDep, principal: CurrentTenant, assistant_id: AssistantIdPath
) -> uuid.UUID:
    """The assistant in the path, if it is the caller's tenant's (404 otherwise)."""
    await service.check_assistant_exists(session, principal, assistant_id)
    return assistant_id


ValidAssistantId = Annotated[uuid.UUID, Depends(valid_assistant_id)]
