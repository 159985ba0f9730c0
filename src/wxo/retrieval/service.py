"""Vector Index use-cases: manage indices and queue their (re)indexing (retrieval: `retrieve`).

Status (`VectorIndexStatus`) is computed when read: `not_ready` without collections,
`update_pending` while some covered document is not indexed in its current form, `rebuilding`
while a rebuild's documents are, `ready` otherwise. The last document of a rebuild completes
the rebuild's task when the index is next read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.auth.schemas import TenantPrincipal
from wxo.core.errors import InvalidInputError
from wxo.documents.jobs import INDEX_TASK, send_job
from wxo.documents.models import DocumentCollection
from wxo.documents.schemas import CollectionSettings
from wxo.llm.registry import DEFAULT_EMBEDDING_MODEL
from wxo.queue.base import Queue
from wxo.retrieval import repository
from wxo.retrieval.exceptions import (
    IndexBusyError,
    IndexNameTakenError,
    IndexNotFoundError,
    TaskNotFoundError,
    UnknownCollectionsError,
)
from wxo.retrieval.models import IndexStatus, IndexTask, VectorIndex
from wxo.retrieval.schemas import (
    DEFAULT_CHUNK_OVERLAP,
    DEFAULT_CHUNK_SIZE,
    IndexCreate,
    IndexRead,
    IndexSettings,
    IndexStats,
    IndexUpdate,
)

REFRESH_TASK = "wxo.retrieval.refresh_index"
_REINDEXING_FIELDS = ("chunk_size", "chunk_overlap", "embeddings_model_name")


def _not_found() -> IndexNotFoundError:
    return IndexNotFoundError()


async def get_index(
    session: AsyncSession, principal: TenantPrincipal, index_id: uuid.UUID
) -> VectorIndex:
    """The caller's index (404 otherwise)."""
    index = await repository.get_index(session, principal.tenant_id, index_id)
    if index is None:
        raise _not_found()
    return index


async def _check_collections(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    unique = list(dict.fromkeys(ids))
    found = {c.id for c in await repository.owned_collections(session, tenant_id, unique)}
    missing = [str(i) for i in unique if i not in found]
    if missing:
        raise UnknownCollectionsError(missing)
    return unique


async def create_index(
    session: AsyncSession, queue: Queue, principal: TenantPrincipal, data: IndexCreate
) -> VectorIndex:
    """Create an index (covering `collection_ids` at once, whose documents get queued).

    Raises:
        IndexNameTakenError: the tenant already has an index of that name.
        UnknownCollectionsError: a collection id is not the tenant's.
    """
    if await repository.get_index_by_name(session, principal.tenant_id, data.name):
        raise IndexNameTakenError(data.name)
    collections = await _check_collections(session, principal.tenant_id, data.collection_ids)
    try:
        index = await repository.insert_index(
            session,
            {
                "tenant_id": principal.tenant_id,
                "name": data.name,
                "title": data.title,
                "description": data.description,
                "tags": data.tags,
                "embeddings_model_name": data.embeddings_model_name,
                "chunk_size": data.chunk_size,
                "chunk_overlap": data.chunk_overlap,
                "top_k": data.top_k,
                "extraction_strategy": data.extraction_strategy,
                "settings": data.settings.model_dump(mode="json"),
                "created_by": principal.user_id,
            },
        )
    except IntegrityError:
        raise IndexNameTakenError(data.name) from None
    await repository.attach_collections(session, index.id, collections)
    await session.commit()
    if collections:
        queue.enqueue(REFRESH_TASK, index_id=str(index.id))
    return index


async def ensure_default_index(
    session: AsyncSession, collection: DocumentCollection
) -> VectorIndex | None:
    """The collection's automatic index, created if its settings want one (idempotent)."""
    if not CollectionSettings.model_validate(collection.settings or {}).default_index:
        return None
    existing = await repository.default_index_of(session, collection.id)
    if existing is not None:
        return existing
    # The short name may be taken by the tenant's own index; a concurrent job may create the
    # same automatic index: a savepoint per attempt, then the row that won.
    for name in (
        f"{collection.name}-{str(collection.id)[:8]}",
        f"{collection.name}-{collection.id}",
    ):
        try:
            async with session.begin_nested():
                index = await repository.insert_index(
                    session,
                    {
                        "tenant_id": collection.tenant_id,
                        "name": name,
                        "title": collection.title,
                        "description": f"Automatic index of the collection '{collection.name}'",
                        "embeddings_model_name": DEFAULT_EMBEDDING_MODEL,
                        "chunk_size": DEFAULT_CHUNK_SIZE,
                        "chunk_overlap": DEFAULT_CHUNK_OVERLAP,
                        "top_k": 10,
                        "default_for_collection_id": collection.id,
                        "created_by": collection.created_by,
                    },
                )
                await repository.attach_collections(session, index.id, [collection.id])
            return index
        except IntegrityError:
            existing = await repository.default_index_of(session, collection.id)
            if existing is not None:
                return existing
    raise IndexNameTakenError(f"{collection.name}-{collection.id}")


async def read_indices(session: AsyncSession, indices: Sequence[VectorIndex]) -> list[IndexRead]:
    """The read models of indices: collections, statistics and computed status."""
    ids = [i.id for i in indices]
    collections = await repository.collection_ids_of(session, ids)
    stats = await repository.index_stats(session, ids)
    pending = await repository.pending_counts(session, indices)
    reads = []
    for index in indices:
        status = await _settle_status(session, index, collections[index.id], pending[index.id])
        documents, chunks = stats[index.id]
        reads.append(
            IndexRead.of(
                index,
                status=status,
                collection_ids=collections[index.id],
                stats=IndexStats(
                    documents=documents, chunks=chunks, pending_documents=pending[index.id]
                ),
            )
        )
    return reads


async def _settle_status(
    session: AsyncSession, index: VectorIndex, collections: list[uuid.UUID], pending: int
) -> IndexStatus:
    if index.status == IndexStatus.ERROR:
        return IndexStatus.ERROR
    if index.status == IndexStatus.REBUILDING:
        if pending:
            return IndexStatus.REBUILDING
        for task in await repository.open_tasks(session, index.id):
            await repository.set_task(session, task.id, {"status": "completed"})
        await repository.update_index(session, index, {"status": IndexStatus.READY})
        await session.commit()
    if not collections:
        return IndexStatus.NOT_READY
    return IndexStatus.UPDATE_PENDING if pending else IndexStatus.READY


async def list_indices(
    session: AsyncSession,
    principal: TenantPrincipal,
    *,
    collection_id: uuid.UUID | None,
    name: str | None,
    limit: int,
    offset: int,
) -> tuple[int, list[IndexRead]]:
    """A page of the tenant's indices."""
    total, rows = await repository.list_indices(
        session,
        principal.tenant_id,
        collection_id=collection_id,
        name=name,
        limit=limit,
        offset=offset,
    )
    return total, await read_indices(session, rows)


async def update_index(
    session: AsyncSession, queue: Queue, index: VectorIndex, data: IndexUpdate
) -> VectorIndex:
    """Change an index; new chunking or a new model re-indexes every document."""
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    if "settings" in changes:
        changes["settings"] = IndexSettings.model_validate(changes["settings"]).model_dump(
            mode="json"
        )
    for required in ("name", "chunk_size", "chunk_overlap", "top_k", "embeddings_model_name"):
        if required in changes and changes[required] is None:
            del changes[required]  # null means "unchanged" for what cannot be empty
    size = changes.get("chunk_size", index.chunk_size)
    if changes.get("chunk_overlap", index.chunk_overlap) >= size:
        raise InvalidInputError("chunk_overlap must be smaller than chunk_size")
    if "name" in changes and changes["name"] != index.name:
        other = await repository.get_index_by_name(session, index.tenant_id, changes["name"])
        if other is not None:
            raise IndexNameTakenError(changes["name"])
    reindex = any(
        field in changes and changes[field] != getattr(index, field) for field in _REINDEXING_FIELDS
    )
    if reindex:
        changes["generation"] = index.generation + 1
        if changes.get("embeddings_model_name", index.embeddings_model_name) != (
            index.embeddings_model_name
        ):
            changes["dimensions"] = None
    updated = await repository.update_index(session, index, changes) if changes else index
    await session.commit()
    if reindex:
        queue.enqueue(REFRESH_TASK, index_id=str(index.id))
    return updated


async def delete_index(session: AsyncSession, index: VectorIndex) -> None:
    """Delete an index with its chunks (collections and documents stay)."""
    await repository.delete_index(session, index)
    await session.commit()


async def attach_collections(
    session: AsyncSession,
    queue: Queue,
    principal: TenantPrincipal,
    index: VectorIndex,
    collection_ids: Sequence[uuid.UUID],
) -> VectorIndex:
    """Cover more collections; their documents are queued for indexing."""
    ids = await _check_collections(session, principal.tenant_id, collection_ids)
    await repository.attach_collections(session, index.id, ids)
    await repository.update_index(session, index, {})
    await session.commit()
    queue.enqueue(REFRESH_TASK, index_id=str(index.id))
    return index


async def _start_task(
    session: AsyncSession, queue: Queue, index: VectorIndex, name: str, *, rebuild: bool
) -> IndexTask:
    if rebuild and index.status == IndexStatus.REBUILDING:
        raise IndexBusyError()
    if rebuild:
        await repository.update_index(
            session,
            index,
            {"generation": index.generation + 1, "status": IndexStatus.REBUILDING},
        )
    task = await repository.insert_task(
        session,
        {
            "tenant_id": index.tenant_id,
            "index_id": index.id,
            "name": name,
            "status": "started",
            "detail": {"generation": index.generation},
        },
    )
    await session.commit()
    queue.enqueue(REFRESH_TASK, index_id=str(index.id))
    return task


async def refresh(session: AsyncSession, queue: Queue, index: VectorIndex) -> IndexTask:
    """Index what changed (documents new, replaced, or indexed under older settings)."""
    task = await _start_task(session, queue, index, "refresh_vector_index", rebuild=False)
    # A refresh only queues work: it is complete once queued (progress shows on the index).
    await repository.set_task(session, task.id, {"status": "completed"})
    await session.commit()
    await session.refresh(task)
    return task


async def rebuild(session: AsyncSession, queue: Queue, index: VectorIndex) -> IndexTask:
    """Re-chunk and re-embed every document; old chunks answer until replaced.

    Raises:
        IndexBusyError: a rebuild is running.
    """
    return await _start_task(session, queue, index, "rebuild_vector_index", rebuild=True)


async def get_task(
    session: AsyncSession, principal: TenantPrincipal, index: VectorIndex, task_id: uuid.UUID
) -> IndexTask:
    """A task of the index, its status settled first."""
    await read_indices(session, [index])
    task = await repository.get_task(session, principal.tenant_id, task_id)
    if task is None or task.index_id != index.id:
        raise TaskNotFoundError()
    await session.refresh(task)
    return task


async def queue_stale_documents(
    sessionmaker: async_sessionmaker[AsyncSession], queue: Queue, index_id: uuid.UUID
) -> int:
    """Send an index job for every document the index lacks (the refresh task's work)."""
    async with sessionmaker() as session:
        index = await session.get(VectorIndex, index_id)
        if index is None:
            return 0
        stale = await repository.stale_documents(session, index)
    for document_id in stale:
        send_job(queue, INDEX_TASK, document_id)
    return len(stale)


async def queue_all_stale(sessionmaker: async_sessionmaker[AsyncSession], queue: Queue) -> int:
    """Send index jobs for every extracted document some index lacks (the sweeper's work)."""
    async with sessionmaker() as session:
        ids = await repository.all_index_ids(session)
    return sum([await queue_stale_documents(sessionmaker, queue, i) for i in ids])
