"""Document Store use-cases: documents, their bytes and their pipeline jobs.

Collections are in `wxo.documents.collection_service`; task names and sending a job in
`wxo.documents.jobs`; documents whose bytes were fetched from their
`source_uri` in `wxo.documents.fetched`.

Writing use-cases commit once, at their end, and enqueue pipeline jobs only after the commit
(the row says `queued` first, so a lost message is found again by the sweeper).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.blobs.base import BlobStore
from wxo.core.config import DocumentSettings
from wxo.documents import repository
from wxo.documents.blob_writes import put_blob, put_blobs
from wxo.documents.exceptions import (
    CollectionNotFoundError,
    DocumentContentMissingError,
    DocumentNotFoundError,
    DuplicateDocumentError,
    FileTooLargeError,
    InvalidDocumentInputError,
    QueueFullError,
)
from wxo.documents.jobs import (
    EXTRACT_TASK,
    FETCH_TASK,
    extract_batches,
    send_jobs,
)
from wxo.documents.models import Document, DocumentCollection, DocumentStatus
from wxo.documents.schemas import (
    CollectionSettings,
    DocumentCreate,
    DocumentUpdate,
    DuplicatePolicy,
    UploadOutcome,
)
from wxo.queue.base import Queue
from wxo.webfetch import FetchError, FetchLimits, check_url

logger = logging.getLogger(__name__)

_DESCRIPTIVE = (
    *("title", "description", "tags", "meta"),
    *("source_uri", "source_date", "source_name", "source_title"),
)


@dataclass(frozen=True)
class DocumentIO:
    """What document use-cases need besides the session: bytes storage, the queue, the limits."""

    blobs: BlobStore
    queue: Queue
    max_file_bytes: int
    fetch: FetchLimits = field(default_factory=FetchLimits)
    max_queued_jobs: int = 0
    extract_batch_documents: int = 16
    extract_batch_bytes: int = 16 * 1024 * 1024


def document_io(settings: DocumentSettings, blobs: BlobStore, queue: Queue) -> DocumentIO:
    """The `DocumentIO` the settings describe (API requests and workers build it the same way)."""
    return DocumentIO(
        blobs=blobs,
        queue=queue,
        max_file_bytes=settings.max_file_bytes,
        max_queued_jobs=settings.max_queued_jobs,
        extract_batch_documents=settings.extract_batch_documents,
        extract_batch_bytes=settings.extract_batch_bytes,
        fetch=FetchLimits(
            max_bytes=settings.fetch_byte_limit,
            timeout_seconds=settings.fetch_timeout_seconds,
            max_redirects=settings.fetch_max_redirects,
            allow_networks=tuple(settings.fetch_allow_networks),
        ),
    )


@dataclass(frozen=True)
class NewFile:
    """One file to store: its bytes, the client's name for it and its declared type."""

    data: bytes
    filename: str
    content_type: str | None


@dataclass(frozen=True)
class Placed:
    """What happened to one file placed in a collection."""

    document: Document
    outcome: UploadOutcome
    message: str | None = None


def queued_detail(stage: str = "queued", message: str | None = None) -> dict[str, Any]:
    """`status_detail` of a document waiting for the pipeline."""
    detail: dict[str, Any] = {"stage": stage, "progress": 0.0, "stages": [], "error": None}
    if message:
        detail["message"] = message
    return detail


# --- documents --------------------------------------------------------------------------------


def _document_not_found() -> DocumentNotFoundError:
    return DocumentNotFoundError("Document not found")


async def get_document(
    session: AsyncSession, principal: TenantPrincipal, document_id: uuid.UUID
) -> Document:
    """The caller's document. Raises `DocumentNotFoundError` (also for another tenant's)."""
    document = await repository.get_document(session, principal.tenant_id, document_id)
    if document is None:
        raise _document_not_found()
    return document


async def list_documents(
    session: AsyncSession,
    principal: TenantPrincipal,
    *,
    collection_id: uuid.UUID | None,
    status: DocumentStatus | None,
    tags: Sequence[str],
    name: str | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[Document]]:
    """The tenant's documents, newest first, filtered."""
    return await repository.list_documents(
        session,
        principal.tenant_id,
        collection_id=collection_id,
        status=status,
        tags=tags,
        name=name,
        limit=limit,
        offset=offset,
    )


def check_size(io: DocumentIO, size: int, filename: str) -> None:
    if size > io.max_file_bytes:
        raise FileTooLargeError(
            f"'{filename}' is {size} bytes; the limit per file is {io.max_file_bytes} bytes"
        )


def _descriptive(data: DocumentCreate | DocumentUpdate | None) -> dict[str, Any]:
    if data is None:
        return {}
    values = data.model_dump(include=set(_DESCRIPTIVE), exclude_unset=True)
    for key in ("tags", "meta"):
        if key in values and values[key] is None:
            values[key] = [] if key == "tags" else {}
    return values


async def create_document(
    session: AsyncSession, io: DocumentIO, principal: TenantPrincipal, data: DocumentCreate
) -> Placed:
    """`POST /documents`: text becomes the bytes; an http(s) `source_uri` is fetched later.

    Raises:
        CollectionNotFoundError: no such collection in the tenant.
        InvalidDocumentInputError: a `source_uri` (and no `text`) that is not http(s), or whose
            host is an IP address the server does not fetch from (loopback, private, ...).
        FileTooLargeError: `text` over the per-file limit.
        DuplicateDocumentError: the same text is in the collection and the policy is `reject`.
    """
    await check_capacity(io)
    collection = await repository.get_collection(
        session, principal.tenant_id, data.collection_id, lock=True
    )
    if collection is None:
        raise CollectionNotFoundError
    fields = {"name": data.name, **_descriptive(data)}
    if data.text is not None:
        raw = data.text.encode()
        check_size(io, len(raw), data.name)
        file = NewFile(raw, data.name, data.content_type or "text/plain")
        (placed,) = await _place_all(session, io, principal, collection, [(file, fields)])
        if placed.outcome is UploadOutcome.REJECTED:
            raise DuplicateDocumentError(placed.message or "Duplicate document")
        await session.commit()
        if _is_new(placed):
            await send_jobs(io.queue, EXTRACT_TASK, [[placed.document.id]])
        return placed
    uri = (data.source_uri or "").strip()
    fetch = bool(uri)
    if uri:
        try:
            check_url(uri, io.fetch.allow_networks)
        except FetchError as exc:
            raise InvalidDocumentInputError(
                f"source_uri cannot be fetched: {exc.message}"
                if exc.code == "blocked_address"
                else "source_uri must be an http:// or https:// URL to be fetched"
            ) from None
    detail = (
        queued_detail()
        if fetch
        else queued_detail("upload", "Waiting for the file: POST /v1/documents/{id}/upload")
    )
    document = await repository.insert_document(
        session,
        tenant_id=principal.tenant_id,
        values={
            **fields,
            "collection_id": collection.id,
            "content_type": data.content_type,
            "status": DocumentStatus.QUEUED,
            "status_detail": detail,
            "created_by": principal.user_id,
            "created_by_username": principal.username or None,
        },
    )
    await session.commit()
    if fetch:
        await send_jobs(io.queue, FETCH_TASK, [[document.id]])
    return Placed(document, UploadOutcome.CREATED)


async def upload_files(
    session: AsyncSession,
    io: DocumentIO,
    principal: TenantPrincipal,
    collection_id: uuid.UUID,
    files: Sequence[NewFile],
    meta: dict[str, Any] | None,
) -> list[Placed]:
    """Place many files in a collection, each under its duplicate policy (all or nothing).

    Raises:
        CollectionNotFoundError: no such collection in the tenant.
        FileTooLargeError: any file over the limit (then none is stored).
        QueueFullError: too many jobs wait already (then none is stored).
    """
    await check_capacity(io)
    collection = await repository.get_collection(
        session, principal.tenant_id, collection_id, lock=True
    )
    if collection is None:
        raise CollectionNotFoundError
    for file in files:
        check_size(io, len(file.data), file.filename)
    placed = await _place_all(
        session,
        io,
        principal,
        collection,
        [
            (file, {"name": file.filename, **({"meta": meta} if meta is not None else {})})
            for file in files
        ],
    )
    await session.commit()
    new = [(p.document.id, p.document.size_bytes or 0) for p in placed if _is_new(p)]
    await send_jobs(
        io.queue,
        EXTRACT_TASK,
        extract_batches(
            new, max_documents=io.extract_batch_documents, max_bytes=io.extract_batch_bytes
        ),
    )
    return placed


async def _place_all(
    session: AsyncSession,
    io: DocumentIO,
    principal: TenantPrincipal,
    collection: DocumentCollection,
    files: Sequence[tuple[NewFile, dict[str, Any]]],
) -> list[Placed]:
    """Store the files' bytes and apply the collection's duplicate policy to each, in order.

    The caller holds the collection's lock. A batch costs about what one file does: the bytes
    are written at once (their fsyncs overlap), the collection's documents with the same bytes
    are read by one query, and the new documents are inserted by one flush. A file whose bytes
    an earlier file of the same batch brought meets that document as its duplicate.
    """
    keys = await put_blobs(io.blobs, [file.data for file, _ in files])
    policy = CollectionSettings.model_validate(collection.settings).duplicate_policy
    latest = await repository.latest_by_content_hash(session, collection.id, keys)
    placed: list[Placed] = []
    for (file, fields), key in zip(files, keys, strict=True):
        existing = latest.get(key)
        version = 1
        if existing is not None:
            same = f"The collection already holds these bytes as document {existing.id}"
            if policy is DuplicatePolicy.SKIP:
                placed.append(Placed(existing, UploadOutcome.SKIPPED, same))
                continue
            if policy is DuplicatePolicy.REJECT:
                placed.append(Placed(existing, UploadOutcome.REJECTED, same))
                continue
            if policy is DuplicatePolicy.REPLACE:
                updated = await repository.update_document(session, existing, fields)
                replaced = same + "; its metadata was replaced"
                placed.append(Placed(updated, UploadOutcome.REPLACED, replaced))
                continue
            version = existing.version + 1
        document = repository.add_document(
            session,
            tenant_id=principal.tenant_id,
            values={
                "meta": {},
                "tags": [],
                **fields,
                "collection_id": collection.id,
                "content_type": file.content_type,
                "size_bytes": len(file.data),
                "content_hash": key,
                "blob_key": key,
                "version": version,
                "status": DocumentStatus.QUEUED,
                "status_detail": queued_detail(),
                "created_by": principal.user_id,
                "created_by_username": principal.username or None,
            },
        )
        latest[key] = document
        placed.append(
            Placed(document, UploadOutcome.CREATED)
            if existing is None
            else Placed(
                document, UploadOutcome.VERSIONED, f"Version {version} of document {existing.id}"
            )
        )
    await repository.flush_documents(session, [p.document for p in placed if _is_new(p)])
    return placed


async def check_capacity(io: DocumentIO) -> None:
    """Refuse new work while the queue holds `max_queued_jobs` jobs (backpressure).

    The broker is asked from a worker thread (its client blocks).

    Raises:
        QueueFullError: the queue is full; nothing has been stored.
    """
    if io.max_queued_jobs <= 0:
        return
    try:
        waiting = await asyncio.to_thread(io.queue.backlog)
    except Exception:  # a broker that is down: accept, the sweeper will send the job
        logger.warning("could not read the queue's backlog", exc_info=True)
        return
    if waiting >= io.max_queued_jobs:
        raise QueueFullError(
            f"The processing queue is full ({waiting} jobs waiting): retry in a minute, "
            "or upload fewer files at a time",
            retry_after=60,
        )


def _is_new(placed: Placed) -> bool:
    return placed.outcome in (UploadOutcome.CREATED, UploadOutcome.VERSIONED)


async def upload_document_file(
    session: AsyncSession, io: DocumentIO, document: Document, file: NewFile
) -> Document:
    """Attach or replace a document's bytes and queue extraction (same bytes: no change).

    Raises:
        FileTooLargeError: the file is over the limit.
        QueueFullError: too many jobs wait already.
    """
    await check_capacity(io)
    return await attach_file(session, io, document, file, queued_detail())


async def attach_file(
    session: AsyncSession,
    io: DocumentIO,
    document: Document,
    file: NewFile,
    detail: dict[str, Any],
) -> Document:
    """Store a document's new bytes with `detail` as its status detail and queue extraction.

    Same bytes as stored: nothing changes. Commits.

    Raises:
        FileTooLargeError: the file is over the limit.
    """
    check_size(io, len(file.data), file.filename)
    key = await put_blob(io.blobs, file.data)
    if key == document.content_hash:
        return document
    old_key = document.blob_key
    await repository.clear_results(session, document.id)
    updated = await repository.update_document(
        session,
        document,
        {
            "content_type": file.content_type,
            "size_bytes": len(file.data),
            "content_hash": key,
            "blob_key": key,
            "version": document.version + (1 if old_key else 0),
            "status": DocumentStatus.QUEUED,
            "status_detail": detail,
            "page_count": None,
        },
    )
    await session.commit()
    await send_jobs(io.queue, EXTRACT_TASK, [[updated.id]])
    if old_key:
        await forget_unused_blobs(session, io, {old_key})
    return updated


async def update_document(
    session: AsyncSession, document: Document, data: DocumentUpdate
) -> Document:
    """Change the descriptive fields sent (`null` clears them; `name` cannot be null)."""
    changes = _descriptive(data)
    if data.name is not None:
        changes["name"] = data.name
    updated = await repository.update_document(session, document, changes)
    await session.commit()
    return updated


async def delete_document(session: AsyncSession, io: DocumentIO, document: Document) -> None:
    """Delete the document, its extraction results and blobs no one else uses."""
    keys = await repository.image_blob_keys(session, document.id)
    if document.blob_key:
        keys.add(document.blob_key)
    await repository.delete_document(session, document)
    await session.commit()
    await forget_unused_blobs(session, io, keys)


def read_original(io: DocumentIO, document: Document) -> bytes:
    """The document's original bytes. Raises `DocumentContentMissingError` before an upload."""
    if document.blob_key is None:
        raise DocumentContentMissingError("The document has no content yet")
    return io.blobs.get(document.blob_key)


async def reprocess_document(session: AsyncSession, io: DocumentIO, document: Document) -> Document:
    """Queue the pipeline again for the document's current bytes (or its URL).

    Raises:
        DocumentContentMissingError: nothing to process.
        QueueFullError: too many jobs wait already.
    """
    await check_capacity(io)
    if document.blob_key is None and not document.source_uri:
        raise DocumentContentMissingError("The document has no content to process: upload it first")
    updated = await repository.update_document(
        session, document, {"status": DocumentStatus.QUEUED, "status_detail": queued_detail()}
    )
    await session.commit()
    task = EXTRACT_TASK if updated.blob_key else FETCH_TASK
    await send_jobs(io.queue, task, [[updated.id]])
    return updated


async def forget_unused_blobs(session: AsyncSession, io: DocumentIO, keys: set[str]) -> None:
    """Delete blobs that no document or image references any more (after the commit)."""
    if not keys:
        return
    still_used = await repository.referenced_blob_keys(session, sorted(keys))
    for key in keys - still_used:
        io.blobs.delete(key)
