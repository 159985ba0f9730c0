"""Answering a query: retrieve with the engine's patterns, synthesise, cite; optionally stream.

`prepare` checks everything that can be refused before any output (engine config, thread,
model), so a streamed request fails with a plain 4xx rather than an `error` event whenever it can.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.core.errors import AppError, InvalidInputError, NotFoundError
from wxo.llm import service as proxy
from wxo.llm.base import Usage
from wxo.query_engines import conversation, repository
from wxo.query_engines.exceptions import EngineModelError, NoIndicesError
from wxo.query_engines.models import QueryEngine
from wxo.query_engines.schemas import (
    CitationRead,
    QueryEngineRead,
    QueryRequest,
    QueryResponse,
    RetrievalConfig,
    SkippedPattern,
    SourceRead,
    SubAnswer,
    SynthesisConfig,
    UsageRead,
)
from wxo.rag import answer as rag
from wxo.rag.llm import ProxyLLM
from wxo.rag.patterns import GENERATIVE_PATTERNS, Retrieved, retrieve_passages
from wxo.retrieval.exceptions import RerankUnavailableError
from wxo.retrieval.models import VectorIndex
from wxo.threads import service as thread_service

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """A query that passed every check: what will run."""

    engine: QueryEngine
    indices: list[VectorIndex]
    retrieval: RetrievalConfig
    synthesis: SynthesisConfig
    pattern_model: rag.ChatChoice
    answer_model: rag.ChatChoice
    patterns: list[str]
    skipped: list[SkippedPattern]


async def _choose(
    session: AsyncSession, ctx: proxy.ProxyContext, model_id: str | None
) -> rag.ChatChoice:
    try:
        return await rag.choose_model(session, ctx, model_id)
    except (NotFoundError, InvalidInputError) as exc:  # the model was removed since it was saved
        raise EngineModelError(model_id or "(default)", str(exc)) from None


async def prepare(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    principal: TenantPrincipal,
    engine: QueryEngine,
    request: QueryRequest,
) -> Prepared:
    """Check the engine, its indices, the thread and the model.

    Raises:
        RerankUnavailableError, NoIndicesError, ThreadNotFoundError, EngineModelError.
    """
    config = QueryEngineRead.of(engine, [])
    if config.retrieval.rerank.enabled:  # refused on save; an old row could still say so
        raise RerankUnavailableError()
    indices = await repository.engine_indices(session, engine.tenant_id, engine.id)
    if not indices:
        raise NoIndicesError()
    if request.thread_id is not None:
        await thread_service.get_thread(session, principal, request.thread_id)
    pattern_model = await _choose(session, ctx, engine.model_id)
    answer_model = pattern_model
    if config.synthesis.mode == "extractive":
        answer_model = rag.ChatChoice(None, rag.EXTRACTIVE_NOTE)
    patterns: list[str] = []
    skipped: list[SkippedPattern] = []
    for pattern in config.retrieval.patterns:
        if pattern in GENERATIVE_PATTERNS and not pattern_model.generative:
            reason = (
                "needs a generative chat model; only extractive answers are available"
                f" ({pattern_model.note})"
            )
            skipped.append(SkippedPattern(pattern=pattern, reason=reason))
        else:
            patterns.append(pattern)
    return Prepared(
        engine,
        indices,
        config.retrieval,
        config.synthesis,
        pattern_model,
        answer_model,
        patterns,
        skipped,
    )


async def _retrieve(
    session: AsyncSession, ctx: proxy.ProxyContext, plan: Prepared, request: QueryRequest
) -> tuple[Retrieved, ProxyLLM | None]:
    route = plan.pattern_model.route
    llm = ProxyLLM(ctx, route, max_tokens=plan.synthesis.max_tokens) if route else None
    found = await retrieve_passages(
        session,
        ctx,
        plan.indices,
        request.query,
        top_k=plan.retrieval.top_k,
        mode=plan.retrieval.mode,
        filters=request.filters,
        patterns=plan.patterns
        if llm
        else [p for p in plan.patterns if p not in GENERATIVE_PATTERNS],
        llm=llm,
    )
    return found, llm


def _sources(found: Retrieved) -> list[SourceRead]:
    return [
        SourceRead(
            document_id=p.document_id,
            chunk_id=p.chunk_id,
            title=p.title,
            url=p.url,
            text=p.text,
            score=p.score,
            role=role,
        )
        for p, role in zip(found.passages, found.roles, strict=True)
    ]


def _usage(*parts: Usage | None) -> UsageRead | None:
    present = [u for u in parts if u is not None]
    if not present:
        return None
    prompt = sum(u.prompt_tokens for u in present)
    completion = sum(u.completion_tokens for u in present)
    return UsageRead(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def _response(
    plan: Prepared,
    found: Retrieved,
    llm: ProxyLLM | None,
    result: rag.Answer,
    timings: dict[str, float],
    parts: list[rag.PartAnswer],
) -> QueryResponse:
    citations = (
        [
            CitationRead(
                document_id=c.document_id,
                chunk_id=c.chunk_id,
                title=c.title,
                url=c.url,
                text=c.text,
                range_start=c.range_start,
                range_end=c.range_end,
                source_index=c.passage_index,
            )
            for c in result.citations
        ]
        if plan.synthesis.citations
        else []
    )
    notes = [n for n in (result.note, *found.notes) if n]
    return QueryResponse(
        answer=result.text,
        citations=citations,
        sources=_sources(found),
        timings_ms={k: round(v, 2) for k, v in timings.items()},
        usage=_usage(
            llm.usage if llm and llm.calls else None, result.usage, *(p.usage for p in parts)
        ),
        model_id=result.model_id,
        extractive=result.extractive,
        note=" ".join(notes) or None,
        patterns=plan.patterns,
        skipped_patterns=plan.skipped,
        queries=found.queries,
        sub_questions=found.sub_questions,
        sub_answers=[SubAnswer(question=p.question, answer=p.answer) for p in parts],
    )


async def _answer_parts(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    plan: Prepared,
    found: Retrieved,
    timings: dict[str, float],
) -> list[rag.PartAnswer]:
    """sub_question: each part answered from its passages (by a generative model only)."""
    if not found.parts or not plan.answer_model.generative:
        return []
    clock = time.perf_counter()
    parts = await rag.answer_parts(
        session,
        ctx,
        found.parts,
        choice=plan.answer_model,
        max_tokens=plan.synthesis.max_tokens,
    )
    timings["sub_answers"] = (time.perf_counter() - clock) * 1000
    return parts


async def _release(session: AsyncSession, plan: Prepared) -> None:
    """No database connection held while a model writes the answer (reopened if needed)."""
    if plan.answer_model.generative:
        await session.close()


async def run_query(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    principal: TenantPrincipal,
    plan: Prepared,
    request: QueryRequest,
) -> QueryResponse:
    """Retrieve, answer and cite (and append to the thread when asked)."""
    started = time.perf_counter()
    found, llm = await _retrieve(session, ctx, plan, request)
    timings = {**found.timings_ms, "retrieval": (time.perf_counter() - started) * 1000}
    await _release(session, plan)
    parts = await _answer_parts(session, ctx, plan, found, timings)
    result = await rag.answer(
        session,
        ctx,
        rag.with_parts(request.query, parts),
        found.passages,
        model_id=plan.engine.model_id,
        mode=plan.synthesis.mode,
        length=plan.synthesis.length,
        system_prompt=plan.synthesis.system_prompt,
        max_tokens=plan.synthesis.max_tokens,
        choice=plan.answer_model,
    )
    timings.update(result.timings_ms or {})
    timings["total"] = (time.perf_counter() - started) * 1000
    response = _response(plan, found, llm, result, timings, parts)
    if request.thread_id is not None:
        response.thread_message_ids = await conversation.append_exchange(
            session, principal, request, response, plan.synthesis.length
        )
    return response


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"


async def stream_query(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    principal: TenantPrincipal,
    plan: Prepared,
    request: QueryRequest,
) -> AsyncIterator[str]:
    """Server-Sent Events: `retrieval`, `delta`..., `citations`, `done` (or `error`)."""
    started = time.perf_counter()
    try:
        found, llm = await _retrieve(session, ctx, plan, request)
        timings = {**found.timings_ms, "retrieval": (time.perf_counter() - started) * 1000}
        yield _event(
            "retrieval",
            {
                "sources": [s.model_dump(mode="json") for s in _sources(found)],
                "queries": found.queries,
                "sub_questions": found.sub_questions,
                "patterns": plan.patterns,
                "skipped_patterns": [s.model_dump() for s in plan.skipped],
            },
        )
        await _release(session, plan)
        parts = await _answer_parts(session, ctx, plan, found, timings)
        result: rag.Answer | None = None
        async for piece in rag.stream_answer(
            session,
            ctx,
            rag.with_parts(request.query, parts),
            found.passages,
            model_id=plan.engine.model_id,
            mode=plan.synthesis.mode,
            length=plan.synthesis.length,
            system_prompt=plan.synthesis.system_prompt,
            max_tokens=plan.synthesis.max_tokens,
            choice=plan.answer_model,
        ):
            if isinstance(piece, str):
                if piece:
                    yield _event("delta", {"text": piece})
            else:
                result = piece
        if result is None:  # stream_answer always ends with the Answer
            raise InvalidInputError("The answer stream ended without an answer")
        timings.update(result.timings_ms or {})
        timings["total"] = (time.perf_counter() - started) * 1000
        response = _response(plan, found, llm, result, timings, parts)
        yield _event(
            "citations", {"citations": [c.model_dump(mode="json") for c in response.citations]}
        )
        if request.thread_id is not None:
            response.thread_message_ids = await conversation.append_exchange(
                session, principal, request, response, plan.synthesis.length
            )
        yield _event("done", response.model_dump(mode="json"))
    except AppError as exc:  # headers are gone: report in-band
        yield _event("error", {"error": {"code": exc.code, "message": str(exc)}})
    except Exception:
        request_id = uuid.uuid4().hex
        logger.exception("query stream failed (request %s)", request_id)
        yield _event(
            "error",
            {
                "error": {
                    "code": "internal_error",
                    "message": "Internal server error",
                    "request_id": request_id,
                }
            },
        )
