"""Request dependencies of the web source and refresh routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.documents.dependencies import get_queue
from wxo.queue.base import Queue
from wxo.websources import service
from wxo.websources.models import RefreshRun

RunIdPath = Annotated[uuid.UUID, Path(description="Id of the refresh run.")]
# The documents' queue dependency: a test that overrides it overrides it here too.
QueueDep = Annotated[Queue, Depends(get_queue)]


async def valid_owned_run(
    session: SessionDep, principal: CurrentTenant, run_id: RunIdPath
) -> RefreshRun:
    """The run in the path, if it is the caller's tenant's (404 otherwise)."""
    return await service.get_run(session, principal, run_id)


OwnedRun = Annotated[RefreshRun, Depends(valid_owned_run)]
