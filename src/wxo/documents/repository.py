"""Document Store queries. They take a session first, filter by tenant and never commit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import (
    Select,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.documents.models import (
    Document,
    DocumentCollection,
    DocumentContent,
    DocumentElement,
    DocumentImage,
    DocumentStatus,
)

# --- collections ------------------------------------------------------------------------------


async def insert_collection(
    session: AsyncSession, *, tenant_id: uuid.UUID, values: dict[str, Any]
) -> DocumentCollection:
    """Add a collection and flush (a duplicate name raises IntegrityError)."""
    collection = DocumentCollection(tenant_id=tenant_id, **values)
    session.add(collection)
    await session.flush()
    await session.refresh(collection)
    return collection


async def get_collection(
    session: AsyncSession, tenant_id: uuid.UUID, collection_id: uuid.UUID, *, lock: bool = False
) -> DocumentCollection | None:
    """The tenant's collection with this id, or None."""
    stmt = select(DocumentCollection).where(
        DocumentCollection.id == collection_id, DocumentCollection.tenant_id == tenant_id
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_collection_by_name(
    session: AsyncSession, tenant_id: uuid.UUID, name: str
) -> DocumentCollection | None:
    """The tenant's collection with this name, or None."""
    stmt = select(DocumentCollection).where(
        DocumentCollection.tenant_id == tenant_id, DocumentCollection.name == name
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_collections(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    names: Sequence[str],
    tags: Sequence[str],
    limit: int,
    offset: int,
) -> tuple[int, Sequence[DocumentCollection]]:
    """The total matching and one page, newest first."""
    stmt = select(DocumentCollection).where(DocumentCollection.tenant_id == tenant_id)
    if names:
        stmt = stmt.where(DocumentCollection.name.in_(list(names)))
    if tags:
        stmt = stmt.where(DocumentCollection.tags.contains(list(tags)))
    total = await _count(session, stmt)
    page = stmt.order_by(DocumentCollection.created_at.desc(), DocumentCollection.id.desc())
    rows = (await session.execute(page.limit(limit).offset(offset))).scalars().all()
    return total, rows


async def collection_stats(
    session: AsyncSession, collection_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, tuple[int, int, int]]]:
    """Per collection and status: (documents, bytes, chunks)."""
    if not collection_ids:
        return {}
    stmt = (
        select(
            Document.collection_id,
            Document.status,
            func.count(),
            func.coalesce(func.sum(Document.size_bytes), 0),
            func.coalesce(func.sum(Document.chunk_count), 0),
        )
        .where(Document.collection_id.in_(list(collection_ids)))
        .group_by(Document.collection_id, Document.status)
    )
    stats: dict[uuid.UUID, dict[str, tuple[int, int, int]]] = {}
    for collection_id, status, count, size, chunks in (await session.execute(stmt)).all():
        stats.setdefault(collection_id, {})[str(status)] = (
            int(count),
            int(size or 0),
            int(chunks or 0),
        )
    return stats


async def update_collection(
    session: AsyncSession, collection: DocumentCollection, values: dict[str, Any]
) -> DocumentCollection:
    """Apply `values` and bump `updated_at`; flush."""
    for key, value in values.items():
        setattr(collection, key, value)
    collection.updated_at = func.now()
    await session.flush()
    await session.refresh(collection)
    return collection


async def delete_collection(session: AsyncSession, collection: DocumentCollection) -> None:
    """Delete the collection; its documents and their results go with it (ON DELETE CASCADE)."""
    await session.execute(delete(DocumentCollection).where(DocumentCollection.id == collection.id))


# --- documents --------------------------------------------------------------------------------


async def insert_document(
    session: AsyncSession, *, tenant_id: uuid.UUID, values: dict[str, Any]
) -> Document:
    """Add a document and flush."""
    document = Document(tenant_id=tenant_id, **values)
    session.add(document)
    await session.flush()
    await session.refresh(document)
    return document


def add_document(
    session: AsyncSession, *, tenant_id: uuid.UUID, values: dict[str, Any]
) -> Document:
    """Add a document to the session, to be inserted by `flush_documents` with others."""
    document = Document(tenant_id=tenant_id, **values)
    session.add(document)
    return document


async def flush_documents(session: AsyncSession, documents: Sequence[Document]) -> None:
    """Insert added documents (one statement) and load what the database set (one more)."""
    if not documents:
        return
    await session.flush()
    stmt = (
        select(Document)
        .where(Document.id.in_([d.id for d in documents]))
        .execution_options(populate_existing=True)
    )
    await session.execute(stmt)


async def get_document(
    session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> Document | None:
    """The tenant's document with this id, or None."""
    stmt = select(Document).where(Document.id == document_id, Document.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_document_for_pipeline(
    session: AsyncSession, document_id: uuid.UUID, *, lock: bool = False
) -> Document | None:
    """Any tenant's document (workers act on ids they were given); optionally row-locked.

    A locked read returns the row as it is now, also when the session had loaded it before.
    """
    found = await get_documents_for_pipeline(session, [document_id], lock=lock)
    return found[0] if found else None


async def get_documents_for_pipeline(
    session: AsyncSession, document_ids: Sequence[uuid.UUID], *, lock: bool = False
) -> Sequence[Document]:
    """`get_document_for_pipeline` for several documents (locked in id order: no deadlocks)."""
    stmt = select(Document).where(Document.id.in_(document_ids)).order_by(Document.id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalars().all()


async def latest_by_content_hash(
    session: AsyncSession, collection_id: uuid.UUID, content_hashes: Sequence[str]
) -> dict[str, Document]:
    """For each of these hashes, the collection's highest version of a document with them."""
    stmt = (
        select(Document)
        .where(Document.collection_id == collection_id, Document.content_hash.in_(content_hashes))
        .order_by(Document.content_hash, Document.version.desc(), Document.created_at.desc())
        .ext(distinct_on(Document.content_hash))
    )
    return {d.content_hash or "": d for d in (await session.execute(stmt)).scalars()}


async def list_documents(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    collection_id: uuid.UUID | None,
    status: DocumentStatus | None,
    tags: Sequence[str],
    name: str | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[Document]]:
    """The total matching and one page, newest first."""
    stmt = select(Document).where(Document.tenant_id == tenant_id)
    if collection_id is not None:
        stmt = stmt.where(Document.collection_id == collection_id)
    if status is not None:
        stmt = stmt.where(Document.status == status)
    if tags:
        stmt = stmt.where(Document.tags.contains(list(tags)))
    if name is not None:
        stmt = stmt.where(Document.name == name)
    total = await _count(session, stmt)
    page = stmt.order_by(Document.created_at.desc(), Document.id.desc())
    rows = (await session.execute(page.limit(limit).offset(offset))).scalars().all()
    return total, rows


async def update_document(
    session: AsyncSession, document: Document, values: dict[str, Any]
) -> Document:
    """Apply `values` and bump `updated_at`; flush."""
    for key, value in values.items():
        setattr(document, key, value)
    document.updated_at = func.now()
    await session.flush()
    await session.refresh(document)
    return document


async def delete_document(session: AsyncSession, document: Document) -> None:
    """Delete the document; elements, images and content go with it (ON DELETE CASCADE)."""
    await session.execute(delete(Document).where(Document.id == document.id))


async def blob_keys_of_collection(session: AsyncSession, collection_id: uuid.UUID) -> set[str]:
    """Every blob key used by the collection's documents and their images."""
    docs = select(Document.blob_key).where(
        Document.collection_id == collection_id, Document.blob_key.is_not(None)
    )
    images = (
        select(DocumentImage.blob_key)
        .join(Document, Document.id == DocumentImage.document_id)
        .where(Document.collection_id == collection_id)
    )
    rows = (await session.execute(docs.union(images))).scalars().all()
    return {str(key) for key in rows}


async def image_blob_keys(session: AsyncSession, document_id: uuid.UUID) -> set[str]:
    """Blob keys of a document's images."""
    stmt = select(DocumentImage.blob_key).where(DocumentImage.document_id == document_id)
    return {str(key) for key in (await session.execute(stmt)).scalars().all()}


async def referenced_blob_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of `keys` some document or image still uses."""
    if not keys:
        return set()
    docs = select(Document.blob_key).where(Document.blob_key.in_(list(keys)))
    images = select(DocumentImage.blob_key).where(DocumentImage.blob_key.in_(list(keys)))
    return {str(key) for key in (await session.execute(docs.union(images))).scalars().all()}


async def stuck_documents(
    session: AsyncSession, *, statuses: Sequence[DocumentStatus], older_than_seconds: float
) -> Sequence[tuple[uuid.UUID, bool]]:
    """Documents that sat in one of `statuses` longer than given: (id, has its bytes).

    Those without bytes count only when they have a URL to fetch them from.
    """
    stmt = select(Document.id, Document.blob_key.is_not(None)).where(
        Document.status.in_(list(statuses)),
        or_(Document.blob_key.is_not(None), Document.source_uri.is_not(None)),
        Document.updated_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds),
    )
    return [(row[0], bool(row[1])) for row in (await session.execute(stmt)).all()]


async def unannotated_documents(
    session: AsyncSession, *, older_than_seconds: float, limit: int
) -> Sequence[uuid.UUID]:
    """Ready documents whose annotate stage has not run, unchanged for longer than given."""
    stmt = (
        select(Document.id)
        .join(DocumentContent, DocumentContent.document_id == Document.id)
        .where(
            Document.status == DocumentStatus.READY,
            DocumentContent.annotated_at.is_(None),
            Document.updated_at
            < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds),
        )
        .order_by(Document.updated_at)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


# --- extraction results -----------------------------------------------------------------------


# One statement for all of a document's elements, whatever their number (an HTML manual has
# hundreds): they travel as one JSON text that PostgreSQL unpacks. An executemany through the
# ORM, or one array per column, cost the worker more than extracting the page did.
_INSERT_ELEMENTS = text(
    "INSERT INTO document_element"
    " (document_id, ord, element_id, type, text, page_number, parent_id, html, metadata)"
    " SELECT x.document_id, x.ord, x.element_id, x.type, x.text,"
    " x.page_number, x.parent_id, x.html, coalesce(x.metadata, '{}')"
    " FROM jsonb_to_recordset(CAST(:elements AS jsonb)) AS x(document_id uuid, ord int,"
    " element_id text, type text, text text, page_number int, parent_id text, html text,"
    " metadata jsonb)"
)


@dataclass(frozen=True)
class Results:
    """What extraction found in one document, as rows to store."""

    document_id: uuid.UUID
    # Keyed by `document_element`'s column names (`metadata`, not `metadata_`), `document_id`
    # (a string) included.
    elements: Sequence[dict[str, Any]]
    images: Sequence[dict[str, Any]]
    content: dict[str, Any]


async def replace_results(session: AsyncSession, results: Sequence[Results]) -> None:
    """Replace documents' elements, images and content (the caller holds the rows' locks).

    A handful of statements for any number of documents: the elements of all of them travel
    as one JSON text.
    """
    if not results:
        return
    await clear_results(session, *(r.document_id for r in results))
    elements = [e for r in results for e in r.elements]
    if elements:
        # orjson: the standard library's encoder took 13x as long on a batch of HTML manuals.
        payload = orjson.dumps(elements).decode()
        await session.execute(_INSERT_ELEMENTS, {"elements": payload})
    images = [
        {"id": uuid.uuid4(), "document_id": r.document_id, **i} for r in results for i in r.images
    ]
    if images:
        await session.execute(insert(DocumentImage), images)
    await session.execute(
        insert(DocumentContent), [{"document_id": r.document_id, **r.content} for r in results]
    )


async def clear_results(session: AsyncSession, *document_ids: uuid.UUID) -> None:
    """Forget the documents' extraction results (their bytes changed)."""
    for model in (DocumentElement, DocumentImage, DocumentContent):
        await session.execute(delete(model).where(model.document_id.in_(document_ids)))


async def list_elements(
    session: AsyncSession, document_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[int, Sequence[DocumentElement]]:
    """The document's elements in order, one page."""
    stmt = select(DocumentElement).where(DocumentElement.document_id == document_id)
    total = await _count(session, stmt)
    page = stmt.order_by(DocumentElement.ord).limit(limit).offset(offset)
    return total, (await session.execute(page)).scalars().all()


async def get_content(
    session: AsyncSession, document_id: uuid.UUID, *, fresh: bool = False
) -> DocumentContent | None:
    """The document's extracted text and metadata (`fresh`: re-read even if loaded before)."""
    return await session.get(DocumentContent, document_id, populate_existing=fresh)


async def update_content(
    session: AsyncSession, document_id: uuid.UUID, values: dict[str, Any]
) -> None:
    """Update columns of the document's content row (the caller holds the document's lock)."""
    await session.execute(
        update(DocumentContent).where(DocumentContent.document_id == document_id).values(**values)
    )


async def list_images(session: AsyncSession, document_id: uuid.UUID) -> Sequence[DocumentImage]:
    """The document's images, in page then id order."""
    stmt = (
        select(DocumentImage)
        .where(DocumentImage.document_id == document_id)
        .order_by(DocumentImage.page_number.nulls_last(), DocumentImage.image_id)
    )
    return (await session.execute(stmt)).scalars().all()


async def get_image(
    session: AsyncSession, document_id: uuid.UUID, image_id: str
) -> DocumentImage | None:
    """One image of the document by its extraction id."""
    stmt = select(DocumentImage).where(
        DocumentImage.document_id == document_id, DocumentImage.image_id == image_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def set_status(session: AsyncSession, document_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Update pipeline columns of a document without loading it."""
    await set_statuses(session, {document_id: values})


async def set_statuses(
    session: AsyncSession, values: Mapping[uuid.UUID, Mapping[str, Any]]
) -> None:
    """`set_status` for several documents, in one round trip per set of columns.

    A statement run for each document through the driver's pipeline: a job of 16 documents
    sent 16 updates one after the other before, at each stage.
    """
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for document_id, row in values.items():
        groups.setdefault(tuple(sorted(row)), []).append(
            {"_id": document_id, **{f"_{c}": v for c, v in row.items()}}
        )
    table = cast(Table, Document.__table__)
    for columns, rows in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values(
                updated_at=func.now(),
                **{c: bindparam(f"_{c}", type_=table.c[c].type) for c in columns},
            )
        )
        await session.execute(stmt, rows)


async def _count(session: AsyncSession, stmt: Select[Any]) -> int:
    count = select(func.count()).select_from(stmt.order_by(None).subquery())
    return int((await session.execute(count)).scalar_one())
