"""Reading what the pipeline stored: elements, text, images and metadata (ready documents only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.blobs.base import BlobStore
from wxo.documents import repository
from wxo.documents.annotation import Annotator, Metadata, complete_metadata
from wxo.documents.exceptions import DocumentNotReadyError, ImageNotFoundError
from wxo.documents.models import (
    Document,
    DocumentContent,
    DocumentElement,
    DocumentImage,
    DocumentStatus,
)
from wxo.extraction import service as extraction

# Extraction results exist from the `indexing` stage on (indexing reads them).
_HAS_RESULTS = (DocumentStatus.INDEXING, DocumentStatus.READY)


def _require_results(document: Document) -> None:
    """Raise `DocumentNotReadyError` unless extraction finished."""
    if document.status in _HAS_RESULTS:
        return
    if document.status is DocumentStatus.FAILED:
        error = (document.status_detail or {}).get("error") or {}
        reason = error.get("message") or "processing failed"
        raise DocumentNotReadyError(f"The document failed: {reason}")
    raise DocumentNotReadyError(
        f"The document is {document.status.value}: extraction results are available once it "
        f"is ready (see GET /v1/documents/{document.id}/status)"
    )


async def list_elements(
    session: AsyncSession, document: Document, *, limit: int, offset: int
) -> tuple[int, Sequence[DocumentElement]]:
    """The document's elements in order (one page)."""
    _require_results(document)
    return await repository.list_elements(session, document.id, limit=limit, offset=offset)


async def get_text(
    session: AsyncSession, document: Document, fmt: Literal["markdown", "text"]
) -> str:
    """Clean text or Markdown."""
    content = await _content(session, document)
    return content.markdown if fmt == "markdown" else content.text


async def get_content(session: AsyncSession, document: Document) -> DocumentContent:
    """The extracted text and metadata row."""
    return await _content(session, document)


async def get_metadata(
    session: AsyncSession, document: Document, annotator: Annotator = extraction.annotate
) -> Metadata:
    """Language, title, keywords, entities, summary and questions.

    Keywords and entities are computed now (and stored) when the annotate stage has not run
    yet, so they are never missing; summary and questions wait for that stage.
    """
    content = await _content(session, document)
    return await complete_metadata(session, document, content, annotator)


async def list_images(session: AsyncSession, document: Document) -> Sequence[DocumentImage]:
    """The document's extracted images."""
    _require_results(document)
    return await repository.list_images(session, document.id)


async def get_image(
    session: AsyncSession, blobs: BlobStore, document: Document, image_id: str
) -> tuple[DocumentImage, bytes]:
    """One image and its bytes. Raises `ImageNotFoundError`."""
    _require_results(document)
    image = await repository.get_image(session, document.id, image_id)
    if image is None:
        raise ImageNotFoundError("Image not found")
    return image, blobs.get(image.blob_key)


async def _content(session: AsyncSession, document: Document) -> DocumentContent:
    _require_results(document)
    content = await repository.get_content(session, document.id)
    if content is None:  # a ready document always has one; be explicit rather than crash
        raise DocumentNotReadyError("The document has no extracted content: reprocess it")
    return content
