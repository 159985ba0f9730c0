"""`GET /models/usage`: token, latency and error counters per model and day."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from wxo.api.deps import ContainerDep, CurrentTenant, SessionDep
from wxo.usage import service
from wxo.usage.schemas import UsagePage

router = APIRouter(tags=["Models"])


@router.get("/models/usage", response_model=UsagePage)
async def list_usage(
    container: ContainerDep,
    session: SessionDep,
    principal: CurrentTenant,
    model: Annotated[str | None, Query(max_length=256, description="Only this model")] = None,
    since: Annotated[date | None, Query(description="First UTC day (inclusive)")] = None,
    until: Annotated[date | None, Query(description="Last UTC day (inclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> UsagePage:
    """Usage of the Model Proxy by this tenant: requests, errors, tokens and mean latency.

    Counts are written in batches (`WXO_LLM__USAGE_FLUSH_SECONDS`, default 1 s); this route
    writes its own process's pending counts first.
    """
    await container.usage.flush()
    return await service.list_usage(
        session,
        tenant_id=principal.tenant_id,
        model=model,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
