"""Documents whose bytes were fetched from their `source_uri` (the fetch stage, web sources)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.documents import repository, service
from wxo.documents.models import Document, DocumentStatus
from wxo.documents.service import DocumentIO, NewFile, queued_detail


async def attach_fetched_file(
    session: AsyncSession,
    io: DocumentIO,
    document: Document,
    file: NewFile,
    source: dict[str, Any],
) -> Document:
    """Store the bytes fetched from the document's `source_uri` and queue extraction.

    The upload path, with `source` (final URL, file name, timings) kept in `status_detail.fetch`.

    Raises:
        FileTooLargeError: the file is over the limit.
    """
    detail = queued_detail()
    detail["fetch"] = source
    return await service.attach_file(session, io, document, file, detail)


async def add_fetched_document(
    session: AsyncSession,
    io: DocumentIO,
    *,
    tenant_id: uuid.UUID,
    collection_id: uuid.UUID,
    fields: dict[str, Any],
    file: NewFile,
    source: dict[str, Any],
) -> Document:
    """A new document of bytes already fetched from `fields["source_uri"]` (web sources); commit.

    Like `POST /documents` with a `source_uri` followed by its fetch stage, without fetching
    twice. The duplicate policy does not apply: a crawled page is one document per URL.

    Raises:
        FileTooLargeError: the file is over the limit.
    """
    service.check_size(io, len(file.data), file.filename)
    document = await repository.insert_document(
        session,
        tenant_id=tenant_id,
        values={
            "meta": {},
            "tags": [],
            **fields,
            "collection_id": collection_id,
            "status": DocumentStatus.QUEUED,
            "status_detail": queued_detail(),
        },
    )
    return await attach_fetched_file(session, io, document, file, source)
