"""Database access of the Vector Index domain (every query names the tenant or a checked id)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.documents.models import Document, DocumentCollection, DocumentStatus
from wxo.retrieval.models import (
    Bm25Stat,
    Chunk,
    IndexedDocument,
    IndexTask,
    VectorIndex,
    VectorIndexCollection,
)

# --- indices ---------------------------------------------------------------------------------


async def insert_index(session: AsyncSession, values: dict[str, Any]) -> VectorIndex:
    """Add an index row (flushed, not committed)."""
    index = VectorIndex(**values)
    session.add(index)
    await session.flush()
    await session.refresh(index)
    return index


async def get_index(
    session: AsyncSession, tenant_id: uuid.UUID, index_id: uuid.UUID, *, lock: bool = False
) -> VectorIndex | None:
    """The tenant's index, or None."""
    stmt = select(VectorIndex).where(VectorIndex.tenant_id == tenant_id, VectorIndex.id == index_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_index_by_name(
    session: AsyncSession, tenant_id: uuid.UUID, name: str
) -> VectorIndex | None:
    """The tenant's index of that name, or None."""
    stmt = select(VectorIndex).where(VectorIndex.tenant_id == tenant_id, VectorIndex.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def default_index_of(session: AsyncSession, collection_id: uuid.UUID) -> VectorIndex | None:
    """The automatic index of a collection, or None."""
    stmt = select(VectorIndex).where(VectorIndex.default_for_collection_id == collection_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_indices(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    collection_id: uuid.UUID | None,
    name: str | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[VectorIndex]]:
    """A page of the tenant's indices, newest first, and the total."""
    stmt = select(VectorIndex).where(VectorIndex.tenant_id == tenant_id)
    if collection_id is not None:
        covered = select(VectorIndexCollection.index_id).where(
            VectorIndexCollection.collection_id == collection_id
        )
        stmt = stmt.where(VectorIndex.id.in_(covered))
    if name is not None:
        stmt = stmt.where(VectorIndex.name == name)
    total = await _count(session, stmt)
    page = stmt.order_by(VectorIndex.created_at.desc(), VectorIndex.id).limit(limit).offset(offset)
    return total, (await session.execute(page)).scalars().all()


async def all_index_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Every index of every tenant (for the sweeper)."""
    return list((await session.execute(select(VectorIndex.id))).scalars().all())


async def update_index(
    session: AsyncSession, index: VectorIndex, values: dict[str, Any]
) -> VectorIndex:
    """Change an index's columns; `updated_at` moves."""
    await session.execute(
        update(VectorIndex)
        .where(VectorIndex.id == index.id)
        .values(**values, updated_at=func.now())
    )
    await session.flush()
    await session.refresh(index)
    return index


async def delete_index(session: AsyncSession, index: VectorIndex) -> None:
    """Delete an index; its chunks, postings and statistics go with it (ON DELETE CASCADE)."""
    await session.execute(delete(VectorIndex).where(VectorIndex.id == index.id))


# --- collections ------------------------------------------------------------------------------


async def collection_ids(session: AsyncSession, index_id: uuid.UUID) -> list[uuid.UUID]:
    """The collections an index covers."""
    stmt = (
        select(VectorIndexCollection.collection_id)
        .where(VectorIndexCollection.index_id == index_id)
        .order_by(VectorIndexCollection.created_at, VectorIndexCollection.collection_id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def collection_ids_of(
    session: AsyncSession, index_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The collections each index covers."""
    found: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in index_ids}
    stmt = (
        select(VectorIndexCollection.index_id, VectorIndexCollection.collection_id)
        .where(VectorIndexCollection.index_id.in_(list(index_ids)))
        .order_by(VectorIndexCollection.created_at, VectorIndexCollection.collection_id)
    )
    for index_id, collection_id in (await session.execute(stmt)).all():
        found[index_id].append(collection_id)
    return found


async def owned_collections(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[DocumentCollection]:
    """Those of `ids` that are the tenant's collections."""
    stmt = select(DocumentCollection).where(
        DocumentCollection.tenant_id == tenant_id, DocumentCollection.id.in_(list(ids))
    )
    return list((await session.execute(stmt)).scalars().all())


async def attach_collections(
    session: AsyncSession, index_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> None:
    """Let the index cover these collections too (already covered ones are left alone)."""
    if ids:
        stmt = pg_insert(VectorIndexCollection).values(
            [{"index_id": index_id, "collection_id": c} for c in ids]
        )
        await session.execute(stmt.on_conflict_do_nothing())


async def indices_covering(session: AsyncSession, collection_id: uuid.UUID) -> list[VectorIndex]:
    """The indices that cover a collection."""
    stmt = (
        select(VectorIndex)
        .join(VectorIndexCollection, VectorIndexCollection.index_id == VectorIndex.id)
        .where(VectorIndexCollection.collection_id == collection_id)
        .order_by(VectorIndex.id)
    )
    return list((await session.execute(stmt)).scalars().all())


# --- documents to index -----------------------------------------------------------------------


_HELD_EVERYWHERE = text(
    "SELECT EXISTS (SELECT 1 FROM document d"
    " WHERE d.id = :document_id AND d.status = 'ready' AND d.content_hash IS NOT NULL"
    " AND EXISTS (SELECT 1 FROM vector_index v WHERE v.default_for_collection_id = d.collection_id)"
    " AND NOT EXISTS (SELECT 1 FROM vector_index_collection vc"
    " JOIN vector_index v ON v.id = vc.index_id"
    " LEFT JOIN indexed_document i ON i.index_id = v.id AND i.document_id = d.id"
    " WHERE vc.collection_id = d.collection_id AND (i.document_id IS NULL"
    " OR i.content_hash IS DISTINCT FROM d.content_hash OR i.generation <> v.generation)))"
)


async def held_everywhere(session: AsyncSession, document_id: uuid.UUID) -> bool:
    """The document is ready and every index covering it holds its current form (one query).

    False also when its collection lacks its automatic index: the index stage looks into that.
    """
    return bool((await session.execute(_HELD_EVERYWHERE, {"document_id": document_id})).scalar())


def _stale_documents(index: VectorIndex) -> Select[Any]:
    """Documents of the index's collections it does not hold in their current form.

    Only those extracted (ready to index); `pending_counts` also counts those on their way.
    """
    covered = select(VectorIndexCollection.collection_id).where(
        VectorIndexCollection.index_id == index.id
    )
    held = select(IndexedDocument.document_id).where(
        IndexedDocument.index_id == index.id,
        IndexedDocument.document_id == Document.id,
        IndexedDocument.content_hash == Document.content_hash,
        IndexedDocument.generation == index.generation,
    )
    return select(Document.id).where(
        Document.collection_id.in_(covered),
        Document.status.in_([DocumentStatus.READY, DocumentStatus.INDEXING]),
        ~held.exists(),
    )


async def stale_documents(session: AsyncSession, index: VectorIndex) -> list[uuid.UUID]:
    """Documents the index lacks or holds an older form of."""
    return list((await session.execute(_stale_documents(index))).scalars().all())


async def pending_counts(
    session: AsyncSession, indices: Sequence[VectorIndex]
) -> dict[uuid.UUID, int]:
    """How many documents each index still has to (re)index, extracted or not yet (one query)."""
    held = select(IndexedDocument.document_id).where(
        IndexedDocument.index_id == VectorIndex.id,
        IndexedDocument.document_id == Document.id,
        IndexedDocument.content_hash == Document.content_hash,
        IndexedDocument.generation == VectorIndex.generation,
    )
    stmt = (
        select(VectorIndexCollection.index_id, func.count())
        .join(VectorIndex, VectorIndex.id == VectorIndexCollection.index_id)
        .join(Document, Document.collection_id == VectorIndexCollection.collection_id)
        .where(
            VectorIndexCollection.index_id.in_([i.id for i in indices]),
            Document.status != DocumentStatus.FAILED,
            ~held.exists(),
        )
        .group_by(VectorIndexCollection.index_id)
    )
    counts = {index.id: 0 for index in indices}
    for index_id, count in (await session.execute(stmt)).all():
        counts[index_id] = int(count)
    return counts


async def index_stats(
    session: AsyncSession, index_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """(documents, chunks) each index holds."""
    stmt = (
        select(
            IndexedDocument.index_id,
            func.count(),
            func.coalesce(func.sum(IndexedDocument.chunk_count), 0),
        )
        .where(IndexedDocument.index_id.in_(list(index_ids)))
        .group_by(IndexedDocument.index_id)
    )
    found = dict.fromkeys(index_ids, (0, 0))
    for index_id, documents, chunks in (await session.execute(stmt)).all():
        found[index_id] = (int(documents), int(chunks))
    return found


async def remove_collection_chunks(
    session: AsyncSession, index_id: uuid.UUID, keep: Sequence[uuid.UUID]
) -> None:
    """Drop the index's chunks of collections it no longer covers."""
    gone = select(Document.id).where(Document.collection_id.not_in(list(keep)))
    await session.execute(
        delete(Chunk).where(Chunk.index_id == index_id, Chunk.collection_id.not_in(list(keep)))
    )
    await session.execute(
        delete(IndexedDocument).where(
            IndexedDocument.index_id == index_id, IndexedDocument.document_id.in_(gone)
        )
    )


# --- chunks -----------------------------------------------------------------------------------

_LENGTHS = text(
    "SELECT (SELECT coalesce(sum(array_length(t.positions, 1)), 0)"
    " FROM unnest(to_tsvector(CAST(x.language AS regconfig), x.body)) AS t)"
    " FROM unnest(CAST(:languages AS text[]), CAST(:bodies AS text[]))"
    " WITH ORDINALITY AS x(language, body, i) ORDER BY x.i"
)

_POSTINGS = text(
    "INSERT INTO bm25_posting (index_id, term, chunk_seq, tf, dl)"
    " SELECT c.index_id, t.lexeme, c.seq, least(array_length(t.positions, 1), 32767), c.length"
    " FROM chunk c CROSS JOIN LATERAL unnest(to_tsvector(CAST(c.language AS regconfig),"
    " c.context || E'\\n' || c.text)) AS t"
    " WHERE c.index_id = :index_id AND c.document_id = ANY(CAST(:document_ids AS uuid[]))"
)


async def term_lengths(session: AsyncSession, language: str, bodies: Sequence[str]) -> list[int]:
    """BM25 lengths (lexeme positions) of texts as `language` analyses them."""
    return await term_lengths_each(session, [(language, body) for body in bodies])


async def term_lengths_each(session: AsyncSession, texts: Sequence[tuple[str, str]]) -> list[int]:
    """BM25 lengths of (language, text) pairs, each as its language analyses it (one query)."""
    if not texts:
        return []
    languages, bodies = zip(*texts, strict=True)
    result = await session.execute(_LENGTHS, {"languages": list(languages), "bodies": list(bodies)})
    return [int(n) for n in result.scalars().all()]


@dataclass(frozen=True)
class DocumentChunks:
    """A document's new chunks in one index: which bytes they come from, and their rows."""

    document_id: uuid.UUID
    content_hash: str
    rows: Sequence[dict[str, Any]]


async def replace_chunks(
    session: AsyncSession,
    *,
    index_id: uuid.UUID,
    document_id: uuid.UUID,
    content_hash: str,
    generation: int,
    rows: Sequence[dict[str, Any]],
) -> None:
    """`replace_many_chunks` for one document."""
    await replace_many_chunks(
        session,
        index_id=index_id,
        generation=generation,
        documents=[DocumentChunks(document_id, content_hash, rows)],
    )


async def replace_many_chunks(
    session: AsyncSession,
    *,
    index_id: uuid.UUID,
    generation: int,
    documents: Sequence[DocumentChunks],
) -> None:
    """Swap documents' chunks in the index for new rows (with their postings), atomically.

    Four statements for any number of documents. The caller holds the documents' row locks,
    so concurrent jobs for them queue up here.
    """
    if not documents:
        return
    ids = [d.document_id for d in documents]
    await session.execute(
        delete(Chunk).where(Chunk.index_id == index_id, Chunk.document_id.in_(ids))
    )
    rows = [row for d in documents for row in d.rows]
    if rows:
        await session.execute(insert(Chunk), rows)
        written = [d.document_id for d in documents if d.rows]
        await session.execute(_POSTINGS, {"index_id": index_id, "document_ids": written})
    stmt = pg_insert(IndexedDocument).values(
        [
            {
                "index_id": index_id,
                "document_id": d.document_id,
                "content_hash": d.content_hash,
                "generation": generation,
                "chunk_count": len(d.rows),
            }
            for d in documents
        ]
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["index_id", "document_id"],
            set_={
                "content_hash": stmt.excluded.content_hash,
                "generation": stmt.excluded.generation,
                "chunk_count": stmt.excluded.chunk_count,
                "indexed_at": func.now(),
            },
        )
    )


async def chunk_totals(
    session: AsyncSession, document_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Chunks of each document in its largest index (what `chunk_count` shows)."""
    if not document_ids:
        return {}
    stmt = (
        select(IndexedDocument.document_id, func.max(IndexedDocument.chunk_count))
        .where(IndexedDocument.document_id.in_(document_ids))
        .group_by(IndexedDocument.document_id)
    )
    return {document_id: int(count) for document_id, count in (await session.execute(stmt)).all()}


async def chunk_count(session: AsyncSession, index_id: uuid.UUID) -> int:
    """Chunks the index holds (from the BM25 statistics: no scan)."""
    stmt = select(func.coalesce(func.sum(Bm25Stat.chunk_count), 0)).where(
        Bm25Stat.index_id == index_id
    )
    return int((await session.execute(stmt)).scalar_one())


async def list_chunks(
    session: AsyncSession,
    index_id: uuid.UUID,
    *,
    document_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[Chunk]]:
    """A page of the index's chunks in document order."""
    stmt = select(Chunk).where(Chunk.index_id == index_id)
    if document_id is not None:
        stmt = stmt.where(Chunk.document_id == document_id)
    total = await _count(session, stmt)
    page = stmt.order_by(Chunk.document_id, Chunk.ord).limit(limit).offset(offset)
    return total, (await session.execute(page)).scalars().all()


# --- tasks ------------------------------------------------------------------------------------


async def insert_task(session: AsyncSession, values: dict[str, Any]) -> IndexTask:
    """Record a background task."""
    task = IndexTask(**values)
    session.add(task)
    await session.flush()
    await session.refresh(task)
    return task


async def get_task(
    session: AsyncSession, tenant_id: uuid.UUID, task_id: uuid.UUID
) -> IndexTask | None:
    """The tenant's task, or None."""
    stmt = select(IndexTask).where(IndexTask.tenant_id == tenant_id, IndexTask.id == task_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_tasks(session: AsyncSession, index_id: uuid.UUID) -> list[IndexTask]:
    """The index's tasks not finished yet."""
    stmt = select(IndexTask).where(
        IndexTask.index_id == index_id,
        or_(IndexTask.status == "unknown", IndexTask.status == "started"),
    )
    return list((await session.execute(stmt)).scalars().all())


async def set_task(session: AsyncSession, task_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Update a task."""
    await session.execute(
        update(IndexTask).where(IndexTask.id == task_id).values(**values, updated_at=func.now())
    )


async def _count(session: AsyncSession, stmt: Select[Any]) -> int:
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    return int((await session.execute(counted)).scalar_one())
