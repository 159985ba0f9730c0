"""Document Store routes: collections, documents, uploads, downloads and extraction results."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from pydantic import Json

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.documents import collection_service, results, service
from wxo.documents.dependencies import DocumentIODep, OwnedCollection, OwnedDocument
from wxo.documents.exceptions import FileTooLargeError
from wxo.documents.models import DocumentStatus
from wxo.documents.schemas import (
    CollectionCreate,
    CollectionPage,
    CollectionRead,
    CollectionUpdate,
    Deleted,
    DocumentCreate,
    DocumentPage,
    DocumentRead,
    DocumentStatusRead,
    DocumentUpdate,
    ElementPage,
    ElementRead,
    EntityRead,
    ImageRead,
    KeywordRead,
    MetadataRead,
    TextRead,
    UploadBatchRead,
    UploadResult,
)
from wxo.retrieval import service as retrieval

router = APIRouter(tags=["Document Store"])

_COLLECTION_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such collection in the caller's tenant"}
}
_DOCUMENT_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such document in the caller's tenant"}
}
_NOT_READY: dict[int | str, dict[str, Any]] = {
    **_DOCUMENT_404,
    409: {"description": "The document is not ready (still processing, or failed)"},
}
_TOO_LARGE: dict[int | str, dict[str, Any]] = {413: {"description": "A file is over the limit"}}


async def _collection_read(session: SessionDep, collection: Any) -> CollectionRead:
    stats = await collection_service.collection_stats(session, [collection.id])
    return CollectionRead.of(collection, stats[collection.id])


# --- collections ------------------------------------------------------------------------------


@router.post(
    "/document-collections",
    response_model=CollectionRead,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "The tenant already has a collection with this name"}},
)
async def create_collection(
    session: SessionDep, principal: CurrentTenant, body: CollectionCreate
) -> CollectionRead:
    """Create a document collection, with its automatic vector index unless told not to."""
    collection = await collection_service.create_collection(session, principal, body)
    await retrieval.ensure_default_index(session, collection)
    await session.commit()
    return await _collection_read(session, collection)


@router.get("/document-collections", response_model=CollectionPage)
async def list_collections(
    session: SessionDep,
    principal: CurrentTenant,
    names: Annotated[list[str] | None, Query(description="Only these names (repeat).")] = None,
    tags: Annotated[list[str] | None, Query(description="Only with all these tags.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CollectionPage:
    """List the tenant's document collections, newest first, with their statistics."""
    total, rows = await collection_service.list_collections(
        session, principal, names=names or [], tags=tags or [], limit=limit, offset=offset
    )
    stats = await collection_service.collection_stats(session, [c.id for c in rows])
    return CollectionPage(
        total=total,
        limit=limit,
        offset=offset,
        data=[CollectionRead.of(c, stats[c.id]) for c in rows],
    )


@router.get(
    "/document-collections/{collection_id}",
    response_model=CollectionRead,
    responses=_COLLECTION_404,
)
async def get_collection(session: SessionDep, collection: OwnedCollection) -> CollectionRead:
    """Get a document collection with its statistics."""
    return await _collection_read(session, collection)


@router.patch(
    "/document-collections/{collection_id}",
    response_model=CollectionRead,
    responses={**_COLLECTION_404, 409: {"description": "The new name is taken"}},
)
async def update_collection(
    session: SessionDep, collection: OwnedCollection, body: CollectionUpdate
) -> CollectionRead:
    """Update a document collection (only the fields sent change)."""
    updated = await collection_service.update_collection(session, collection, body)
    return await _collection_read(session, updated)


@router.delete(
    "/document-collections/{collection_id}", response_model=Deleted, responses=_COLLECTION_404
)
async def delete_collection(
    session: SessionDep, io: DocumentIODep, collection: OwnedCollection
) -> Deleted:
    """Delete a document collection and all of its documents."""
    await collection_service.delete_collection(session, io, collection)
    return Deleted(id=collection.id)


@router.post(
    "/document-collections/{collection_id}/documents",
    response_model=UploadBatchRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses={**_COLLECTION_404, **_TOO_LARGE},
)
async def upload_documents(
    session: SessionDep,
    principal: CurrentTenant,
    io: DocumentIODep,
    collection_id: uuid.UUID,
    files: Annotated[list[UploadFile], File(description="One or more files.")],
    meta: Annotated[
        Json[dict[str, Any]] | None, Form(description="A JSON object set as every file's `meta`.")
    ] = None,
) -> UploadBatchRead:
    """Upload many files into a collection; one entry per file with its duplicate-policy outcome."""
    new_files = [await _read_upload(file, io.max_file_bytes) for file in files]
    placed = await service.upload_files(session, io, principal, collection_id, new_files, meta)
    return UploadBatchRead(
        data=[
            UploadResult(
                filename=file.filename,
                outcome=one.outcome,
                document=DocumentRead.of(one.document),
                message=one.message,
            )
            for file, one in zip(new_files, placed, strict=True)
        ]
    )


# --- documents --------------------------------------------------------------------------------


@router.post(
    "/documents",
    response_model=DocumentRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        400: {"description": "source_uri is not http(s)"},
        404: {"description": "No such collection in the caller's tenant"},
        409: {"description": "Same text already in the collection and its policy is `reject`"},
        **_TOO_LARGE,
    },
)
async def create_document(
    session: SessionDep, principal: CurrentTenant, io: DocumentIODep, body: DocumentCreate
) -> DocumentRead:
    """Create a document from `text`, from an http(s) `source_uri`, or empty (upload later)."""
    placed = await service.create_document(session, io, principal, body)
    return DocumentRead.of(placed.document)


@router.get("/documents", response_model=DocumentPage)
async def list_documents(
    session: SessionDep,
    principal: CurrentTenant,
    collection_id: uuid.UUID | None = None,
    status: DocumentStatus | None = None,
    tags: Annotated[list[str] | None, Query(description="Only with all these tags.")] = None,
    name: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DocumentPage:
    """List the tenant's documents, newest first."""
    total, rows = await service.list_documents(
        session,
        principal,
        collection_id=collection_id,
        status=status,
        tags=tags or [],
        name=name,
        limit=limit,
        offset=offset,
    )
    return DocumentPage(
        total=total, limit=limit, offset=offset, data=[DocumentRead.of(d) for d in rows]
    )


@router.get("/documents/{document_id}", response_model=DocumentRead, responses=_DOCUMENT_404)
async def get_document(document: OwnedDocument) -> DocumentRead:
    """Get a document."""
    return DocumentRead.of(document)


@router.patch("/documents/{document_id}", response_model=DocumentRead, responses=_DOCUMENT_404)
async def update_document(
    session: SessionDep, document: OwnedDocument, body: DocumentUpdate
) -> DocumentRead:
    """Update a document's descriptive fields (only those sent change)."""
    return DocumentRead.of(await service.update_document(session, document, body))


@router.delete("/documents/{document_id}", response_model=Deleted, responses=_DOCUMENT_404)
async def delete_document(
    session: SessionDep, io: DocumentIODep, document: OwnedDocument
) -> Deleted:
    """Delete a document, its bytes and its extraction results."""
    await service.delete_document(session, io, document)
    return Deleted(id=document.id)


@router.post(
    "/documents/{document_id}/upload",
    response_model=DocumentRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses={**_DOCUMENT_404, **_TOO_LARGE},
)
async def upload_document(
    session: SessionDep,
    io: DocumentIODep,
    document: OwnedDocument,
    file: Annotated[UploadFile, File(description="The document's bytes.")],
) -> DocumentRead:
    """Attach or replace the document's bytes; extraction is queued again."""
    new_file = await _read_upload(file, io.max_file_bytes)
    return DocumentRead.of(await service.upload_document_file(session, io, document, new_file))


@router.get(
    "/documents/{document_id}/download",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The original bytes"},
        404: {"description": "No such document, or it has no content yet"},
    },
)
async def download_document(io: DocumentIODep, document: OwnedDocument) -> Response:
    """Download the original bytes, with their content type and file name."""
    data = service.read_original(io, document)
    return Response(
        content=data,
        media_type=document.content_type or "application/octet-stream",
        headers={"Content-Disposition": _attachment(document.name)},
    )


@router.get(
    "/documents/{document_id}/status", response_model=DocumentStatusRead, responses=_DOCUMENT_404
)
async def get_document_status(document: OwnedDocument) -> DocumentStatusRead:
    """Where the document is in the pipeline: stage, progress, timings and any error."""
    return DocumentStatusRead.model_validate(document, from_attributes=True)


@router.post(
    "/documents/{document_id}/reprocess",
    response_model=DocumentRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses={404: {"description": "No such document, or nothing to process"}},
)
async def reprocess_document(
    session: SessionDep, io: DocumentIODep, document: OwnedDocument
) -> DocumentRead:
    """Run the pipeline again for this document."""
    return DocumentRead.of(await service.reprocess_document(session, io, document))


# --- extraction results -----------------------------------------------------------------------


@router.get("/documents/{document_id}/elements", response_model=ElementPage, responses=_NOT_READY)
async def list_elements(
    session: SessionDep,
    document: OwnedDocument,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ElementPage:
    """The document's extracted elements, in reading order."""
    total, rows = await results.list_elements(session, document, limit=limit, offset=offset)
    return ElementPage(
        total=total,
        limit=limit,
        offset=offset,
        data=[ElementRead.of(e) for e in rows],
    )


@router.get("/documents/{document_id}/text", response_model=TextRead, responses=_NOT_READY)
async def get_text(
    session: SessionDep,
    document: OwnedDocument,
    format: Annotated[Literal["markdown", "text"], Query()] = "markdown",
) -> TextRead:
    """The document's clean text (`text`) or Markdown (`markdown`, the default)."""
    text = await results.get_text(session, document, format)
    return TextRead(document_id=document.id, format=format, text=text)


@router.get("/documents/{document_id}/images", response_model=list[ImageRead], responses=_NOT_READY)
async def list_images(session: SessionDep, document: OwnedDocument) -> list[ImageRead]:
    """Images extracted from the document (bytes at `/images/{image_id}`)."""
    rows = await results.list_images(session, document)
    return [
        ImageRead(
            id=i.image_id,
            page_number=i.page_number,
            mime_type=i.mime_type,
            width=i.width,
            height=i.height,
            caption=i.caption,
        )
        for i in rows
    ]


@router.get(
    "/documents/{document_id}/images/{image_id}",
    response_class=Response,
    responses={**_NOT_READY, 200: {"content": {"image/*": {}}, "description": "Image bytes"}},
)
async def get_image(
    session: SessionDep, io: DocumentIODep, document: OwnedDocument, image_id: str
) -> Response:
    """One extracted image's bytes."""
    image, data = await results.get_image(session, io.blobs, document, image_id)
    return Response(content=data, media_type=image.mime_type)


@router.get(
    "/documents/{document_id}/metadata",
    response_model=MetadataRead,
    responses=_NOT_READY,
    description=(
        "Language, title, keywords and entities, and the summary and questions written by the "
        "tenant's default chat model. Keywords and entities are always there once the document "
        "is ready: if the low-priority `annotate` stage has not run yet, this read computes "
        "them. `summary` and `questions` are null until that stage ran (its entry in "
        "`status_detail.stages` of `GET /documents/{id}/status`), or without a default chat model."
    ),
)
async def get_metadata(session: SessionDep, document: OwnedDocument) -> MetadataRead:
    """Language, title, keywords and entities; `summary`/`questions` once the annotate stage ran."""
    found = await results.get_metadata(session, document)
    return MetadataRead(
        language=found.language,
        title=found.title,
        summary=found.extra.get("summary"),
        keywords=[KeywordRead.model_validate(k) for k in found.keywords],
        entities=[EntityRead.model_validate(e) for e in found.entities],
        questions=found.extra.get("questions"),
    )


async def _read_upload(file: UploadFile, limit: int) -> service.NewFile:
    """The upload's bytes (at most `limit`: a larger file is refused before it is all read)."""
    name = file.filename or "upload"
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLargeError(f"'{name}' is larger than the limit of {limit} bytes per file")
    return service.NewFile(data=data, filename=name, content_type=file.content_type)


def _attachment(name: str) -> str:
    """A Content-Disposition value that survives any file name (RFC 6266 / 5987)."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
