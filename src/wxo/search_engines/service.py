"""Search Engine use-cases: manage engines and suggest queries (searching is in `search`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.llm import service as proxy
from wxo.queue.base import Priority, Queue
from wxo.rag import answer as rag
from wxo.retrieval.exceptions import RerankUnavailableError
from wxo.search_engines import repository
from wxo.search_engines.exceptions import (
    EngineNameTakenError,
    EngineNotFoundError,
    UnknownIndicesError,
)
from wxo.search_engines.models import SearchEngine
from wxo.search_engines.schemas import (
    DataManagement,
    EngineCreate,
    EngineRead,
    EngineSettings,
    EngineUpdate,
    Suggestion,
    SuggestResponse,
)
from wxo.search_engines.shaping import rank_suggestions
from wxo.websources import service as websource_service

#: Matching suggestions read (those from most documents) before ranking.
SUGGEST_CAP = 200
#: Suggestions are rebuilt at least this often (seconds), even when no chunk changed.
SUGGEST_TTL_SECONDS = 300
#: A stale engine's rebuild is sent again after this long (seconds) if it has not run.
SUGGEST_RESEND_SECONDS = 60
SUGGEST_TASK = "wxo.search_engines.rebuild_suggestions"
#: The owner kind of search engines' refresh schedules (`wxo.websources`).
SCHEDULE_KIND = "search_engine"


async def get_engine(
    session: AsyncSession, principal: TenantPrincipal, engine_id: uuid.UUID
) -> SearchEngine:
    """The caller's engine (404 otherwise)."""
    engine = await repository.get_engine(session, principal.tenant_id, engine_id)
    if engine is None:
        raise EngineNotFoundError()
    return engine


async def _check_indices(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> None:
    found = await repository.owned_index_ids(session, tenant_id, ids)
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise UnknownIndicesError(missing)


async def _check_settings(
    session: AsyncSession, ctx: proxy.ProxyContext, settings: EngineSettings
) -> None:
    if settings.rerank:
        raise RerankUnavailableError()
    if settings.answer.model_id is not None:  # must name one of the tenant's chat models
        await rag.choose_model(session, ctx, settings.answer.model_id)


async def read_engines(session: AsyncSession, engines: Sequence[SearchEngine]) -> list[EngineRead]:
    """The API view of engines (their index ids and refresh schedules in one query each)."""
    ids = await repository.index_ids_of(session, [e.id for e in engines])
    crons: dict[uuid.UUID, str] = {}
    if engines:
        crons = await websource_service.engine_schedules(
            session, engines[0].tenant_id, SCHEDULE_KIND, [e.id for e in engines]
        )
    return [
        EngineRead.of(engine, ids.get(engine.id, []), crons.get(engine.id)) for engine in engines
    ]


async def _schedule(
    session: AsyncSession,
    engine: SearchEngine,
    managed: DataManagement | None,
    index_ids: Sequence[uuid.UUID],
) -> None:
    """Register (or with no schedule remove) the engine's refresh schedule; no commit."""
    await websource_service.set_engine_schedule(
        session,
        engine.tenant_id,
        SCHEDULE_KIND,
        engine.id,
        managed.refresh_schedule if managed else None,
        list(index_ids),
    )


async def create_engine(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    principal: TenantPrincipal,
    data: EngineCreate,
) -> SearchEngine:
    """Create an engine over the tenant's indices.

    Raises:
        RerankUnavailableError: `settings.rerank` is true.
        NotFoundError: `settings.answer.model_id` names no model of the tenant.
        InvalidInputError: `settings.answer.model_id` is not a chat model.
        UnknownIndicesError: an index id is not the tenant's.
        EngineNameTakenError: the tenant already has an engine of that name.
    """
    await _check_settings(session, ctx, data.settings)
    await _check_indices(session, principal.tenant_id, data.index_ids)
    if await repository.get_engine_by_name(session, principal.tenant_id, data.name):
        raise EngineNameTakenError(data.name)
    try:
        engine = await repository.insert_engine(
            session,
            {
                "tenant_id": principal.tenant_id,
                "name": data.name,
                "title": data.title,
                "description": data.description,
                "settings": data.settings.model_dump(mode="json"),
                "created_by": principal.user_id,
            },
        )
    except IntegrityError:
        raise EngineNameTakenError(data.name) from None
    await repository.set_indices(session, engine.id, data.index_ids)
    await _schedule(session, engine, data.data_management, data.index_ids)
    await session.commit()
    return engine


async def list_engines(
    session: AsyncSession, principal: TenantPrincipal, *, name: str | None, limit: int, offset: int
) -> tuple[int, list[EngineRead]]:
    """A page of the tenant's engines, newest first, and the total."""
    total, engines = await repository.list_engines(
        session, principal.tenant_id, name=name, limit=limit, offset=offset
    )
    return total, await read_engines(session, engines)


async def update_engine(
    session: AsyncSession, ctx: proxy.ProxyContext, engine: SearchEngine, data: EngineUpdate
) -> SearchEngine:
    """Change what was sent (`settings` as a whole).

    Raises:
        RerankUnavailableError: `settings.rerank` is true.
        NotFoundError: `settings.answer.model_id` names no model of the tenant.
        InvalidInputError: `settings.answer.model_id` is not a chat model.
        UnknownIndicesError: an index id is not the tenant's.
        EngineNameTakenError: the new name is taken.
    """
    sent = data.model_fields_set
    values: dict[str, Any] = {}
    for field in ("title", "description"):
        if field in sent:
            values[field] = getattr(data, field)
    if "settings" in sent:
        settings = data.settings or EngineSettings()
        await _check_settings(session, ctx, settings)
        values["settings"] = settings.model_dump(mode="json")
    if data.index_ids is not None:
        await _check_indices(session, engine.tenant_id, data.index_ids)
    if data.name is not None and data.name != engine.name:
        if await repository.get_engine_by_name(session, engine.tenant_id, data.name):
            raise EngineNameTakenError(data.name)
        values["name"] = data.name
    try:
        await repository.update_engine(session, engine, values)
    except IntegrityError:
        raise EngineNameTakenError(data.name or engine.name) from None
    if data.index_ids is not None:
        await repository.set_indices(session, engine.id, data.index_ids)
    if "data_management" in sent:
        index_ids = (await repository.index_ids_of(session, [engine.id])).get(engine.id, [])
        await _schedule(session, engine, data.data_management, index_ids)
    elif data.index_ids is not None:  # a schedule, if any, follows the new indices
        crons = await websource_service.engine_schedules(
            session, engine.tenant_id, SCHEDULE_KIND, [engine.id]
        )
        if engine.id in crons:
            await _schedule(
                session, engine, DataManagement(refresh_schedule=crons[engine.id]), data.index_ids
            )
    await session.commit()
    return engine


async def delete_engine(session: AsyncSession, engine: SearchEngine) -> None:
    """Delete an engine and its refresh schedule (its indices stay)."""
    await _schedule(session, engine, None, [])
    await repository.delete_engine(session, engine)
    await session.commit()


async def _rebuild_if_stale(session: AsyncSession, engine: SearchEngine) -> None:
    """Rebuild the engine's suggestions under its row lock, unless someone just did."""
    index_ids = (await repository.index_ids_of(session, [engine.id])).get(engine.id, [])
    source = await repository.suggestion_source(session, index_ids)
    state = await repository.suggestion_state(session, engine.id, SUGGEST_TTL_SECONDS, lock=True)
    if state is not None and (state[0] != source or not state[1]):
        await repository.rebuild_suggestions(
            session, engine.tenant_id, engine.id, index_ids=index_ids, source=source
        )
    await session.commit()  # releases the lock


async def refresh_suggestions(session: AsyncSession, engine_id: uuid.UUID) -> bool:
    """The worker's job: rebuild an engine's suggestions if stale (False: engine gone)."""
    engine = await session.get(SearchEngine, engine_id)
    if engine is None:
        return False
    await _rebuild_if_stale(session, engine)
    return True


async def suggest(
    session: AsyncSession, queue: Queue, engine: SearchEngine, prefix: str, limit: int
) -> SuggestResponse:
    """Completions of `prefix` from the titles, headings and keywords the engine searches.

    They come from the engine's `search_suggestion` rows. The first request builds them (under
    the engine's row lock, so concurrent requests build once). Later, when the engine's
    indices or their chunk count changed, or the rows are older than `SUGGEST_TTL_SECONDS`
    (titles or keywords may change without the chunks changing), the request answers from the
    rows it has and sends a low-priority rebuild to the workers (at most one a minute).
    """
    typed = " ".join(prefix.split())
    if not typed:
        return SuggestResponse(query=prefix, suggestions=[])
    index_ids = (await repository.index_ids_of(session, [engine.id])).get(engine.id, [])
    source = await repository.suggestion_source(session, index_ids)
    state = await repository.suggestion_state(session, engine.id, SUGGEST_TTL_SECONDS)
    if state is None or state[0] is None:  # never built
        await _rebuild_if_stale(session, engine)
    elif state[0] != source or not state[1]:
        claimed = await repository.claim_rebuild(session, engine.id, SUGGEST_RESEND_SECONDS)
        await session.commit()
        if claimed:
            queue.enqueue(SUGGEST_TASK, priority=Priority.LOW, engine_id=str(engine.id))
    rows = await repository.matching_suggestions(session, engine.id, prefix=typed, cap=SUGGEST_CAP)
    ranked = rank_suggestions(rows, typed, limit)
    return SuggestResponse(
        query=prefix,
        suggestions=[
            Suggestion(text=shown, source=origin, documents=documents)
            for origin, shown, documents in ranked
        ],
    )
