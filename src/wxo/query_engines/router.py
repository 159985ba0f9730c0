"""Query Engine routes (`/v1/query-engines`, ours): manage engines and ask them questions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.api.disconnect import cancel_on_disconnect
from wxo.llm.dependencies import ProxyDep
from wxo.query_engines import query as querying
from wxo.query_engines import service
from wxo.query_engines.dependencies import OwnedEngine
from wxo.query_engines.models import QueryEngine
from wxo.query_engines.schemas import (
    QueryEngineCreate,
    QueryEnginePage,
    QueryEngineRead,
    QueryEngineUpdate,
    QueryRequest,
    QueryResponse,
)

router = APIRouter(tags=["Query Engine"])
_ENGINE_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such query engine in the caller's tenant"}
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "`retrieval.rerank.enabled` is true (no cross-encoder is available), or"
        " `model_id` does not resolve to a chat model through the Model Proxy"
    },
    404: {"description": "No such query engine, or an index id is not the tenant's"},
    409: {"description": "The name is taken"},
}


async def _read(session: SessionDep, engine: QueryEngine) -> QueryEngineRead:
    return (await service.read_engines(session, [engine]))[0]


@router.post(
    "/query-engines",
    response_model=QueryEngineRead,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE_ERRORS,
)
async def create_engine(
    session: SessionDep, proxy: ProxyDep, principal: CurrentTenant, body: QueryEngineCreate
) -> QueryEngineRead:
    """Create a query engine (RAG) over some of the tenant's vector indices.

    `data_management.refresh_schedule` (cron, UTC) schedules refreshes of the collections of
    the engine's indices (web sources re-crawled, changed documents re-indexed).
    """
    engine = await service.create_engine(session, proxy, principal, body)
    return await _read(session, engine)


@router.get("/query-engines", response_model=QueryEnginePage)
async def list_engines(
    session: SessionDep,
    principal: CurrentTenant,
    name: Annotated[str | None, Query(description="Only the engine of this name.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> QueryEnginePage:
    """List the tenant's query engines, newest first."""
    total, data = await service.list_engines(
        session, principal, name=name, limit=limit, offset=offset
    )
    return QueryEnginePage(total=total, limit=limit, offset=offset, data=data)


@router.get("/query-engines/{engine_id}", response_model=QueryEngineRead, responses=_ENGINE_404)
async def get_engine(session: SessionDep, engine: OwnedEngine) -> QueryEngineRead:
    """A query engine and its configuration."""
    return await _read(session, engine)


@router.patch("/query-engines/{engine_id}", response_model=QueryEngineRead, responses=_WRITE_ERRORS)
async def update_engine(
    session: SessionDep, proxy: ProxyDep, engine: OwnedEngine, body: QueryEngineUpdate
) -> QueryEngineRead:
    """Change a query engine: only the keys sent change (each config section as a whole)."""
    updated = await service.update_engine(session, proxy, engine, body)
    return await _read(session, updated)


@router.delete(
    "/query-engines/{engine_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_ENGINE_404,
)
async def delete_engine(session: SessionDep, engine: OwnedEngine) -> Response:
    """Delete a query engine (its indices and documents stay)."""
    await service.delete_engine(session, engine)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/query-engines/{engine_id}/query",
    response_model=QueryResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "The answer (JSON), or with `stream: true` Server-Sent Events.",
        },
        400: {"description": "The engine's model no longer resolves, or it asks for reranking"},
        404: {"description": "No such query engine, or `thread_id` is not the tenant's thread"},
    },
)
async def query(
    request: Request,
    session: SessionDep,
    proxy: ProxyDep,
    principal: CurrentTenant,
    engine: OwnedEngine,
    body: QueryRequest,
) -> QueryResponse | StreamingResponse:
    """Answer a question from the engine's indices, with citations.

    Retrieval runs the engine's patterns, then the passages (`sources`, numbered `[1]`..) are
    synthesised by the engine's model (`synthesis.mode`). With no chat model configured (no
    `model_id` and no tenant default) the answer is **extractive**: the best-matching sentences
    quoted verbatim, `extractive: true` and a `note` saying so; patterns needing a generative
    model are then listed in `skipped_patterns` instead of running.

    Each citation is a sentence of a source chunk supporting an answer sentence (the `[n]`
    markers the model wrote, else the closest sentence by shared words):
    `text == chunk.text[range_start:range_end]`, offsets in characters of the chunk's text.

    `stream: true` sends Server-Sent Events: `retrieval` (sources, queries, patterns), `delta`
    (`{text}` pieces of the answer: the model's tokens as they come, or the whole extractive
    answer), `citations`, `done` (the whole JSON body), or `error`
    (`{error: {code, message}}`) if something fails after the stream started. A client that
    disconnects cancels the work (and the model call).
    """
    plan = await querying.prepare(session, proxy, principal, engine, body)
    if body.stream:
        return StreamingResponse(
            querying.stream_query(session, proxy, principal, plan, body),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return await cancel_on_disconnect(
        request, querying.run_query(session, proxy, principal, plan, body)
    )
