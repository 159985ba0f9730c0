"""Vector Index routes (`/v1/vector-indices`, documented paths) and retrieval."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.documents.dependencies import get_queue
from wxo.documents.schemas import Deleted
from wxo.llm.dependencies import ProxyDep
from wxo.queue.base import Queue
from wxo.retrieval import repository, service
from wxo.retrieval import retrieve as retrieval
from wxo.retrieval.models import VectorIndex
from wxo.retrieval.schemas import (
    MAX_TOP_K,
    AttachCollections,
    ChunkPage,
    ChunkRead,
    IndexCreate,
    IndexPage,
    IndexRead,
    IndexUpdate,
    Mode,
    RetrieveRequest,
    RetrieveResponse,
    TaskRead,
)

router = APIRouter(tags=["Vector Index"])
QueueDep = Annotated[Queue, Depends(get_queue)]
_INDEX_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such vector index in the caller's tenant"}
}
_UNKNOWN_COLLECTIONS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A collection id is not one of the caller's collections"}
}


async def valid_owned_index(
    session: SessionDep,
    principal: CurrentTenant,
    index_id: Annotated[uuid.UUID, Path(description="Id of the vector index.")],
) -> VectorIndex:
    """The index in the path, if it is the caller's tenant's (404 otherwise)."""
    return await service.get_index(session, principal, index_id)


OwnedIndex = Annotated[VectorIndex, Depends(valid_owned_index)]


async def _read(session: SessionDep, index: VectorIndex) -> IndexRead:
    return (await service.read_indices(session, [index]))[0]


@router.post(
    "/vector-indices",
    response_model=IndexRead,
    status_code=status.HTTP_201_CREATED,
    responses={**_UNKNOWN_COLLECTIONS, 409: {"description": "The name is taken"}},
)
async def create_index(
    session: SessionDep, principal: CurrentTenant, queue: QueueDep, body: IndexCreate
) -> IndexRead:
    """Create a vector index; the collections it covers are indexed in the background."""
    index = await service.create_index(session, queue, principal, body)
    return await _read(session, index)


@router.get("/vector-indices", response_model=IndexPage)
async def list_indices(
    session: SessionDep,
    principal: CurrentTenant,
    collection_id: Annotated[
        uuid.UUID | None, Query(description="Only indices covering this collection.")
    ] = None,
    name: Annotated[str | None, Query(description="Only the index of this name.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> IndexPage:
    """List the tenant's vector indices, newest first."""
    total, data = await service.list_indices(
        session, principal, collection_id=collection_id, name=name, limit=limit, offset=offset
    )
    return IndexPage(total=total, limit=limit, offset=offset, data=data)


@router.get("/vector-indices/{index_id}", response_model=IndexRead, responses=_INDEX_404)
async def get_index(session: SessionDep, index: OwnedIndex) -> IndexRead:
    """A vector index with its status and statistics."""
    return await _read(session, index)


@router.patch(
    "/vector-indices/{index_id}",
    response_model=IndexRead,
    responses={**_INDEX_404, 409: {"description": "The new name is taken"}},
)
async def update_index(
    session: SessionDep, queue: QueueDep, index: OwnedIndex, body: IndexUpdate
) -> IndexRead:
    """Change a vector index; new `chunk_size`, `chunk_overlap` or model re-index it."""
    updated = await service.update_index(session, queue, index, body)
    return await _read(session, updated)


@router.delete("/vector-indices/{index_id}", response_model=Deleted, responses=_INDEX_404)
async def delete_index(session: SessionDep, index: OwnedIndex) -> Deleted:
    """Delete a vector index and its chunks (the collections and documents stay)."""
    await service.delete_index(session, index)
    return Deleted(id=index.id)


@router.post(
    "/vector-indices/{index_id}/collections",
    response_model=IndexRead,
    responses={**_INDEX_404, **_UNKNOWN_COLLECTIONS},
)
async def attach_collections(
    session: SessionDep,
    principal: CurrentTenant,
    queue: QueueDep,
    index: OwnedIndex,
    body: AttachCollections,
) -> IndexRead:
    """Let the index cover more collections; their documents are indexed in the background."""
    await service.attach_collections(session, queue, principal, index, body.collection_ids)
    return await _read(session, index)


@router.post(
    "/vector-indices/{index_id}/refresh",
    response_model=TaskRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=_INDEX_404,
)
async def refresh_index(session: SessionDep, queue: QueueDep, index: OwnedIndex) -> TaskRead:
    """Index what changed: new or replaced documents, and any indexed under older settings."""
    return TaskRead.of(await service.refresh(session, queue, index))


_REBUILD: dict[str, Any] = {
    "response_model": TaskRead,
    "status_code": status.HTTP_202_ACCEPTED,
    "responses": {**_INDEX_404, 409: {"description": "A rebuild is running"}},
}


@router.put("/vector-indices/{index_id}/rebuild", **_REBUILD)
async def rebuild_index(session: SessionDep, queue: QueueDep, index: OwnedIndex) -> TaskRead:
    """Re-chunk and re-embed every document; the old chunks answer until replaced."""
    return TaskRead.of(await service.rebuild(session, queue, index))


@router.post("/vector-indices/{index_id}/rebuild", **_REBUILD)
async def rebuild_index_post(session: SessionDep, queue: QueueDep, index: OwnedIndex) -> TaskRead:
    """`PUT .../rebuild` as the newer spec spells it (POST)."""
    return TaskRead.of(await service.rebuild(session, queue, index))


@router.get(
    "/vector-indices/{index_id}/tasks/{task_id}",
    response_model=TaskRead,
    responses={404: {"description": "No such index or task"}},
)
async def get_task(
    session: SessionDep, principal: CurrentTenant, index: OwnedIndex, task_id: uuid.UUID
) -> TaskRead:
    """A refresh or rebuild task of the index."""
    return TaskRead.of(await service.get_task(session, principal, index, task_id))


@router.get("/vector-indices/{index_id}/chunks", response_model=ChunkPage, responses=_INDEX_404)
async def list_chunks(
    session: SessionDep,
    index: OwnedIndex,
    document_id: Annotated[uuid.UUID | None, Query(description="Only this document's.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ChunkPage:
    """The index's chunks, by document and position (to inspect what retrieval sees)."""
    total, rows = await repository.list_chunks(
        session, index.id, document_id=document_id, limit=limit, offset=offset
    )
    data = [ChunkRead.model_validate(row) for row in rows]
    return ChunkPage(total=total, limit=limit, offset=offset, data=data)


@router.post(
    "/vector-indices/{index_id}/retrieve", response_model=RetrieveResponse, responses=_INDEX_404
)
async def retrieve(
    session: SessionDep, proxy: ProxyDep, index: OwnedIndex, body: RetrieveRequest
) -> RetrieveResponse:
    """The chunks that best answer a query: keyword (BM25), vector or hybrid, with filters.

    - `keyword`: BM25 computed in PostgreSQL over the index's own postings (terms OR-ed,
      Lucene's IDF, length normalisation; `k1`/`b` in the index's `settings.bm25`), stemmed and
      stop-worded by each collection's `settings.language`.
    - `vector`: cosine similarity of the query's embedding (the index's model, through the
      Model Proxy), pgvector HNSW with iterative scans, or an exact scan when at most 2,000
      chunks match the filters; `top_k` is filled whenever enough chunks match.
    - `hybrid` (default): both, fused in the same statement (`settings.hybrid`: a convex
      combination of min-max normalised scores, `alpha` = 0.5, by default; or reciprocal rank
      fusion).

    A result is a chunk; `score` is the fused score (the mode's own score otherwise) and
    `scores` holds each side's. `highlights` marks query terms with `<b>`. `rerank: true` is
    refused: no cross-encoder can be installed offline (see docs/decisions.md).
    """
    return await retrieval.retrieve(session, proxy, index, body)


@router.get(
    "/vector-indices/{index_id}/retrieve", response_model=RetrieveResponse, responses=_INDEX_404
)
async def retrieve_get(
    session: SessionDep,
    proxy: ProxyDep,
    index: OwnedIndex,
    query: Annotated[str, Query(min_length=1, max_length=8000)],
    top_k: Annotated[int | None, Query(ge=1, le=MAX_TOP_K)] = None,
    mode: Mode | None = None,
    collection_ids: Annotated[list[uuid.UUID] | None, Query()] = None,
    document_ids: Annotated[list[uuid.UUID] | None, Query()] = None,
    tags: Annotated[list[str] | None, Query()] = None,
    min_score: float | None = None,
) -> RetrieveResponse:
    """`retrieve` with query parameters (filters: collections, documents and tags)."""
    body = RetrieveRequest.model_validate(
        {
            "query": query,
            "top_k": top_k,
            "mode": mode,
            "min_score": min_score,
            "filters": {
                "collection_ids": collection_ids or [],
                "document_ids": document_ids or [],
                "tags": tags or [],
            },
        }
    )
    return await retrieval.retrieve(session, proxy, index, body)
