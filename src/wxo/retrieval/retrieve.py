"""Retrieval: the chunks of an index that best answer a query (the SQL is in `search`)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

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
#: A keyword leg over at least this many postings runs in `KEYWORD_PARTS` parts at once. In
#: process on 103,660 chunks (SciFact ten times), 150 queries: p50 17.9 -> 12.6 ms and p95
#: 46.3 -> 30.4 ms with two parts; three parts on two cores were slower than two.
PARALLEL_KEYWORD_POSTINGS = 20_000
KEYWORD_PARTS = 2


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
    """The keyword leg's best `candidates` chunks: term weights first, then the scoring.

    A query whose terms have many postings is scored in parts over disjoint chunk ranges, at
    once, on connections of their own: PostgreSQL runs one statement on one core, and this leg
    is the slowest part of a hybrid retrieval on a large index.
    """
    clock = time.perf_counter()
    sql, params = search.keyword_weights_sql(plan)
    weights = search.term_weights((await session.execute(text(sql), params)).all())
    hits: list[tuple[int, float]] = []
    if weights is not None:
        engine = session.bind if isinstance(session.bind, AsyncEngine) else None
        ranges = _keyword_ranges(weights) if engine is not None else []
        if engine is not None and len(ranges) > 1:
            parts = await asyncio.gather(
                *(_keyword_part(engine, plan, weights, lo, hi) for lo, hi in ranges)
            )
            rows = [row for part in parts for row in part]
        else:
            sql, params = search.keyword_part_sql(
                plan, weights, weights.lowest_seq, weights.highest_seq
            )
            rows = [(int(s), float(v)) for s, v in await session.execute(text(sql), params)]
        hits = sorted(rows, key=lambda hit: (-hit[1], hit[0]))[: plan.candidates]
    timings["keyword"] = (time.perf_counter() - clock) * 1000
    return tuple(hits)


def _keyword_ranges(weights: search.TermWeights) -> list[tuple[int, int]]:
    """Equal chunk-seq ranges, one per part; one range below `PARALLEL_KEYWORD_POSTINGS`."""
    lo, hi = weights.lowest_seq, weights.highest_seq
    if weights.postings < PARALLEL_KEYWORD_POSTINGS or hi - lo < KEYWORD_PARTS:
        return [(lo, hi)]
    edges = [lo + (hi - lo + 1) * i // KEYWORD_PARTS for i in range(KEYWORD_PARTS)] + [hi + 1]
    return [(edges[i], edges[i + 1] - 1) for i in range(KEYWORD_PARTS)]


async def _keyword_part(
    engine: AsyncEngine, plan: search.Plan, weights: search.TermWeights, lo: int, hi: int
) -> list[tuple[int, float]]:
    # Its own connection, outside the request's transaction: it only reads committed chunks,
    # and the final statement drops any chunk deleted since (`search._GIVEN_KEYWORD`).
    sql, params = search.keyword_part_sql(plan, weights, lo, hi)
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        return [(int(s), float(v)) for s, v in await autocommit.execute(text(sql), params)]


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
    if mode == "keyword":
        plan = dataclasses.replace(plan, keyword_hits=await _keyword_hits(session, plan, timings))
    else:
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
