"""The index stage of the document pipeline: chunk, embed and store a document in its indices.

A document's chunks in one index are replaced in one transaction under the document's row lock,
and only if its bytes are still those that were chunked: a replaced or deleted document never
gets chunks of its old bytes back. An index that already holds the current bytes under its
current generation is skipped (an unchanged document is never embedded twice).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.documents import repository as documents
from wxo.documents.languages import configuration
from wxo.documents.models import (
    Document,
    DocumentCollection,
    DocumentContent,
    DocumentElement,
    DocumentStatus,
)
from wxo.documents.schemas import CollectionSettings
from wxo.retrieval import repository
from wxo.retrieval.chunking import ChunkDraft, SourceElement, chunk_elements
from wxo.retrieval.models import IndexedDocument, VectorIndex
from wxo.retrieval.service import ensure_default_index

MIN_DETECTION_CHARS = 300


class Embedder(Protocol):
    """Vectors for texts from an index's model, through the Model Proxy (batched)."""

    async def __call__(
        self, tenant_id: uuid.UUID, model: str | None, texts: Sequence[str]
    ) -> list[list[float]]:
        """One vector per text, in order."""
        ...


class IndexingError(Exception):
    """The document cannot be indexed (the message says why); `permanent` when retrying is moot."""

    def __init__(self, code: str, message: str, *, permanent: bool) -> None:
        """Keep the code and the message a user can act on."""
        super().__init__(message)
        self.code = code
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class _Source:
    document: Document
    elements: list[SourceElement]
    title: str | None
    language: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def _load(session: AsyncSession, document_id: uuid.UUID) -> _Source | None:
    document = await documents.get_document_for_pipeline(session, document_id)
    if document is None or document.content_hash is None:
        return None
    rows = await session.execute(
        select(
            DocumentElement.element_id,
            DocumentElement.type,
            DocumentElement.text,
            DocumentElement.page_number,
            DocumentElement.metadata_,
        )
        .where(DocumentElement.document_id == document_id)
        .order_by(DocumentElement.ord)
    )
    elements = [
        SourceElement(
            element_id=element_id,
            type=kind,
            text=text,
            page_number=page,
            level=int((meta or {}).get("level", 1)),
        )
        for element_id, kind, text, page, meta in rows.all()
    ]
    content = await session.get(DocumentContent, document_id)
    title = document.title or (content.title if content else None)
    # Language detection is a guess on a few words: below this much text, `auto` means English.
    trusted = content is not None and len(content.text) >= MIN_DETECTION_CHARS
    return _Source(document, elements, title, content.language if trusted and content else None)


async def _held(session: AsyncSession, index: VectorIndex, document: Document) -> bool:
    row = await session.get(IndexedDocument, (index.id, document.id))
    return (
        row is not None
        and row.content_hash == document.content_hash
        and row.generation == index.generation
    )


def _rows(
    index: VectorIndex,
    document: Document,
    drafts: Sequence[ChunkDraft],
    vectors: Sequence[Sequence[float]],
    lengths: Sequence[int],
    language: str,
) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid4(),
            "tenant_id": document.tenant_id,
            "index_id": index.id,
            "document_id": document.id,
            "collection_id": document.collection_id,
            "ord": draft.ord,
            "text": draft.text,
            "context": draft.context,
            "heading_path": list(draft.heading_path),
            "page_number": draft.page_number,
            "element_types": list(draft.element_types),
            "tags": list(document.tags or []),
            "meta": dict(document.meta or {}),
            "content_type": document.content_type,
            "source_date": document.source_date,
            "language": language,
            "length": length,
            "dims": len(vector),
            "embedding": list(vector),
            "metadata_": {},
        }
        for draft, vector, length in zip(drafts, vectors, lengths, strict=True)
    ]


@dataclass
class _Timings:
    chunk_ms: float = 0.0
    embed_ms: float = 0.0
    store_ms: float = 0.0
    chunks: int = 0


async def _index_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    embedder: Embedder,
    index: VectorIndex,
    source: _Source,
    language: str,
    timings: _Timings,
) -> bool:
    """Index the document into one index; False when its bytes changed meanwhile."""
    document = source.document
    clock = time.perf_counter()
    drafts = chunk_elements(
        source.elements,
        chunk_size=index.chunk_size,
        chunk_overlap=index.chunk_overlap,
        title=source.title,
    )
    timings.chunk_ms += (time.perf_counter() - clock) * 1000
    clock = time.perf_counter()
    vectors = (
        await embedder(
            document.tenant_id, index.embeddings_model_name, [d.indexed_text for d in drafts]
        )
        if drafts
        else []
    )
    timings.embed_ms += (time.perf_counter() - clock) * 1000
    if vectors and index.dimensions is not None and len(vectors[0]) != index.dimensions:
        raise IndexingError(
            "dimension_mismatch",
            f"The model returned {len(vectors[0])}-dimensional vectors but the index holds "
            f"{index.dimensions}-dimensional ones: rebuild the index after changing its model",
            permanent=True,
        )
    clock = time.perf_counter()
    async with sessionmaker() as session:
        locked = await documents.get_document_for_pipeline(session, document.id, lock=True)
        if locked is None or locked.content_hash != document.content_hash:
            return False
        current = await repository.get_index(session, document.tenant_id, index.id, lock=False)
        if current is None or current.generation != index.generation:
            return True  # deleted, or rebuilt meanwhile: the rebuild re-indexes the document
        lengths = await repository.term_lengths(session, language, [d.indexed_text for d in drafts])
        await repository.replace_chunks(
            session,
            index_id=index.id,
            document_id=document.id,
            content_hash=str(document.content_hash),
            generation=index.generation,
            rows=_rows(index, document, drafts, vectors, lengths, language),
        )
        if vectors and current.dimensions is None:
            await repository.update_index(session, current, {"dimensions": len(vectors[0])})
        await session.commit()
    timings.store_ms += (time.perf_counter() - clock) * 1000
    timings.chunks += len(drafts)
    return True


async def _covering_indices(
    session: AsyncSession, document: Document, collection: DocumentCollection | None
) -> list[VectorIndex]:
    indices = await repository.indices_covering(session, document.collection_id)
    if collection is None or any(i.default_for_collection_id == collection.id for i in indices):
        return indices
    # A collection whose automatic index was turned on later gets it now.
    if await ensure_default_index(session, collection) is None:
        return indices
    await session.commit()
    return await repository.indices_covering(session, document.collection_id)


async def run_indexing(
    sessionmaker: async_sessionmaker[AsyncSession],
    embedder: Embedder,
    document_id: uuid.UUID,
) -> str:
    """Index an extracted document into every index covering its collection.

    Returns `missing`, `not_extracted`, `superseded`, `done_already` (a ready document every
    index holds: a repeated job changes nothing) or `indexed`; a document in `indexing` becomes
    `ready`.

    Raises:
        IndexingError: the embedding failed (`permanent` says whether to retry).
    """
    started_at, clock = _now(), time.perf_counter()
    async with sessionmaker() as session:
        source = await _load(session, document_id)
        if source is None:
            return "missing"
        if source.document.status not in (DocumentStatus.INDEXING, DocumentStatus.READY):
            return "not_extracted"
        collection = await documents.get_collection(
            session, source.document.tenant_id, source.document.collection_id
        )
        settings = CollectionSettings.model_validate(collection.settings if collection else {})
        indices = [
            index
            for index in await _covering_indices(session, source.document, collection)
            if not await _held(session, index, source.document)
        ]
        if not indices and source.document.status == DocumentStatus.READY:
            return "done_already"
        if indices:  # moves `updated_at`: the sweeper sees the job alive
            detail = dict(source.document.status_detail or {})
            detail.update(stage="indexing", progress=0.75)
            await documents.set_status(session, document_id, {"status_detail": detail})
            await session.commit()
    language = configuration(settings.language, source.language)
    timings = _Timings()
    for index in indices:
        if not await _index_one(sessionmaker, embedder, index, source, language, timings):
            return "superseded"
    await _finish(sessionmaker, source.document, started_at, clock, timings, len(indices))
    return "indexed"


async def _finish(
    sessionmaker: async_sessionmaker[AsyncSession],
    document: Document,
    started_at: str,
    clock: float,
    timings: _Timings,
    indices: int,
) -> None:
    """Record the index stage and make an `indexing` document `ready`."""
    async with sessionmaker() as session:
        current = await documents.get_document_for_pipeline(session, document.id, lock=True)
        if current is None or current.content_hash != document.content_hash:
            return
        detail = dict(current.status_detail or {})
        stage = {
            "name": "index",
            "started_at": started_at,
            "finished_at": _now(),
            "duration_ms": round((time.perf_counter() - clock) * 1000),
            "chunk_ms": round(timings.chunk_ms),
            "embed_ms": round(timings.embed_ms),
            "store_ms": round(timings.store_ms),
            "items": timings.chunks,
            "indices": indices,
        }
        stages = [s for s in detail.get("stages", []) if s.get("name") != "index"]
        detail.update(stages=[*stages, stage], stage="ready", progress=1.0, error=None)
        values: dict[str, Any] = {"status_detail": detail}
        if current.status == DocumentStatus.INDEXING:
            values["status"] = DocumentStatus.READY
        if indices:
            values["chunk_count"] = await _chunk_total(session, document.id)
        await documents.set_status(session, document.id, values)
        await session.commit()


async def _chunk_total(session: AsyncSession, document_id: uuid.UUID) -> int:
    """Chunks of the document in its largest index (what `chunk_count` shows)."""
    stmt = select(IndexedDocument.chunk_count).where(IndexedDocument.document_id == document_id)
    counts = (await session.execute(stmt)).scalars().all()
    return max(counts, default=0)
