"""Searching an engine: retrieve from each index, one result per document, facets, snippets.

- Each index is asked for `depth` chunks: the engine's `settings.top_k`, or 3 x page x page_size
  when a deep page needs more (at most 500). The chunks of all indices are merged by score.
- The result set is the distinct documents of those chunks, each represented by its
  best-scoring chunk; `total` counts them and the facets count over them (every page alike).
- One more statement, by chunk ids, reads the facet fields of the documents and marks the query
  terms in the text of the page's chunks (`ts_headline`, with the index's stemming); the snippet
  is cut and HTML-escaped in Python (`shaping.snippet`).
"""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.llm import service as proxy
from wxo.retrieval import retrieve as retrieval
from wxo.retrieval.exceptions import RerankUnavailableError
from wxo.retrieval.schemas import MAX_TOP_K, RetrieveRequest
from wxo.search_engines import answering, repository
from wxo.search_engines.models import SearchEngine
from wxo.search_engines.schemas import (
    EngineSettings,
    SearchRequest,
    SearchResponse,
    SearchResult,
)
from wxo.search_engines.shaping import Candidate, Hit, best_per_document, count_facets, snippet

#: Chunks retrieved per result wanted, when a page lies deeper than `settings.top_k` reaches.
OVERFETCH = 3


def depth_for(settings: EngineSettings, page: int, page_size: int) -> int:
    """Chunks to retrieve from each index for this page."""
    return min(MAX_TOP_K, max(settings.top_k, OVERFETCH * page * page_size))


async def _candidates(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    engine: SearchEngine,
    settings: EngineSettings,
    request: SearchRequest,
    depth: int,
    timings: dict[str, float],
) -> tuple[list[Candidate], bool]:
    """Every index's chunks, best first, and whether every index returned all its matches."""
    candidates: list[Candidate] = []
    exhaustive = True
    for index in await repository.engine_indices(session, engine.tenant_id, engine.id):
        response = await retrieval.retrieve(
            session,
            ctx,
            index,
            RetrieveRequest(
                query=request.query,
                top_k=depth,
                mode=settings.mode,
                filters=request.filters,
                highlight=False,
            ),
        )
        for key, value in response.timings_ms.items():
            timings[f"retrieve_{key}"] = timings.get(f"retrieve_{key}", 0.0) + value
        exhaustive = exhaustive and len(response.results) < depth
        candidates.extend(
            Candidate(
                index_id=index.id,
                chunk_id=r.chunk_id,
                document_id=r.document_id,
                collection_id=r.collection_id,
                score=r.score,
                text=r.text,
                page_number=r.page_number,
                document_name=r.document.name,
                document_title=r.document.title,
                source_uri=r.document.source_uri,
            )
            for r in response.results
        )
    candidates.sort(key=lambda c: -c.score)  # stable: an index's own order stays
    return candidates, exhaustive


def _result(rank: int, hit: Hit, details: dict[str, object] | None, limit: int) -> SearchResult:
    best = hit.best
    marked = details.get("marked") if details else None
    return SearchResult(
        rank=rank,
        title=best.document_title or best.document_name,
        url=best.source_uri,
        snippet=snippet(marked if isinstance(marked, str) else None, best.text, limit),
        score=best.score,
        document_id=best.document_id,
        chunk_id=best.chunk_id,
        collection_id=best.collection_id,
        index_id=best.index_id,
        page_number=best.page_number,
        document_name=best.document_name,
        content_type=str(details["content_type"]) if details and details["content_type"] else None,
        matching_chunks=hit.matching_chunks,
    )


async def search(
    session: AsyncSession, ctx: proxy.ProxyContext, engine: SearchEngine, request: SearchRequest
) -> tuple[SearchResponse, list[Hit]]:
    """A page of the engine's results for the query, with facets (no answer: see `answer`).

    Returns the response and the page's hits (the passages an answer would use).
    """
    started = time.perf_counter()
    settings = EngineSettings.model_validate(engine.settings or {})
    if settings.rerank:  # refused on create and update; an old row could still say so
        raise RerankUnavailableError()
    timings: dict[str, float] = {}
    depth = depth_for(settings, request.page, request.page_size)
    candidates, exhaustive = await _candidates(
        session, ctx, engine, settings, request, depth, timings
    )
    hits = best_per_document(candidates)
    offset = (request.page - 1) * request.page_size
    page = hits[offset : offset + request.page_size]
    clock = time.perf_counter()
    details = await repository.result_details(
        session,
        engine.tenant_id,
        chunk_ids=[h.best.chunk_id for h in hits],
        page_ids=[h.best.chunk_id for h in page],
        query=request.query,
    )
    timings["details"] = (time.perf_counter() - clock) * 1000
    facets = count_facets(
        settings.facets, (details[h.best.chunk_id] for h in hits if h.best.chunk_id in details)
    )
    labels: dict[str, dict[str, str]] = {}
    if "collection" in facets:
        labels["collection"] = {
            str(row["collection_id"]): str(row["collection_name"]) for row in details.values()
        }
    next_depth = depth_for(settings, request.page + 1, request.page_size)
    has_more = offset + len(page) < len(hits) or (not exhaustive and next_depth > depth)
    results = [
        _result(offset + i + 1, hit, details.get(hit.best.chunk_id), settings.snippet_chars)
        for i, hit in enumerate(page)
    ]
    timings["total"] = (time.perf_counter() - started) * 1000
    response = SearchResponse(
        query=request.query,
        page=request.page,
        page_size=request.page_size,
        total=len(hits),
        total_relation="eq" if exhaustive else "gte",
        has_more=has_more,
        results=results,
        facets=facets,
        facet_labels=labels,
        timings_ms={k: round(v, 2) for k, v in timings.items()},
    )
    return response, page


async def search_with_answer(
    session: AsyncSession, ctx: proxy.ProxyContext, engine: SearchEngine, request: SearchRequest
) -> SearchResponse:
    """`search`, plus the answer when the request or the engine asks for one."""
    response, page = await search(session, ctx, engine, request)
    settings = EngineSettings.model_validate(engine.settings or {}).answer
    if request.answer if request.answer is not None else settings.enabled:
        clock = time.perf_counter()
        response.answer = await answering.conversational_search(
            session, ctx, request.query, page, settings
        )
        response.timings_ms["answer"] = round((time.perf_counter() - clock) * 1000, 2)
    return response
