"""A custom assistant's files: documents of a Document Store collection made for it.

The collection (`assistant-<assistant id>`) is created on the first upload and recorded on the
assistant (`collection_id`); files are extracted and chunked like any document, so the
assistant's collection can be indexed and searched with the Document Store, Vector Index and
Query Engine APIs. Deleting the assistant deletes the collection and its files.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.assistants import repository
from wxo.assistants.exceptions import AssistantFileNotFoundError
from wxo.assistants.models import CustomAssistant
from wxo.auth.schemas import TenantPrincipal
from wxo.core.errors import AppError
from wxo.documents import collection_service
from wxo.documents import repository as document_repository
from wxo.documents import service as documents
from wxo.documents.exceptions import CollectionNotFoundError
from wxo.documents.models import Document
from wxo.documents.schemas import CollectionCreate
from wxo.llm.service import ProxyContext
from wxo.retrieval import retrieve as retrieval
from wxo.retrieval import service as retrieval_service
from wxo.retrieval.schemas import RetrieveRequest

MAX_LISTED = 10_000
PASSAGES = 4
"""How many passages of its files a custom assistant reads before it answers."""

logger = logging.getLogger(__name__)


def collection_name(assistant_id: uuid.UUID) -> str:
    """The name of an assistant's collection."""
    return f"assistant-{assistant_id}"


async def _collection_id(
    session: AsyncSession, principal: TenantPrincipal, row: CustomAssistant
) -> uuid.UUID:
    """The assistant's collection, made now if it has none (or it was deleted)."""
    if row.collection_id is not None:
        existing = await document_repository.get_collection(
            session, principal.tenant_id, row.collection_id
        )
        if existing is not None:
            return existing.id
    name = collection_name(row.id)
    found = await document_repository.get_collection_by_name(session, principal.tenant_id, name)
    if found is None:
        found = await collection_service.create_collection(
            session,
            principal,
            CollectionCreate(
                name=name,
                title=f"Files of assistant {row.name}",
                description=f"Files uploaded to custom assistant {row.id}",
            ),
        )
    await repository.update_row(session, row, {"collection_id": found.id})
    await session.commit()
    return found.id


async def upload(
    session: AsyncSession,
    io: documents.DocumentIO,
    principal: TenantPrincipal,
    row: CustomAssistant,
    files: Sequence[documents.NewFile],
) -> list[documents.Placed]:
    """Store the files in the assistant's collection and queue their extraction.

    Raises:
        FileTooLargeError: a file is over the limit (then none is stored).
        QueueFullError: too many jobs wait already.
    """
    collection_id = await _collection_id(session, principal, row)
    return await documents.upload_files(session, io, principal, collection_id, files, None)


async def list_files(
    session: AsyncSession, principal: TenantPrincipal, row: CustomAssistant
) -> Sequence[Document]:
    """The assistant's files, newest first (none before the first upload)."""
    if row.collection_id is None:
        return []
    _, rows = await documents.list_documents(
        session,
        principal,
        collection_id=row.collection_id,
        status=None,
        tags=(),
        name=None,
        limit=MAX_LISTED,
        offset=0,
    )
    return rows


async def delete_file(
    session: AsyncSession,
    io: documents.DocumentIO,
    principal: TenantPrincipal,
    row: CustomAssistant,
    document_id: uuid.UUID,
) -> None:
    """Delete one of the assistant's files (404 if it is not one of them)."""
    document = await document_repository.get_document(session, principal.tenant_id, document_id)
    if document is None or row.collection_id is None or document.collection_id != row.collection_id:
        raise AssistantFileNotFoundError
    await documents.delete_document(session, io, document)


async def delete_assistant(
    session: AsyncSession,
    io: documents.DocumentIO,
    principal: TenantPrincipal,
    row: CustomAssistant,
) -> None:
    """Delete the assistant, and its collection with its files."""
    collection_id = row.collection_id
    await repository.delete_row(session, row)
    await session.commit()
    if collection_id is None:
        return
    try:
        collection = await collection_service.get_collection(session, principal, collection_id)
    except CollectionNotFoundError:
        return
    await collection_service.delete_collection(session, io, collection)


async def passages(
    session: AsyncSession,
    ctx: ProxyContext,
    tenant_id: uuid.UUID,
    collection_id: uuid.UUID | None,
    query: str,
) -> list[tuple[str, str]]:
    """`(file name, text)` of the best passages of the assistant's files for `query`.

    They come from the collection's automatic vector index (filled as files are extracted);
    none before the first upload, or when retrieval fails (the assistant then answers without
    them: its files help, they are not required).
    """
    if collection_id is None or not query.strip():
        return []
    collection = await document_repository.get_collection(session, tenant_id, collection_id)
    if collection is None:
        return []
    try:
        index = await retrieval_service.ensure_default_index(session, collection)
        if index is None:
            return []
        found = await retrieval.retrieve(
            session,
            ctx,
            index,
            RetrieveRequest(query=query[:8000], top_k=PASSAGES, highlight=False),
        )
    except AppError as exc:
        logger.warning("Searching the files of an assistant failed: %s", exc)
        return []
    return [(r.document.title or r.document.name, r.text) for r in found.results]
