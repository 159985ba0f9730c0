"""Query Engine use-cases: manage engines (answering a query is in `query`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.core.errors import InvalidInputError, NotFoundError
from wxo.llm import service as proxy
from wxo.query_engines import repository
from wxo.query_engines.exceptions import (
    EngineModelError,
    QueryEngineNameTakenError,
    QueryEngineNotFoundError,
    UnknownIndicesError,
)
from wxo.query_engines.models import QueryEngine
from wxo.query_engines.schemas import (
    DataManagement,
    QueryEngineCreate,
    QueryEngineRead,
    QueryEngineUpdate,
    RetrievalConfig,
    SynthesisConfig,
)
from wxo.retrieval.exceptions import RerankUnavailableError
from wxo.websources import service as websource_service


async def get_engine(
    session: AsyncSession, principal: TenantPrincipal, engine_id: uuid.UUID
) -> QueryEngine:
    """The caller's engine (404 otherwise)."""
    engine = await repository.get_engine(session, principal.tenant_id, engine_id)
    if engine is None:
        raise QueryEngineNotFoundError()
    return engine


async def _check_indices(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> None:
    found = await repository.owned_index_ids(session, tenant_id, ids)
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise UnknownIndicesError(missing)


def _check_retrieval(retrieval: RetrievalConfig) -> None:
    if retrieval.rerank.enabled:
        raise RerankUnavailableError()


async def check_model(session: AsyncSession, ctx: proxy.ProxyContext, model_id: str) -> None:
    """`model_id` must resolve to a chat model through the Model Proxy.

    Raises:
        EngineModelError: unknown to the proxy, or not a chat model.
    """
    try:
        await proxy.resolve_route(session, ctx, model_id, "chat")
    except (NotFoundError, InvalidInputError) as exc:
        raise EngineModelError(model_id, str(exc)) from None


def _config(
    retrieval: RetrievalConfig, synthesis: SynthesisConfig, data: DataManagement
) -> dict[str, Any]:
    return {
        "retrieval": retrieval.model_dump(mode="json"),
        "synthesis": synthesis.model_dump(mode="json"),
        "data_management": data.model_dump(mode="json"),
    }


async def read_engines(
    session: AsyncSession, engines: Sequence[QueryEngine]
) -> list[QueryEngineRead]:
    """The API view of engines (their index ids in one query)."""
    ids = await repository.index_ids_of(session, [e.id for e in engines])
    return [QueryEngineRead.of(engine, ids.get(engine.id, [])) for engine in engines]


async def create_engine(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    principal: TenantPrincipal,
    data: QueryEngineCreate,
) -> QueryEngine:
    """Create an engine over the tenant's indices.

    Raises:
        RerankUnavailableError: `retrieval.rerank.enabled` is true.
        UnknownIndicesError: an index id is not the tenant's.
        EngineModelError: `model_id` does not resolve to a chat model.
        QueryEngineNameTakenError: the tenant already has an engine of that name.
    """
    _check_retrieval(data.retrieval)
    await _check_indices(session, principal.tenant_id, data.index_ids)
    if data.model_id is not None:
        await check_model(session, ctx, data.model_id)
    if await repository.get_engine_by_name(session, principal.tenant_id, data.name):
        raise QueryEngineNameTakenError(data.name)
    try:
        engine = await repository.insert_engine(
            session,
            {
                "tenant_id": principal.tenant_id,
                "name": data.name,
                "title": data.title,
                "description": data.description,
                "model_id": data.model_id,
                "config": _config(data.retrieval, data.synthesis, data.data_management),
                "created_by": principal.user_id,
            },
        )
    except IntegrityError:
        raise QueryEngineNameTakenError(data.name) from None
    await repository.set_indices(session, engine.id, data.index_ids)
    await _schedule(session, engine, data.data_management, data.index_ids)
    await session.commit()
    return engine


async def _schedule(
    session: AsyncSession,
    engine: QueryEngine,
    managed: DataManagement | None,
    index_ids: Sequence[uuid.UUID],
) -> None:
    """Register (or with no schedule remove) the engine's refresh schedule; no commit."""
    await websource_service.set_engine_schedule(
        session,
        engine.tenant_id,
        "query_engine",
        engine.id,
        managed.refresh_schedule if managed else None,
        list(index_ids),
    )


async def list_engines(
    session: AsyncSession, principal: TenantPrincipal, *, name: str | None, limit: int, offset: int
) -> tuple[int, list[QueryEngineRead]]:
    """A page of the tenant's engines, newest first, and the total."""
    total, engines = await repository.list_engines(
        session, principal.tenant_id, name=name, limit=limit, offset=offset
    )
    return total, await read_engines(session, engines)


async def update_engine(
    session: AsyncSession, ctx: proxy.ProxyContext, engine: QueryEngine, data: QueryEngineUpdate
) -> QueryEngine:
    """Change what was sent (each config section as a whole).

    Raises:
        RerankUnavailableError, UnknownIndicesError, EngineModelError, QueryEngineNameTakenError.
    """
    sent = data.model_fields_set
    values: dict[str, Any] = {}
    for field in ("title", "description"):
        if field in sent:
            values[field] = getattr(data, field)
    current = QueryEngineRead.of(engine, [])
    retrieval = data.retrieval if "retrieval" in sent else current.retrieval
    synthesis = data.synthesis if "synthesis" in sent else current.synthesis
    managed = data.data_management if "data_management" in sent else current.data_management
    retrieval = retrieval or RetrievalConfig()
    _check_retrieval(retrieval)
    values["config"] = _config(
        retrieval, synthesis or SynthesisConfig(), managed or DataManagement()
    )
    if "model_id" in sent:
        if data.model_id is not None:
            await check_model(session, ctx, data.model_id)
        values["model_id"] = data.model_id
    if data.index_ids is not None:
        await _check_indices(session, engine.tenant_id, data.index_ids)
    if data.name is not None and data.name != engine.name:
        if await repository.get_engine_by_name(session, engine.tenant_id, data.name):
            raise QueryEngineNameTakenError(data.name)
        values["name"] = data.name
    try:
        await repository.update_engine(session, engine, values)
    except IntegrityError:
        raise QueryEngineNameTakenError(data.name or engine.name) from None
    if data.index_ids is not None:
        await repository.set_indices(session, engine.id, data.index_ids)
    if data.index_ids is not None or "data_management" in sent:
        index_ids = (await repository.index_ids_of(session, [engine.id])).get(engine.id, [])
        await _schedule(session, engine, managed, index_ids)
    await session.commit()
    return engine


async def delete_engine(session: AsyncSession, engine: QueryEngine) -> None:
    """Delete an engine and its refresh schedule (its indices stay)."""
    await _schedule(session, engine, None, [])
    await repository.delete_engine(session, engine)
    await session.commit()
