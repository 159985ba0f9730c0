"""The document pipeline's stages, as worker use-cases (tasks call these with an id).

fetch → extract → index (in `wxo.retrieval.indexing`: the document is then `ready`) → annotate
(in `wxo.documents.annotation`: keywords, entities and the LLM summary, at low priority).

Every stage is idempotent: it re-reads the row, does nothing if the work is already done or
the bytes changed meanwhile, and replaces its results in one transaction under the row lock.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo import webfetch
from wxo.blobs.base import BlobNotFoundError, BlobStore
from wxo.documents import repository
from wxo.documents.annotation import entity_rows, keyword_rows, queue_annotations
from wxo.documents.fetched import attach_fetched_file
from wxo.documents.jobs import ANNOTATE_TASK, EXTRACT_TASK, FETCH_TASK, INDEX_TASK, send_job
from wxo.documents.models import Document, DocumentStatus
from wxo.documents.schemas import CollectionSettings
from wxo.documents.service import DocumentIO, NewFile
from wxo.extraction.base import Extraction, ExtractionError
from wxo.queue.base import Queue

logger = logging.getLogger(__name__)
# Annotate jobs one sweep sends at most (the next sweep sends more once the queue is empty).
ANNOTATE_BATCH = 1000


class Extractor(Protocol):
    """The signature of `wxo.extraction.service.extract`.

    The pipeline needs the structure only (the default is `extract_lean`); keywords and entities
    an extractor returns anyway are stored, and the annotate stage does not compute them again.
    """

    def __call__(
        self,
        data: bytes,
        *,
        filename: str | None,
        declared_type: str | None,
        max_pages: int | None = None,
    ) -> Extraction:
        """Extract one file."""
        ...


class TransientStageError(Exception):
    """A stage failed in a way worth retrying (the task retries with back-off)."""


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class ExtractBatch:
    """What one extract job did to each of its documents."""

    # `missing`, `no_content`, `done_already`, `alone`, `superseded`, `failed` or `extracted`.
    outcomes: dict[uuid.UUID, str] = field(default_factory=dict)
    # Documents whose extraction failed in a way worth retrying (they stay `extracting`).
    transient: dict[uuid.UUID, str] = field(default_factory=dict)

    def having(self, outcome: str) -> list[uuid.UUID]:
        """The documents with this outcome, in the job's order."""
        return [i for i, o in self.outcomes.items() if o == outcome]


@dataclass
class _Claim:
    """A document this job extracts, and what came of it."""

    document_id: uuid.UUID
    blob_key: str
    filename: str | None
    declared: str | None
    max_pages: int | None
    started_at: str
    result: Extraction | None = None
    images: list[dict[str, Any]] = field(default_factory=list)
    failure: tuple[str, str] | None = None  # (code, message) of a permanent failure
    duration_ms: int = 0


async def run_extraction(
    sessionmaker: async_sessionmaker[AsyncSession],
    blobs: BlobStore,
    extractor: Extractor,
    document_id: uuid.UUID,
) -> str:
    """Extract one queued document and store its structure; return what happened.

    Returns `missing`, `no_content`, `done_already`, `superseded`, `failed` or `extracted`
    (the document is then `indexing`: the caller queues the index stage).

    Raises:
        TransientStageError: a retryable failure (the document stays `extracting`).
    """
    batch = await extract_documents(sessionmaker, blobs, extractor, [document_id])
    if document_id in batch.transient:
        raise TransientStageError(batch.transient[document_id])
    return batch.outcomes[document_id]


async def extract_documents(
    sessionmaker: async_sessionmaker[AsyncSession],
    blobs: BlobStore,
    extractor: Extractor,
    document_ids: Sequence[uuid.UUID],
) -> ExtractBatch:
    """Extract queued documents and store their structure, in two transactions for all.

    Keywords, entities, summary and questions are left to the annotate stage, after the
    document is searchable (`wxo.documents.annotation`). The results are stored together,
    once every document is extracted; a document whose extraction was cut short before (a
    worker killed, a transient failure: it is `extracting` already) is not extracted with
    others: its outcome is `alone`, and the caller sends it a job of its own.
    """
    batch = ExtractBatch()
    claims = await _claim(sessionmaker, list(dict.fromkeys(document_ids)), batch)
    for claim in claims:
        _extract_one(blobs, extractor, claim, batch)
    done = [c for c in claims if c.result is not None or c.failure is not None]
    if done:
        await _store(sessionmaker, done, batch)
    return batch


async def _claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    document_ids: list[uuid.UUID],
    batch: ExtractBatch,
) -> list[_Claim]:
    """Lock the documents, mark those to extract `extracting` (committed), and return them."""
    claims: list[_Claim] = []
    async with sessionmaker() as session:
        found = {
            d.id: d
            for d in await repository.get_documents_for_pipeline(session, document_ids, lock=True)
        }
        options: dict[uuid.UUID, CollectionSettings] = {}
        extracting: dict[uuid.UUID, dict[str, Any]] = {}
        for document_id in document_ids:
            document = found.get(document_id)
            if document is None or document.blob_key is None:
                batch.outcomes[document_id] = "missing" if document is None else "no_content"
                continue
            skipped = _not_to_extract(document.status, batched=len(document_ids) > 1)
            if skipped is not None:
                batch.outcomes[document_id] = skipped
                continue
            if document.collection_id not in options:
                collection = await repository.get_collection(
                    session, document.tenant_id, document.collection_id
                )
                options[document.collection_id] = CollectionSettings.model_validate(
                    collection.settings if collection else {}
                )
            claim = _Claim(
                document_id=document_id,
                blob_key=document.blob_key,
                filename=document.name,
                declared=document.content_type,
                max_pages=options[document.collection_id].extraction.max_pages,
                started_at=_now(),
            )
            detail = _detail(document, stage="extracting", progress=0.1)
            detail["attempts"] = int(detail.get("attempts", 0)) + 1
            detail["stages"] = [{"name": "extract", "started_at": claim.started_at}]
            extracting[document_id] = {
                "status": DocumentStatus.EXTRACTING,
                "status_detail": detail,
            }
            claims.append(claim)
        await repository.set_statuses(session, extracting)
        await session.commit()
    return claims


def _not_to_extract(status: DocumentStatus, *, batched: bool) -> str | None:
    """Why a job does not extract a document in this status now (None: it does)."""
    if status in (DocumentStatus.INDEXING, DocumentStatus.READY, DocumentStatus.FAILED):
        return "done_already"  # a redelivered job; /reprocess sets `queued` first
    if batched and status == DocumentStatus.EXTRACTING:
        return "alone"  # tried before and cut short: it must not take others down with it
    return None


def _extract_one(
    blobs: BlobStore, extractor: Extractor, claim: _Claim, batch: ExtractBatch
) -> None:
    """Run the extractor on one claimed document; the outcome goes into `claim` or `batch`."""
    clock = time.perf_counter()
    try:
        data = blobs.get(claim.blob_key)
        result = extractor(
            data, filename=claim.filename, declared_type=claim.declared, max_pages=claim.max_pages
        )
    except BlobNotFoundError:
        claim.failure = (
            "content_missing",
            "The original file is missing from the blob store: upload it again",
        )
        return
    except ExtractionError as exc:
        if exc.permanent:
            claim.failure = (exc.code, exc.message)
        else:
            batch.transient[claim.document_id] = f"{exc.code}: {exc.message}"
        return
    claim.duration_ms = round((time.perf_counter() - clock) * 1000)
    claim.result = result
    claim.images = [
        {
            "image_id": image.id,
            "blob_key": blobs.put(image.data),
            "mime_type": image.mime_type,
            "width": image.width,
            "height": image.height,
            "caption": image.caption,
            "page_number": image.page_number,
        }
        for image in result.images
    ]


async def _store(
    sessionmaker: async_sessionmaker[AsyncSession], claims: list[_Claim], batch: ExtractBatch
) -> None:
    """Store the results (or the failures) of extracted documents whose bytes are unchanged."""
    async with sessionmaker() as session:
        found = {
            d.id: d
            for d in await repository.get_documents_for_pipeline(
                session, [c.document_id for c in claims], lock=True
            )
        }
        extracted: list[tuple[_Claim, Extraction, Document]] = []
        for claim in claims:
            document = found.get(claim.document_id)
            if document is None or document.blob_key != claim.blob_key:
                # Deleted, or new bytes: the newer job stores its own results.
                batch.outcomes[claim.document_id] = "superseded"
            elif claim.failure is not None:
                code, message = claim.failure
                await _mark_failed(session, document, stage="extract", code=code, message=message)
                batch.outcomes[claim.document_id] = "failed"
            elif claim.result is not None:
                extracted.append((claim, claim.result, document))
        await repository.replace_results(
            session, [_results(claim, result) for claim, result, _ in extracted]
        )
        await repository.set_statuses(
            session,
            {
                document.id: _indexing(document, claim, result, batched=len(claims))
                for claim, result, document in extracted
            },
        )
        for claim, _, _ in extracted:
            batch.outcomes[claim.document_id] = "extracted"
        await session.commit()


def _results(claim: _Claim, result: Extraction) -> repository.Results:
    """The rows of one document's extraction."""
    # An extractor that found keywords or entities did the NLP part of annotation already.
    annotated = bool(result.keywords or result.entities)
    return repository.Results(
        document_id=claim.document_id,
        elements=_element_rows(claim.document_id, result),
        images=claim.images,
        content={
            "text": result.text,
            "markdown": result.markdown,
            "title": result.title,
            "language": result.language,
            "keywords": keyword_rows(result.keywords) if annotated else None,
            "entities": entity_rows(result.entities) if annotated else None,
            "warnings": list(result.warnings),
            "extra": {},
            "annotated_at": None,
        },
    )


def _indexing(
    document: Document, claim: _Claim, result: Extraction, *, batched: int
) -> dict[str, Any]:
    """The columns that record the extract stage and make the document `indexing`."""
    detail = _detail(document, stage="indexing", progress=0.7)
    detail["stages"] = [
        {
            "name": "extract",
            "started_at": claim.started_at,
            "finished_at": _now(),
            "duration_ms": claim.duration_ms,
            "items": len(result.elements),
            # What was skipped or guessed (a name that lies about the type, a non-UTF-8
            # encoding): otherwise stored only in document_content, which no route serves.
            "warnings": list(result.warnings),
            "batch": batched,
        },
    ]
    detail["error"] = None
    return {
        "status": DocumentStatus.INDEXING,
        "status_detail": detail,
        "content_type": result.content_type,
        "page_count": result.page_count,
    }


def _detail(document: Document, *, stage: str, progress: float) -> dict[str, Any]:
    detail = dict(document.status_detail or {})
    detail.update(stage=stage, progress=progress)
    return detail


def _element_rows(document_id: uuid.UUID, result: Extraction) -> list[dict[str, Any]]:
    document = str(document_id)
    return [
        {
            "document_id": document,
            "ord": index,
            "element_id": element.id,
            "type": element.type,
            "text": element.text,
            "page_number": element.page_number,
            "parent_id": element.parent_id,
            "html": element.html,
            "metadata": element.metadata,
        }
        for index, element in enumerate(sorted(result.elements, key=lambda e: e.order))
    ]


async def fail(
    sessionmaker: async_sessionmaker[AsyncSession],
    document_id: uuid.UUID,
    *,
    stage: str,
    code: str,
    message: str,
    blob_key: str | None = None,
) -> None:
    """Mark the document failed with an error a user can act on (unless its bytes changed)."""
    async with sessionmaker() as session:
        document = await repository.get_document_for_pipeline(session, document_id, lock=True)
        if document is None or (blob_key is not None and document.blob_key != blob_key):
            return
        await _mark_failed(session, document, stage=stage, code=code, message=message)
        await session.commit()


async def _mark_failed(
    session: AsyncSession, document: Document, *, stage: str, code: str, message: str
) -> None:
    """`fail` within the caller's transaction (the caller holds the row lock)."""
    detail = _detail(document, stage="failed", progress=1.0)
    stages = [dict(s) for s in detail.get("stages", [])]
    for entry in stages:
        entry.setdefault("finished_at", _now())
    detail["stages"] = stages
    detail["error"] = {"stage": stage, "code": code, "message": message}
    await repository.set_status(
        session, document.id, {"status": DocumentStatus.FAILED, "status_detail": detail}
    )


async def run_fetch(
    sessionmaker: async_sessionmaker[AsyncSession],
    io: DocumentIO,
    document_id: uuid.UUID,
    *,
    final_attempt: bool = True,
) -> str:
    """Download a queued document's `source_uri`, store the bytes and queue extraction.

    The bytes take the upload path (`fetched.attach_fetched_file`); `wxo.webfetch` refuses
    internal addresses and bounds size, time and redirects (`io.fetch`).

    Returns `missing`, `done_already`, `superseded`, `failed` or `fetched`.

    Raises:
        TransientStageError: the download timed out and this is not the final attempt.
    """
    async with sessionmaker() as session:
        document = await repository.get_document_for_pipeline(session, document_id, lock=True)
        if document is None:
            return "missing"
        if document.blob_key is not None or document.status != DocumentStatus.QUEUED:
            return "done_already"  # fetched or uploaded already, or failed (a redelivered job)
        url = document.source_uri or ""
        started_at = _now()
        detail = _detail(document, stage="fetching", progress=0.05)
        detail["attempts"] = int(detail.get("attempts", 0)) + 1
        detail["stages"] = [{"name": "fetch", "started_at": started_at}]
        await repository.set_status(session, document_id, {"status_detail": detail})
        await session.commit()

    clock = time.perf_counter()
    limits = io.fetch
    try:
        fetched = await webfetch.fetch(
            url,
            max_bytes=limits.max_bytes,
            timeout_seconds=limits.timeout_seconds,
            max_redirects=limits.max_redirects,
            allow_networks=limits.allow_networks,
        )
    except webfetch.FetchError as exc:
        if exc.code == "timeout" and not final_attempt:
            raise TransientStageError(f"{exc.code}: {exc.message}") from exc
        await fail(sessionmaker, document_id, stage="fetch", code=exc.code, message=exc.message)
        return "failed"
    source = {
        "url": url,
        "final_url": fetched.final_url,
        "redirects": fetched.redirects,
        "filename": fetched.filename,
        "content_type": fetched.content_type,
        "bytes": len(fetched.data),
        "started_at": started_at,
        "finished_at": _now(),
        "duration_ms": round((time.perf_counter() - clock) * 1000),
    }
    async with sessionmaker() as session:
        document = await repository.get_document_for_pipeline(session, document_id, lock=True)
        if document is None or document.blob_key is not None:
            return "superseded"  # deleted, or a file was uploaded meanwhile
        file = NewFile(
            data=fetched.data, filename=fetched.filename, content_type=fetched.content_type
        )
        await attach_fetched_file(session, io, document, file, source)
    return "fetched"


async def requeue_stuck(
    sessionmaker: async_sessionmaker[AsyncSession], queue: Queue, *, older_than_seconds: float
) -> Sequence[uuid.UUID]:
    """Enqueue again documents left `queued`/`extracting`/`indexing` too long (lost jobs).

    A document with its bytes gets an extraction job; one still waiting for its URL, a fetch
    job; an extracted one, an index job; a ready one not annotated yet, an annotate job (at most
    `ANNOTATE_BATCH` of those a sweep, oldest first, at low priority).
    """
    async with sessionmaker() as session:
        stuck = await repository.stuck_documents(
            session,
            statuses=(DocumentStatus.QUEUED, DocumentStatus.EXTRACTING),
            older_than_seconds=older_than_seconds,
        )
        unindexed = await repository.stuck_documents(
            session, statuses=(DocumentStatus.INDEXING,), older_than_seconds=older_than_seconds
        )
        unannotated = await repository.unannotated_documents(
            session, older_than_seconds=older_than_seconds, limit=ANNOTATE_BATCH
        )
    for document_id, has_bytes in stuck:
        send_job(queue, EXTRACT_TASK if has_bytes else FETCH_TASK, document_id)
    for document_id, _ in unindexed:
        send_job(queue, INDEX_TASK, document_id)
    queue_annotations(queue, unannotated)
    return [*(document_id for document_id, _ in [*stuck, *unindexed]), *unannotated]


__all__ = [
    "ANNOTATE_TASK",
    "EXTRACT_TASK",
    "FETCH_TASK",
    "INDEX_TASK",
    "ExtractBatch",
    "Extractor",
    "TransientStageError",
    "extract_documents",
    "run_extraction",
]
