"""Search Engine routes (`/v1/search-engines`, ours): manage engines, search, suggest."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.documents.dependencies import get_queue
from wxo.llm.dependencies import ProxyDep
from wxo.queue.base import Queue
from wxo.search_engines import search as searching
from wxo.search_engines import service
from wxo.search_engines.dependencies import OwnedEngine
from wxo.search_engines.schemas import (
    EngineCreate,
    EnginePage,
    EngineRead,
    EngineUpdate,
    SearchRequest,
    SearchResponse,
    SuggestResponse,
)

router = APIRouter(tags=["Search Engine"])
QueueDep = Annotated[Queue, Depends(get_queue)]
_ENGINE_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such search engine in the caller's tenant"}
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "`settings.rerank` is true (no cross-encoder is available), or"
        " `settings.answer.model_id` is not a chat model"
    },
    404: {
        "description": "No such search engine, an index id is not the tenant's, or"
        " `settings.answer.model_id` names no model"
    },
    409: {"description": "The name is taken"},
}


async def _read(session: SessionDep, engine: Any) -> EngineRead:
    return (await service.read_engines(session, [engine]))[0]


@router.post(
    "/search-engines",
    response_model=EngineRead,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE_ERRORS,
)
async def create_engine(
    session: SessionDep, proxy: ProxyDep, principal: CurrentTenant, body: EngineCreate
) -> EngineRead:
    """Create a search engine over some of the tenant's vector indices.

    `data_management.refresh_schedule` (cron, UTC) schedules refreshes of the collections of
    the engine's indices (web sources re-crawled, changed documents re-indexed).
    """
    engine = await service.create_engine(session, proxy, principal, body)
    return await _read(session, engine)


@router.get("/search-engines", response_model=EnginePage)
async def list_engines(
    session: SessionDep,
    principal: CurrentTenant,
    name: Annotated[str | None, Query(description="Only the engine of this name.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> EnginePage:
    """List the tenant's search engines, newest first."""
    total, data = await service.list_engines(
        session, principal, name=name, limit=limit, offset=offset
    )
    return EnginePage(total=total, limit=limit, offset=offset, data=data)


@router.get("/search-engines/{engine_id}", response_model=EngineRead, responses=_ENGINE_404)
async def get_engine(session: SessionDep, engine: OwnedEngine) -> EngineRead:
    """A search engine and its settings."""
    return await _read(session, engine)


@router.patch("/search-engines/{engine_id}", response_model=EngineRead, responses=_WRITE_ERRORS)
async def update_engine(
    session: SessionDep, proxy: ProxyDep, engine: OwnedEngine, body: EngineUpdate
) -> EngineRead:
    """Change a search engine: only the keys sent change (`settings`, `data_management` whole)."""
    updated = await service.update_engine(session, proxy, engine, body)
    return await _read(session, updated)


@router.delete(
    "/search-engines/{engine_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_ENGINE_404,
)
async def delete_engine(session: SessionDep, engine: OwnedEngine) -> Response:
    """Delete a search engine (its indices and documents stay)."""
    await service.delete_engine(session, engine)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/search-engines/{engine_id}/search",
    response_model=SearchResponse,
    response_model_exclude_none=False,
    responses={**_ENGINE_404, 400: {"description": "The engine asks for reranking"}},
)
async def search(
    session: SessionDep, proxy: ProxyDep, engine: OwnedEngine, body: SearchRequest
) -> SearchResponse:
    """Search the engine's indices: one result per document, facets, pages, and an answer.

    - Each index is asked for `settings.top_k` chunks (default 100; 3 x page x page_size when
      a page lies deeper, at most 500), in the engine's `settings.mode` (each index's own by
      default); the chunks of all indices are merged by score.
    - The **result set** is the distinct documents of those chunks, each shown by its best
      chunk (`matching_chunks` says how many of its chunks matched). `total` counts the result
      set (`total_relation` says whether an index had more matches than were retrieved);
      `has_more` says whether a next page may hold results. Pages slice the result set.
    - **Facets** count documents of the whole result set (not only the page) per value.
    - **Snippets** are HTML: the text is escaped and the query's terms (as the index stems
      them) are the only markup, in `<mark>…</mark>`; at most `settings.snippet_chars`
      characters around the part with the most distinct terms, `…` where cut.
    - **Answer** (`answer: true`, or `settings.answer.enabled`): a `conversational_search`
      content item (threads.md §4) built from the page's results.
    """
    return await searching.search_with_answer(session, proxy, engine, body)


@router.get(
    "/search-engines/{engine_id}/suggest", response_model=SuggestResponse, responses=_ENGINE_404
)
async def suggest(
    session: SessionDep,
    queue: QueueDep,
    engine: OwnedEngine,
    q: Annotated[str, Query(min_length=1, max_length=200, description="What was typed.")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SuggestResponse:
    """Query completions: titles, chunk headings and keywords starting with `q`.

    Case-insensitive prefix match of the whole title, heading or keyword, over the ready
    documents of the collections the engine's indices cover (headings: the indices' chunks).
    Spellings differing only in case or spacing are merged. Ranked by the documents they come
    from, weighted by source (title 3, heading 2, keyword 1), then shorter first.

    Answered from a per-engine list of those texts: the first request builds it; after the
    engine's chunks change, or every 5 minutes, a worker rebuilds it while requests keep being
    answered from the previous list (so a new document can take a moment to be suggested).
    """
    return await service.suggest(session, queue, engine, q, limit)
