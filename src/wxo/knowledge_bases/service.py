"""Knowledge base use-cases, over the Document Store (`wxo.documents`) and Vector Index.

A knowledge base owns one document collection (named `knowledge-base-<id>`, with its automatic
vector index); uploads go through the documents service and are ingested asynchronously by the
existing pipeline; deleting the knowledge base deletes that collection through the documents
service (and the row with it, by cascade). Agents search a knowledge base with
`search_for_agent`, which retrieves from the collection's automatic index and answers with
`wxo.rag.conversational` (the same code as the search engines' answer).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.documents import collection_service
from wxo.documents import service as documents
from wxo.documents.exceptions import CollectionNotFoundError, FileTooLargeError
from wxo.documents.models import DocumentCollection, DocumentStatus
from wxo.documents.schemas import CollectionCreate
from wxo.knowledge_bases import repository
from wxo.knowledge_bases.exceptions import (
    KnowledgeBaseNameTakenError,
    KnowledgeBaseNotFoundError,
)
from wxo.knowledge_bases.models import KnowledgeBase
from wxo.knowledge_bases.schemas import (
    DocumentCounts,
    KnowledgeBaseCreate,
    KnowledgeBaseRead,
    KnowledgeBaseStatus,
    KnowledgeBaseUpdate,
    PlacedFile,
    StatusDocument,
    extra_fields,
)
from wxo.llm import service as proxy
from wxo.rag import answer as rag
from wxo.rag import conversational
from wxo.retrieval import retrieve as retrieval
from wxo.retrieval import service as retrieval_service
from wxo.retrieval.schemas import RetrieveRequest

RETRIEVAL_SOURCE = "wxo_knowledge_base"
#: Chunks an agent's knowledge-base search answers from.
AGENT_TOP_K = 5
#: Documents listed by a status request, at most.
STATUS_DOCUMENTS = 1000
_IN_PROGRESS = {DocumentStatus.QUEUED, DocumentStatus.EXTRACTING, DocumentStatus.INDEXING}


def _principal(tenant_id: uuid.UUID, user_id: uuid.UUID | None) -> TenantPrincipal:
    """A principal for calls into other domains' services on behalf of the tenant."""
    nobody = uuid.UUID(int=0)
    return TenantPrincipal(
        user_id=user_id or nobody,
        username="",
        token_id=nobody,
        tenant_id=tenant_id,
        tenant_name="",
    )


def collection_name(kb_id: uuid.UUID) -> str:
    """The name of a knowledge base's document collection."""
    return f"knowledge-base-{kb_id}"


# --- reads ----------------------------------------------------------------------------------


async def get_knowledge_base(
    session: AsyncSession, tenant_id: uuid.UUID, kb_id: uuid.UUID
) -> KnowledgeBase:
    """The tenant's knowledge base. Raises `KnowledgeBaseNotFoundError` (also another tenant's)."""
    kb = await repository.get(session, tenant_id, kb_id)
    if kb is None:
        raise KnowledgeBaseNotFoundError(str(kb_id))
    return kb


async def find(session: AsyncSession, tenant_id: uuid.UUID, ref: str) -> KnowledgeBase | None:
    """The tenant's knowledge base with this id, or else this name."""
    try:
        kb_id = uuid.UUID(ref)
    except ValueError:
        return await repository.get_by_name(session, tenant_id, ref)
    return await repository.get(session, tenant_id, kb_id)


async def resolve_refs(
    session: AsyncSession, tenant_id: uuid.UUID, refs: Sequence[str]
) -> tuple[list[uuid.UUID], list[str]]:
    """The ids of knowledge bases named by id or name (in order, once each), and the unknown."""
    ids: list[uuid.UUID] = []
    unknown: list[str] = []
    for ref in refs:
        kb = await find(session, tenant_id, ref)
        if kb is None:
            unknown.append(ref)
        elif kb.id not in ids:
            ids.append(kb.id)
    return ids, unknown


async def existing_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these ids are (still) knowledge bases of the tenant."""
    return await repository.existing_ids(session, tenant_id, ids)


async def list_knowledge_bases(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    names: Sequence[str],
    ids: Sequence[uuid.UUID],
    limit: int,
    offset: int,
) -> Sequence[KnowledgeBase]:
    """The tenant's knowledge bases, oldest first."""
    return await repository.list_knowledge_bases(
        session, tenant_id, names=names, ids=ids, limit=limit, offset=offset
    )


def read(kb: KnowledgeBase) -> KnowledgeBaseRead:
    """The read model: columns, then the stored extra fields at the top level."""
    return KnowledgeBaseRead(
        **{k: v for k, v in (kb.extra or {}).items() if k not in KnowledgeBaseRead.model_fields},
        id=kb.id,
        tenant_id=kb.tenant_id,
        name=kb.name,
        description=kb.description,
        collection_id=kb.collection_id,
        created_on=kb.created_at,
        updated_at=kb.updated_at,
        created_by=kb.created_by,
    )


# --- writes ---------------------------------------------------------------------------------


async def _check_name_free(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> None:
    if await repository.get_by_name(session, tenant_id, name) is not None:
        raise KnowledgeBaseNameTakenError(name)


async def create_knowledge_base(
    session: AsyncSession,
    io: documents.DocumentIO,
    principal: TenantPrincipal,
    data: KnowledgeBaseCreate,
    files: Sequence[documents.NewFile],
) -> tuple[KnowledgeBase, list[PlacedFile]]:
    """Create a knowledge base, its collection (with automatic index) and queue its files.

    Raises:
        KnowledgeBaseNameTakenError: the tenant has a knowledge base with this name.
        FileTooLargeError, QueueFullError: from the documents service (nothing is kept).
    """
    await _check_name_free(session, principal.tenant_id, data.name)
    if files:  # refused before anything exists, so a refused upload leaves nothing behind
        documents.check_capacity(io)
        _check_sizes(io, files)
    kb_id = uuid.uuid4()
    collection = await collection_service.create_collection(
        session,
        principal,
        CollectionCreate(
            name=collection_name(kb_id),
            title=data.name,
            description=data.description,
            tags=["knowledge-base"],
        ),
    )
    await retrieval_service.ensure_default_index(session, collection)
    try:
        kb = await repository.insert(
            session,
            tenant_id=principal.tenant_id,
            values={
                "id": kb_id,
                "name": data.name,
                "description": data.description,
                "collection_id": collection.id,
                "extra": extra_fields(data),
                "created_by": principal.user_id,
            },
        )
    except IntegrityError:  # a concurrent create took the name
        await session.rollback()
        await collection_service.delete_collection(session, io, collection)
        raise KnowledgeBaseNameTakenError(data.name) from None
    await session.commit()
    placed: list[PlacedFile] = []
    if files:
        results = await documents.upload_files(session, io, principal, collection.id, files, None)
        placed = [
            PlacedFile(
                document_id=p.document.id,
                filename=p.document.name,
                outcome=p.outcome.value,
                message=p.message,
            )
            for p in results
        ]
    return kb, placed


def _check_sizes(io: documents.DocumentIO, files: Sequence[documents.NewFile]) -> None:
    for file in files:
        if len(file.data) > io.max_file_bytes:
            raise FileTooLargeError(
                f"'{file.filename}' is {len(file.data)} bytes; the limit per file is"
                f" {io.max_file_bytes} bytes"
            )


async def _collection(session: AsyncSession, kb: KnowledgeBase) -> DocumentCollection:
    return await collection_service.get_collection(
        session, _principal(kb.tenant_id, kb.created_by), kb.collection_id
    )


async def add_files(
    session: AsyncSession,
    io: documents.DocumentIO,
    principal: TenantPrincipal,
    kb: KnowledgeBase,
    files: Sequence[documents.NewFile],
) -> list[PlacedFile]:
    """Add files to a knowledge base (ingested asynchronously)."""
    _check_sizes(io, files)
    results = await documents.upload_files(session, io, principal, kb.collection_id, files, None)
    return [
        PlacedFile(
            document_id=p.document.id,
            filename=p.document.name,
            outcome=p.outcome.value,
            message=p.message,
        )
        for p in results
    ]


async def update_knowledge_base(
    session: AsyncSession, kb: KnowledgeBase, data: KnowledgeBaseUpdate
) -> KnowledgeBase:
    """Change the fields sent (extra fields sent as null are removed).

    Raises:
        KnowledgeBaseNameTakenError: the new name is taken.
    """
    sent = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    if sent.get("name") is not None and sent["name"] != kb.name:
        await _check_name_free(session, kb.tenant_id, sent["name"])
        changes["name"] = sent["name"]
    if "description" in sent:
        changes["description"] = sent["description"]
    extra = extra_fields(data)
    if extra:
        merged = dict(kb.extra or {})
        for key, value in extra.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        changes["extra"] = merged
    try:
        updated = await repository.update_kb(session, kb, changes)
    except IntegrityError:
        raise KnowledgeBaseNameTakenError(changes.get("name", kb.name)) from None
    await session.commit()
    return updated


async def delete_knowledge_base(
    session: AsyncSession, io: documents.DocumentIO, kb: KnowledgeBase
) -> None:
    """Delete the knowledge base's collection (documents, chunks, blobs) and so the row.

    Agents that listed the knowledge base stop seeing it (their reads and specs skip ids that
    no longer exist).
    """
    try:
        collection = await _collection(session, kb)
    except CollectionNotFoundError:  # already gone: the cascade removed the row too
        return
    await collection_service.delete_collection(session, io, collection)


# --- status ---------------------------------------------------------------------------------


async def status(session: AsyncSession, kb: KnowledgeBase) -> KnowledgeBaseStatus:
    """Where the knowledge base's documents stand (see `KnowledgeBaseStatus`)."""
    _, docs = await documents.list_documents(
        session,
        _principal(kb.tenant_id, kb.created_by),
        collection_id=kb.collection_id,
        status=None,
        tags=[],
        name=None,
        limit=STATUS_DOCUMENTS,
        offset=0,
    )
    listed = [
        StatusDocument(
            id=d.id,
            name=d.name,
            status=str(d.status),
            error=_error_of(d.status_detail) if d.status == DocumentStatus.FAILED else None,
            metadata={"original_file_name": d.name},
        )
        for d in docs
    ]
    counts = DocumentCounts(
        total=len(docs),
        ready=sum(1 for d in docs if d.status == DocumentStatus.READY),
        processing=sum(1 for d in docs if d.status in _IN_PROGRESS),
        failed=sum(1 for d in docs if d.status == DocumentStatus.FAILED),
    )
    if counts.processing:
        state, ibm, msg = "processing", "processing", f"{counts.processing} of {counts.total}"
        msg += " documents are still being processed"
    elif counts.failed:
        names = ", ".join(d.name for d in listed if d.status == DocumentStatus.FAILED)
        state, ibm = "failed", "error"
        msg = f"{counts.failed} of {counts.total} documents failed: {names}"
        if counts.ready:
            msg += f"; the other {counts.ready} are searchable"
    else:
        state, ibm, msg = "ready", "ready", f"{counts.ready} documents are searchable"
    return KnowledgeBaseStatus(
        id=kb.id,
        name=kb.name,
        status=state,
        built_in_index_status=ibm,
        built_in_index_status_msg=msg,
        document_counts=counts,
        documents=listed,
    )


def _error_of(detail: dict[str, Any] | None) -> str | None:
    error = (detail or {}).get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or error)
    return str(error) if error else None


# --- for agents -----------------------------------------------------------------------------


async def describe_for_agent(
    session: AsyncSession, tenant_id: uuid.UUID, knowledge_base_id: uuid.UUID
) -> tuple[str, str | None]:
    """(name, description) of the tenant's knowledge base, for tool descriptions.

    Raises:
        KnowledgeBaseNotFoundError: no such knowledge base in the tenant.
    """
    kb = await get_knowledge_base(session, tenant_id, knowledge_base_id)
    return kb.name, kb.description


async def search_for_agent(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    tenant_id: uuid.UUID,
    knowledge_base_id: uuid.UUID,
    query: str,
    *,
    model_id: str | None,
) -> dict[str, Any]:
    """A `conversational_search` content item answering `query` from the knowledge base.

    The item is as threads.md §4 has it: text, citations, search_results, confidence_scores.

    The best `AGENT_TOP_K` chunks of the collection's automatic index are the passages; the
    answer comes from `wxo.rag.conversational` (the search engines' code path). With
    `model_id` None or `local/extractive` it quotes the passages' best sentences (extractive);
    a model that fails falls back to quoting (`note` says why).

    Raises:
        KnowledgeBaseNotFoundError: no such knowledge base in the tenant.
    """
    kb = await get_knowledge_base(session, tenant_id, knowledge_base_id)
    passages: list[rag.Passage] = []
    collection = await _collection(session, kb)
    index = await retrieval_service.ensure_default_index(session, collection)
    if index is not None and query.strip():
        response = await retrieval.retrieve(
            session,
            ctx,
            index,
            RetrieveRequest(query=query[:8000], top_k=AGENT_TOP_K, highlight=False),
        )
        passages = [
            rag.Passage(
                document_id=r.document_id,
                chunk_id=r.chunk_id,
                title=r.document.title or r.document.name,
                url=r.document.source_uri,
                text=r.text,
                score=r.score,
            )
            for r in response.results
        ]
    length: rag.Length = "medium"
    result = await conversational.answer_or_quote(
        session, ctx, query, passages, model_id=model_id or rag.EXTRACTIVE_MODEL, length=length
    )
    return conversational.content_item(
        result, passages, length=length, retrieval_source=RETRIEVAL_SOURCE
    )
