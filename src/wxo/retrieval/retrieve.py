"""Retrieval: the chunks of an index that best answer a query (the SQL is in `search`)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.llm import service as proxy
from wxo.llm.routing import Route
from wxo.retrieval import repository, search
from wxo.retrieval.exceptions import RerankUnavailableError
from wxo.retrieval.models import HNSW_DIMENSIONS, VectorIndex
from wxo.retrieval.schemas import (
    IndexSettings,
    ResultDocument,
    ResultScores,
    RetrieveFilters,
    RetrieveRequest,
    RetrieveResponse,
    RetrieveResult,
)

#: At most this many matching chunks are searched exactly rather than through HNSW (an exact
#: scan costs about 10 µs a chunk here: 2,000 stay near 20 ms).
EXACT_SEARCH_LIMIT = 2_000
#: HNSW candidate list per search. bench/retrieval.py at 100k chunks: recall@10 against exact
#: search 0.9925 at 100, 0.9975 at 400 (7.6 ms of search), 1.0 at 1000 (20.9 ms).
HNSW_EF_SEARCH = 400


def _filters(data: RetrieveFilters) -> search.Filters:
    meta: list[search.MetaCondition] = []
    for key, value in data.meta.items():
        if isinstance(value, str | int | float | bool):
            meta.append(search.MetaCondition(key=key, equals=value))
        else:
            meta.append(
                search.MetaCondition(key=key, gte=value.gte, lte=value.lte, any_of=value.in_)
            )
    return search.Filters(
        collection_ids=list(data.collection_ids),
        document_ids=list(data.document_ids),
        tags=list(data.tags),
        content_types=list(data.content_types),
        meta=meta,
        source_date_gte=data.source_date.gte if data.source_date else None,
        source_date_lte=data.source_date.lte if data.source_date else None,
    )


async def _embed(
    ctx: proxy.ProxyContext, route: Route, query: str, timings: dict[str, float]
) -> str:
    """The query's vector as pgvector text (the model runs in a worker thread)."""
    clock = time.perf_counter()
    _, result = await proxy.embed(ctx, route, [query])
    timings["embed"] = (time.perf_counter() - clock) * 1000
    return "[" + ",".join(repr(float(x)) for x in result.vectors[0]) + "]"


async def _keyword_hits(
    session: AsyncSession, plan: search.Plan, timings: dict[str, float]
) -> tuple[tuple[int, float], ...]:
    clock = time.perf_counter()
    sql, params = search.keyword_sql(plan)
    rows = (await session.execute(text(sql), params)).all()
    timings["keyword"] = (time.perf_counter() - clock) * 1000
    return tuple((int(seq), float(score)) for seq, score in rows)


async def _use_exact(session: AsyncSession, index: VectorIndex, filters: search.Filters) -> bool:
    """Exact search when few chunks match, or no HNSW index exists for the size."""
    if index.dimensions not in HNSW_DIMENSIONS:
        return True
    matching = await repository.chunk_count(session, index.id)
    if matching > EXACT_SEARCH_LIMIT and not filters.empty:
        sql, params = search.count_sql(filters, EXACT_SEARCH_LIMIT)
        params["index_id"] = index.id
        matching = int((await session.execute(text(sql), params)).scalar_one())
    return matching <= EXACT_SEARCH_LIMIT


def _highlights(fragment: str | None) -> list[str]:
    if not fragment or "<b>" not in fragment:
        return []
    return [part.strip() for part in fragment.split(" … ") if "<b>" in part]


async def retrieve(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    index: VectorIndex,
    request: RetrieveRequest,
) -> RetrieveResponse:
    """The best chunks of the index for a query (see `wxo.retrieval.search`)."""
    if request.rerank:
        raise RerankUnavailableError()
    started = time.perf_counter()
    settings = IndexSettings.model_validate(index.settings or {})
    mode = request.mode or settings.mode
    limit = request.top_k or index.top_k
    filters = _filters(request.filters)
    timings: dict[str, float] = {}
    if index.dimensions is None:  # nothing embedded yet
        if mode == "vector":
            return RetrieveResponse(results=[], timings_ms={"total": 0.0})
        mode = "keyword"
    plan = search.Plan(
        tenant_id=index.tenant_id,
        index_id=index.id,
        mode=mode,
        limit=limit,
        candidates=max(limit, settings.hybrid.candidates) if mode == "hybrid" else limit,
        dims=index.dimensions,
        query=request.query,
        k1=settings.bm25.k1,
        b=settings.bm25.b,
        fusion=settings.hybrid.fusion,
        rrf_k=settings.hybrid.rrf_k,
        alpha=settings.hybrid.alpha,
        highlight=request.highlight,
        filters=filters,
    )
    if mode != "keyword":
        route = await proxy.resolve_route(session, ctx, index.embeddings_model_name, "embedding")
        embedding = asyncio.ensure_future(_embed(ctx, route, request.query, timings))
        try:  # the database works while the model does
            hits = await _keyword_hits(session, plan, timings) if mode == "hybrid" else None
            exact = await _use_exact(session, index, filters)
        except BaseException:
            embedding.cancel()
            raise
        plan = dataclasses.replace(plan, embedding=await embedding, exact=exact, keyword_hits=hits)
    clock = time.perf_counter()
    rows = await _run(session, plan)
    if mode == "vector" and not plan.exact and len(rows) < limit:
        rows = await _run(session, dataclasses.replace(plan, exact=True))  # HNSW ran dry
    timings["search"] = (time.perf_counter() - clock) * 1000
    results = [_result(row) for row in rows]
    if request.min_score is not None:
        results = [r for r in results if r.score >= request.min_score]
    timings["total"] = (time.perf_counter() - started) * 1000
    return RetrieveResponse(
        results=results, timings_ms={k: round(v, 2) for k, v in timings.items()}
    )


async def _run(session: AsyncSession, plan: search.Plan) -> Sequence[Any]:
    if plan.embedding is not None and not plan.exact:
        ef_search = str(max(HNSW_EF_SEARCH, plan.candidates))
        await session.execute(
            text(
                "SELECT set_config('hnsw.ef_search', :ef, true),"
                " set_config('hnsw.iterative_scan', 'relaxed_order', true),"
                # Below ~20k chunks the planner prices scanning and sorting every vector
                # under the HNSW walk, but that costs 30-40 ms at 11k chunks against ~5 ms:
                # `_use_exact` chooses the exact scan, not the planner.
                " set_config('enable_seqscan', 'off', true),"
                " set_config('enable_sort', 'off', true)"
            ),
            {"ef": ef_search},
        )
    sql, params = search.retrieval_sql(plan)
    return (await session.execute(text(sql), params)).mappings().all()


def _result(row: Any) -> RetrieveResult:
    return RetrieveResult(
        chunk_id=row["chunk_id"],
        document_id=row["document_id"],
        collection_id=row["collection_id"],
        text=row["text"],
        score=float(row["fused"]),
        scores=ResultScores(
            vector=row["vector_score"],
            keyword=row["keyword_score"],
            fused=float(row["fused"]),
        ),
        page_number=row["page_number"],
        highlights=_highlights(row["highlight"]),
        document=ResultDocument(
            name=row["document_name"], title=row["document_title"], source_uri=row["source_uri"]
        ),
        metadata={
            "context": row["context"],
            "heading_path": row["heading_path"],
            "element_types": row["element_types"],
            "chunk_index": row["ord"],
            **(row["metadata"] or {}),
        },
    )
