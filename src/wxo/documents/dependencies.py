"""Request dependencies of the Document Store routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from wxo.api.deps import ContainerDep, CurrentTenant, SessionDep
from wxo.documents import collection_service, service
from wxo.documents.models import Document, DocumentCollection
from wxo.queue.base import Queue

CollectionIdPath = Annotated[uuid.UUID, Path(description="Id of the document collection.")]
DocumentIdPath = Annotated[uuid.UUID, Path(description="Id of the document.")]


async def get_queue(container: ContainerDep) -> Queue:
    """The task queue (tests replace it with a recording fake)."""
    return container.queue


async def get_document_io(
    container: ContainerDep, queue: Annotated[Queue, Depends(get_queue)]
) -> service.DocumentIO:
    """Blob store, queue, per-file and fetch limits for document use-cases."""
    return service.document_io(container.settings.documents, container.blobs, queue)


DocumentIODep = Annotated[service.DocumentIO, Depends(get_document_io)]


async def valid_owned_collection(
    session: SessionDep, principal: CurrentTenant, collection_id: CollectionIdPath
) -> DocumentCollection:
    """The collection in the path, if it is the caller's tenant's (404 otherwise)."""
    return await collection_service.get_collection(session, principal, collection_id)


async def valid_owned_document(
    session: SessionDep, principal: CurrentTenant, document_id: DocumentIdPath
) -> Document:
    """The document in the path, if it is the caller's tenant's (404 otherwise)."""
    return await service.get_document(session, principal, document_id)


OwnedCollection = Annotated[DocumentCollection, Depends(valid_owned_collection)]
OwnedDocument = Annotated[Document, Depends(valid_owned_document)]
