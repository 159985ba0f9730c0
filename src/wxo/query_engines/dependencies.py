"""Request dependencies of the Query Engine routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.query_engines import service
from wxo.query_engines.models import QueryEngine

EngineIdPath = Annotated[uuid.UUID, Path(description="Id of the query engine.")]


async def valid_owned_engine(
    session: SessionDep, principal: CurrentTenant, engine_id: EngineIdPath
) -> QueryEngine:
    """The engine in the path, if it is the caller's tenant's (404 otherwise)."""
    return await service.get_engine(session, principal, engine_id)


OwnedEngine = Annotated[QueryEngine, Depends(valid_owned_engine)]
