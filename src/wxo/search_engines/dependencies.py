"""Request dependencies of the Search Engine routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.search_engines import service
from wxo.search_engines.models import SearchEngine

EngineIdPath = Annotated[uuid.UUID, Path(description="Id of the search engine.")]


async def valid_owned_engine(
    session: SessionDep, principal: CurrentTenant, engine_id: EngineIdPath
) -> SearchEngine:
    """The engine in the path, if it is the caller's tenant's (404 otherwise)."""
    return await service.get_engine(session, principal, engine_id)


OwnedEngine = Annotated[SearchEngine, Depends(valid_owned_engine)]
