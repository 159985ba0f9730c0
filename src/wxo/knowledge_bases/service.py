"""Knowledge base use-cases, over the Document Store (`wxo.documents`) and Vector Index.

A knowledge base owns one document collection (named `knowledge-base-<id>`, with its automatic
vector index); uploads go through the documents service and are ingested asynchronously by the
existing pipeline; deleting the knowledge base deletes that collection through the documents
service (and the row with it, by cascade). Status and file changes are in
`wxo.knowledge_bases.contents`. Agents search a knowledge base with
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
from wxo.core.db import commit_unique
from wxo.core.extras import merge_extra
from wxo.documents import collection_service
from wxo.documents import service as documents
from wxo.documents.exceptions import CollectionNotFoundError, FileTooLargeError
from wxo.documents.models import DocumentCollection
from wxo.documents.schemas import CollectionCreate
from wxo.knowledge_bases import repository
from wxo.knowledge_bases.exceptions import (
    KnowledgeBaseNameTakenError,
    KnowledgeBaseNotFoundError,
)
from wxo.knowledge_bases.models import KnowledgeBase
from wxo.knowledge_bases.schemas import (
    KnowledgeBaseCreate,
    KnowledgeBaseRead,
    KnowledgeBaseUpdate,
    PlacedFile,
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


def principal_for(tenant_id: uuid.UUID, user_id: uuid.UUID | None) -> TenantPrincipal:
    """A principal for calls into other domains' services on behalf of the tenant."""
    nobody = uuid.UUID(int=0)
    return TenantPrincipal(
        user_id=user_id or nobody,
        username="",
        token_id=nobody,
        tenant_id=tenant_id,
        tenant_name="",
    )


def placed_file(placed: documents.Placed) -> PlacedFile:
    """What happened to one file, as the API reports it."""
    return PlacedFile(
        document_id=placed.document.id,
        filename=placed.document.name,
        outcome=placed.outcome.value,
        message=placed.message,
    )


def collection_name(kb_id: uuid.UUID) -> str:
    """The name of a knowledge base's document collection."""
    return f"knowledge-base-{kb_id}"


# --- reads ----------------------------------------------------------------------------------


async def get_knowledge_base(
    session: AsyncSession, tenant_id: uuid.UUID, kb_id: uuid.UUID
) -> KnowledgeBase:
    """The tenant's knowledge base. Raises `KnowledgeBaseNotFoundError` (also another tenant's).

    An id given as a string is accepted too (callers holding JSON ids); a malformed one is
    not found.
    """
    if not isinstance(kb_id, uuid.UUID):
        try:
            kb_id = uuid.UUID(str(kb_id))
        except ValueError:
            raise KnowledgeBaseNotFoundError(str(kb_id)) from None
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
        await documents.check_capacity(io)
        check_sizes(io, files)
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
    collection_id = collection.id
    await retrieval_service.ensure_default_index(session, collection)
    try:
        kb = await repository.insert(
            session,
            tenant_id=principal.tenant_id,
            values={
                "id": kb_id,
                "name": data.name,
                "description": data.description,
                "collection_id": collection_id,
                "extra": extra_fields(data),
                "created_by": principal.user_id,
            },
        )
    except IntegrityError:  # a concurrent create took the name: drop the new collection
        await session.rollback()
        orphan = await collection_service.get_collection(session, principal, collection_id)
        await collection_service.delete_collection(session, io, orphan)
        raise KnowledgeBaseNameTakenError(data.name) from None
    await session.commit()
    placed: list[PlacedFile] = []
    if files:
        results = await documents.upload_files(session, io, principal, collection_id, files, None)
        placed = [placed_file(p) for p in results]
    return kb, placed


def check_sizes(io: documents.DocumentIO, files: Sequence[documents.NewFile]) -> None:
    for file in files:
        if len(file.data) > io.max_file_bytes:
            raise FileTooLargeError(
                f"'{file.filename}' is {len(file.data)} bytes; the limit per file is"
                f" {io.max_file_bytes} bytes"
            )


async def collection_of(session: AsyncSession, kb: KnowledgeBase) -> DocumentCollection:
    return await collection_service.get_collection(
        session, principal_for(kb.tenant_id, kb.created_by), kb.collection_id
    )


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
        changes["extra"] = merge_extra(kb.extra, extra)
    return await commit_unique(
        session,
        lambda: repository.update_kb(session, kb, changes),
        lambda: KnowledgeBaseNameTakenError(changes.get("name", kb.name)),
    )


async def delete_knowledge_base(
    session: AsyncSession, io: documents.DocumentIO, kb: KnowledgeBase
) -> None:
    """Delete the knowledge base's collection (documents, chunks, blobs) and so the row.

    Agents that listed the knowledge base stop seeing it (their reads and specs skip ids that
    no longer exist).
    """
    try:
        collection = await collection_of(session, kb)
    except CollectionNotFoundError:  # already gone: the cascade removed the row too
        return
    await collection_service.delete_collection(session, io, collection)


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
    collection = await collection_of(session, kb)
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
