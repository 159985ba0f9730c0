"""The index stage of the document pipeline: chunk, embed and store documents in their indices.

A job names one document, but embeds it together with up to `BATCH_DOCUMENTS - 1` other
documents of its collection that wait in `indexing` (one embedding call per index for all of
them; their own jobs then find them done). One model call for many short documents uses the
cores far better than one per document (docs/benchmarks.md, "Ingest to searchable").

The batch is one transaction that row-locks its documents from before they are read until their
chunks are stored: a document cannot be replaced or deleted meanwhile, and another job skips
documents a batch holds (`SKIP LOCKED`). A job whose own document is held elsewhere indexes what
else waits, then waits for its document's lock and finds it done. An index that already holds a
document's bytes under its current generation is skipped (an unchanged document is never
embedded twice), so a repeated job changes nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.documents import repository as documents
from wxo.documents.languages import configuration
from wxo.documents.models import Document, DocumentCollection, DocumentStatus
from wxo.documents.schemas import CollectionSettings
from wxo.retrieval import repository
from wxo.retrieval.chunking import ChunkDraft, chunk_elements
from wxo.retrieval.models import IndexedDocument, VectorIndex
from wxo.retrieval.service import ensure_default_index
from wxo.retrieval.sources import Source, load_sources

#: Documents embedded together by one job: MiniLM does 64 short chunks in about 1.5 s on 2 cores,
#: so the rows stay locked a few seconds at most.
BATCH_DOCUMENTS = 32
_INDEXABLE = (DocumentStatus.INDEXING, DocumentStatus.READY)


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
class Outcome:
    """What a job did: `status` for its own document, `ready` for every document it made ready.

    `status` is `missing`, `not_extracted`, `done_already` (a ready document every index holds)
    or `indexed`.
    """

    status: str
    ready: tuple[uuid.UUID, ...] = ()


@dataclass
class _Timings:
    chunk_ms: float = 0.0
    embed_ms: float = 0.0
    store_ms: float = 0.0
    chunks: dict[uuid.UUID, int] = field(default_factory=dict)


@dataclass
class _Batch:
    """The locked documents of one job, what each lacks, and how their work went."""

    sources: list[Source]
    needs: dict[uuid.UUID, list[VectorIndex]]
    language: dict[uuid.UUID, str]
    started_at: str
    clock: float
    timings: _Timings = field(default_factory=_Timings)


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def run_indexing(
    sessionmaker: async_sessionmaker[AsyncSession],
    embedder: Embedder,
    document_id: uuid.UUID,
    *,
    batch: int = BATCH_DOCUMENTS,
) -> str:
    """Index an extracted document (and others waiting) into every index covering it.

    Returns the own document's outcome (see `Outcome`); use `index_documents` to learn which
    documents became ready.

    Raises:
        IndexingError: the embedding failed (`permanent` says whether to retry).
    """
    return (await index_documents(sessionmaker, embedder, document_id, batch=batch)).status


async def index_documents(
    sessionmaker: async_sessionmaker[AsyncSession],
    embedder: Embedder,
    document_id: uuid.UUID,
    *,
    batch: int = BATCH_DOCUMENTS,
) -> Outcome:
    """Index the document, with up to `batch - 1` others of its collection waiting in `indexing`.

    Raises:
        IndexingError: embedding the own document failed (`permanent` says whether to retry).
            A batch that fails is retried with the own document alone: another document's
            failure is left to that document's own job.
    """
    async with sessionmaker() as session:
        if await repository.held_everywhere(session, document_id):
            return Outcome("done_already")  # the usual end of a job whose batch ran elsewhere
        document = await documents.get_document_for_pipeline(session, document_id)
        if document is None or document.content_hash is None:
            return Outcome("missing")
        if document.status not in _INDEXABLE:
            return Outcome("not_extracted")
        collection = await documents.get_collection(
            session, document.tenant_id, document.collection_id
        )
        indices = await _covering_indices(session, document, collection)
        settings = CollectionSettings.model_validate(collection.settings if collection else {})
    try:
        own, ready = await _index_batch(
            sessionmaker, embedder, document, indices, settings, wait=False, batch=batch
        )
    except IndexingError:
        if batch <= 1:
            raise
        own, ready = await _index_batch(
            sessionmaker, embedder, document, indices, settings, wait=True, batch=1
        )
    if own is None:  # held by another job: done by now (or ours to do alone)
        own, more = await _index_batch(
            sessionmaker, embedder, document, indices, settings, wait=True, batch=1
        )
        ready = (*ready, *more)
    return Outcome(own or "missing", ready)


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


async def _lock_documents(
    session: AsyncSession, document: Document, *, wait: bool, batch: int
) -> tuple[Document | None, list[Document]]:
    """The own document (None when another job holds it and `wait` is false) and companions."""
    own_stmt = select(Document).where(Document.id == document.id)
    own = (
        await session.execute(own_stmt.with_for_update(skip_locked=not wait))
    ).scalar_one_or_none()
    others: list[Document] = []
    wanted = batch - (1 if own is not None else 0)
    if wanted > 0 and batch > 1:
        stmt = (
            select(Document)
            .where(
                Document.collection_id == document.collection_id,
                Document.status == DocumentStatus.INDEXING,
                Document.content_hash.is_not(None),
                Document.id != document.id,
            )
            .order_by(Document.updated_at, Document.id)
            .limit(wanted)
            .with_for_update(skip_locked=True)
        )
        others = list((await session.execute(stmt)).scalars().all())
    return own, others


async def _held(
    session: AsyncSession, indices: Sequence[VectorIndex], docs: Sequence[Document]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(index, document) pairs whose index holds the document's current bytes and generation."""
    if not indices or not docs:
        return set()
    stmt = select(
        IndexedDocument.index_id,
        IndexedDocument.document_id,
        IndexedDocument.content_hash,
        IndexedDocument.generation,
    ).where(
        tuple_(IndexedDocument.index_id, IndexedDocument.document_id).in_(
            [(i.id, d.id) for i in indices for d in docs]
        )
    )
    generation = {i.id: i.generation for i in indices}
    hashes = {d.id: d.content_hash for d in docs}
    return {
        (index_id, document_id)
        for index_id, document_id, content_hash, gen in (await session.execute(stmt)).all()
        if content_hash == hashes[document_id] and gen == generation[index_id]
    }


async def _index_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    embedder: Embedder,
    document: Document,
    indices: list[VectorIndex],
    settings: CollectionSettings,
    *,
    wait: bool,
    batch: int,
) -> tuple[str | None, tuple[uuid.UUID, ...]]:
    """One locked batch: the own document's status (None: held elsewhere) and what became ready."""
    started_at, clock = _now(), time.perf_counter()
    async with sessionmaker() as session:
        own, others = await _lock_documents(session, document, wait=wait, batch=batch)
        status: str | None = None
        docs = list(others)
        if own is not None:
            if own.content_hash is None:
                status = "missing"
            elif own.status not in _INDEXABLE:
                status = "not_extracted"
            else:
                docs.insert(0, own)
        held = await _held(session, indices, docs)
        needs = {d.id: [i for i in indices if (i.id, d.id) not in held] for d in docs}
        if own is not None and status is None:
            idle = not needs[own.id] and own.status == DocumentStatus.READY
            status = "done_already" if idle else "indexed"
        # Ready documents every index holds need nothing: leave them alone.
        docs = [d for d in docs if needs[d.id] or d.status == DocumentStatus.INDEXING]
        if not docs:
            return status, ()
        sources = await load_sources(session, docs, chunked={d.id for d in docs if needs[d.id]})
        work = _Batch(
            sources=sources,
            needs=needs,
            language={s.document.id: configuration(settings.language, s.language) for s in sources},
            started_at=started_at,
            clock=clock,
        )
        waiting = tuple(d.id for d in docs if d.status == DocumentStatus.INDEXING)
        for index in indices:
            await _index_into(session, embedder, index, work)
        totals = await repository.chunk_totals(
            session, [s.document.id for s in sources if work.needs[s.document.id]]
        )
        await documents.set_statuses(
            session,
            {
                s.document.id: _finished(s.document, work, totals.get(s.document.id, 0))
                for s in sources
            },
        )
        await session.commit()
    return status, waiting


async def _index_into(
    session: AsyncSession, embedder: Embedder, index: VectorIndex, work: _Batch
) -> None:
    """Chunk, embed (one call) and store the batch's documents that the index lacks."""
    sources = [s for s in work.sources if index in work.needs[s.document.id]]
    if not sources:
        return
    current = await repository.get_index(session, index.tenant_id, index.id, lock=False)
    if current is None or current.generation != index.generation:
        return  # deleted, or rebuilt meanwhile: the rebuild re-indexes the documents
    clock = time.perf_counter()
    drafts: list[list[ChunkDraft]] = [
        chunk_elements(
            s.elements,
            chunk_size=index.chunk_size,
            chunk_overlap=index.chunk_overlap,
            title=s.title,
        )
        for s in sources
    ]
    work.timings.chunk_ms += (time.perf_counter() - clock) * 1000
    clock = time.perf_counter()
    texts = [d.indexed_text for per_doc in drafts for d in per_doc]
    tenant_id = sources[0].document.tenant_id
    vectors = await embedder(tenant_id, index.embeddings_model_name, texts) if texts else []
    work.timings.embed_ms += (time.perf_counter() - clock) * 1000
    if vectors and index.dimensions is not None and len(vectors[0]) != index.dimensions:
        raise IndexingError(
            "dimension_mismatch",
            f"The model returned {len(vectors[0])}-dimensional vectors but the index holds "
            f"{index.dimensions}-dimensional ones: rebuild the index after changing its model",
            permanent=True,
        )
    clock = time.perf_counter()
    lengths = await repository.term_lengths_each(
        session,
        [
            (work.language[s.document.id], d.indexed_text)
            for s, per_doc in zip(sources, drafts, strict=True)
            for d in per_doc
        ],
    )
    replaced: list[repository.DocumentChunks] = []
    start = 0
    for source, per_doc in zip(sources, drafts, strict=True):
        document = source.document
        end = start + len(per_doc)
        rows = _rows(
            index,
            document,
            per_doc,
            vectors[start:end],
            lengths[start:end],
            work.language[document.id],
        )
        start = end
        replaced.append(repository.DocumentChunks(document.id, str(document.content_hash), rows))
        work.timings.chunks[document.id] = work.timings.chunks.get(document.id, 0) + len(per_doc)
    await repository.replace_many_chunks(
        session, index_id=index.id, generation=index.generation, documents=replaced
    )
    if vectors and current.dimensions is None:
        await repository.update_index(session, current, {"dimensions": len(vectors[0])})
    work.timings.store_ms += (time.perf_counter() - clock) * 1000


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


def _finished(document: Document, work: _Batch, chunk_total: int) -> dict[str, Any]:
    """The columns that record the index stage and make the document `ready`.

    The batch's times are shared among its documents by chunk count.
    """
    timings = work.timings
    total = sum(timings.chunks.values())
    mine = timings.chunks.get(document.id, 0)
    share = mine / total if total else 1 / len(work.sources)
    detail = dict(document.status_detail or {})
    stage = {
        "name": "index",
        "started_at": work.started_at,
        "finished_at": _now(),
        "duration_ms": round((time.perf_counter() - work.clock) * 1000),
        "chunk_ms": round(timings.chunk_ms * share),
        "embed_ms": round(timings.embed_ms * share),
        "store_ms": round(timings.store_ms * share),
        "items": mine,
        "indices": len(work.needs[document.id]),
        "batch": len(work.sources),
    }
    stages = [s for s in detail.get("stages", []) if s.get("name") != "index"]
    detail.update(stages=[*stages, stage], stage="ready", progress=1.0, error=None)
    values: dict[str, Any] = {"status_detail": detail}
    if document.status == DocumentStatus.INDEXING:
        values["status"] = DocumentStatus.READY
    if work.needs[document.id]:
        values["chunk_count"] = chunk_total
    return values
