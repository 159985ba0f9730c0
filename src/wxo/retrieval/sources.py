"""What the index stage reads of extracted documents: their elements, title and language.

Loaded for a whole batch of documents in two statements (elements, then content), not per
document: the index stage embeds documents in batches (see `wxo.retrieval.indexing`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.documents.models import Document, DocumentContent, DocumentElement
from wxo.retrieval.chunking import SourceElement

#: Language detection is a guess on a few words: below this much text, `auto` means English.
MIN_DETECTION_CHARS = 300


@dataclass(frozen=True)
class Source:
    """One extracted document as chunking sees it."""

    document: Document
    elements: list[SourceElement]
    title: str | None
    language: str | None  # detected, when there was enough text to trust the guess


async def load_sources(
    session: AsyncSession,
    documents: Sequence[Document],
    *,
    chunked: Collection[uuid.UUID] | None = None,
) -> list[Source]:
    """The sources of extracted documents, in the order given.

    Only the documents in `chunked` (None: all) get their elements: the others are only made
    `ready` (no index lacks them), and an HTML manual has hundreds of elements.
    """
    ids = [d.id for d in documents]
    if not ids:
        return []
    elements: dict[uuid.UUID, list[SourceElement]] = defaultdict(list)
    wanted = ids if chunked is None else [i for i in ids if i in chunked]
    rows = await session.execute(
        select(
            DocumentElement.document_id,
            DocumentElement.element_id,
            DocumentElement.type,
            DocumentElement.text,
            DocumentElement.page_number,
            DocumentElement.metadata_,
        )
        .where(DocumentElement.document_id.in_(wanted))
        .order_by(DocumentElement.document_id, DocumentElement.ord)
    )
    for document_id, element_id, kind, text, page, meta in rows.all():
        elements[document_id].append(
            SourceElement(
                element_id=element_id,
                type=kind,
                text=text,
                page_number=page,
                level=int((meta or {}).get("level", 1)),
            )
        )
    content_rows = await session.execute(
        select(
            DocumentContent.document_id,
            DocumentContent.title,
            DocumentContent.language,
            func.length(DocumentContent.text),
        ).where(DocumentContent.document_id.in_(ids))
    )
    contents = {row[0]: row[1:] for row in content_rows.all()}
    sources: list[Source] = []
    for document in documents:
        title, language, length = contents.get(document.id, (None, None, 0))
        trusted = (length or 0) >= MIN_DETECTION_CHARS
        sources.append(
            Source(
                document=document,
                elements=elements.get(document.id, []),
                title=document.title or title,
                language=language if trusted else None,
            )
        )
    return sources
