"""Document Store request and response bodies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from wxo.core.storable import StorableBody
from wxo.documents import languages
from wxo.documents.models import Document, DocumentCollection, DocumentElement, DocumentStatus


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UTCDatetime = Annotated[datetime, AfterValidator(_as_utc)]
Name = Annotated[str, Field(min_length=1, max_length=1024)]
Tags = Annotated[list[Annotated[str, Field(min_length=1, max_length=256)]], Field(max_length=256)]


class DuplicatePolicy(StrEnum):
    """What a new upload does when the collection already holds the same bytes."""

    SKIP = "skip"  # keep the existing document, report it
    REPLACE = "replace"  # the existing document takes the new metadata
    VERSION = "version"  # a new document, version = existing + 1
    REJECT = "reject"  # refuse (409; `rejected` in a batch)


class ExtractionOptions(BaseModel):
    """Extraction settings of a collection."""

    model_config = ConfigDict(extra="forbid")

    max_pages: int | None = Field(
        default=None, ge=1, description="Extract at most this many pages."
    )


class CollectionSettings(BaseModel):
    """Per-collection behaviour (our addition to `CreateDocumentCollection`)."""

    model_config = ConfigDict(extra="forbid")

    duplicate_policy: DuplicatePolicy = DuplicatePolicy.SKIP
    extraction: ExtractionOptions = Field(default_factory=ExtractionOptions)
    default_index: bool = Field(
        default=True, description="Keep a vector index for this collection automatically."
    )
    language: str = Field(
        default="auto",
        description=(
            "Stemming and stop words of keyword search: `auto` (each document's detected "
            "language), an ISO 639-1 code (`en`, `fr`, ...) or a PostgreSQL text search "
            "configuration (`english`, `simple` for no stemming, ...)."
        ),
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in languages.ACCEPTED:
            raise ValueError(
                f"unknown language {value!r}: use auto, simple, an ISO 639-1 code or one of "
                + ", ".join(sorted(languages.CONFIGURATIONS.values()))
            )
        return value


class CollectionCreate(StorableBody):
    """Body of `POST /v1/document-collections` (`CreateDocumentCollection`)."""

    name: Name
    title: str | None = None
    description: str | None = None
    tags: Tags = Field(default_factory=list)
    settings: CollectionSettings = Field(default_factory=CollectionSettings)


class CollectionUpdate(StorableBody):
    """Body of `PATCH /v1/document-collections/{id}`: only the keys sent change."""

    name: Name | None = None
    title: str | None = None
    description: str | None = None
    tags: Tags | None = None
    settings: CollectionSettings | None = None


class CollectionStats(BaseModel):
    """What a collection holds."""

    documents: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)
    bytes: int = 0
    chunks: int = 0


class CollectionRead(BaseModel):
    """A collection as the API returns it."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    title: str | None
    description: str | None
    tags: list[str]
    settings: CollectionSettings
    stats: CollectionStats
    created_by: uuid.UUID | None
    created_by_username: str | None
    created_at: UTCDatetime
    updated_at: UTCDatetime

    @classmethod
    def of(cls, collection: DocumentCollection, stats: CollectionStats) -> CollectionRead:
        """Build from a row and its statistics."""
        return cls(
            id=collection.id,
            tenant_id=collection.tenant_id,
            name=collection.name,
            title=collection.title,
            description=collection.description,
            tags=collection.tags,
            settings=CollectionSettings.model_validate(collection.settings),
            stats=stats,
            created_by=collection.created_by,
            created_by_username=collection.created_by_username,
            created_at=collection.created_at,
            updated_at=collection.updated_at,
        )


class CollectionPage(BaseModel):
    """A page of collections."""

    total: int
    limit: int
    offset: int
    data: list[CollectionRead]


class DocumentFields(StorableBody):
    """Descriptive fields shared by create, patch and uploads."""

    title: str | None = None
    description: str | None = None
    tags: Tags | None = None
    meta: dict[str, Any] | None = Field(default=None, description="Free JSON, filterable.")
    source_uri: str | None = Field(default=None, max_length=8192)
    source_date: UTCDatetime | None = None
    source_name: str | None = None
    source_title: str | None = None


class DocumentCreate(DocumentFields):
    """Body of `POST /v1/documents` (`CreateDocument`).

    With `text`, that text is the document. With an http(s) `source_uri` and no `text`, the
    server fetches it. With neither, the document waits for `POST /v1/documents/{id}/upload`.
    """

    name: Name
    collection_id: uuid.UUID
    text: str | None = None
    content_type: str | None = Field(default=None, max_length=255)


class DocumentUpdate(DocumentFields):
    """Body of `PATCH /v1/documents/{id}`: only the keys sent change (bytes do not)."""

    name: Name | None = None


class DocumentRead(BaseModel):
    """A document as the API returns it."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    collection_id: uuid.UUID
    name: str
    title: str | None
    description: str | None
    tags: list[str]
    meta: dict[str, Any]
    source_uri: str | None
    source_date: UTCDatetime | None
    source_name: str | None
    source_title: str | None
    content_type: str | None
    size_bytes: int | None
    content_hash: str | None = Field(description="sha256 of the bytes, hex.")
    version: int
    status: DocumentStatus
    status_detail: dict[str, Any]
    page_count: int | None
    chunk_count: int
    created_by: uuid.UUID | None
    created_by_username: str | None
    created_at: UTCDatetime
    updated_at: UTCDatetime

    @classmethod
    def of(cls, doc: Document) -> DocumentRead:
        """Build from a row."""
        return cls.model_validate(doc, from_attributes=True)


class DocumentPage(BaseModel):
    """`GET /v1/documents`."""

    total: int
    limit: int
    offset: int
    data: list[DocumentRead]


class UploadOutcome(StrEnum):
    """What happened to one uploaded file."""

    CREATED = "created"
    SKIPPED = "skipped"
    REPLACED = "replaced"
    VERSIONED = "versioned"
    REJECTED = "rejected"


class UploadResult(BaseModel):
    """One file of a batch upload."""

    filename: str
    outcome: UploadOutcome
    document: DocumentRead
    message: str | None = None


class UploadBatchRead(BaseModel):
    """`POST /v1/document-collections/{id}/documents`: one entry per file, in request order."""

    data: list[UploadResult]


class DocumentStatusRead(BaseModel):
    """`GET /v1/documents/{id}/status`."""

    id: uuid.UUID
    status: DocumentStatus
    status_detail: dict[str, Any] = Field(
        description=(
            "`stage`, `progress`, `error` and `stages`: one entry per stage run "
            "(`name`, `started_at`, `finished_at`, `duration_ms`, `items`, ...). `extract` and "
            "`index` come before `ready`; `annotate` (keywords, entities, summary, questions) "
            "is added after it, at low priority, while `status` stays `ready`."
        )
    )
    page_count: int | None
    chunk_count: int
    updated_at: UTCDatetime


class ElementRead(BaseModel):
    """One extracted element."""

    id: str
    type: str
    text: str
    page_number: int | None
    order: int
    parent_id: str | None
    html: str | None
    metadata: dict[str, Any]

    @classmethod
    def of(cls, row: DocumentElement) -> ElementRead:
        """Build from a stored element."""
        return cls(
            id=row.element_id,
            type=row.type,
            text=row.text,
            page_number=row.page_number,
            order=row.ord,
            parent_id=row.parent_id,
            html=row.html,
            metadata=row.metadata_,
        )


class ElementPage(BaseModel):
    """`GET /v1/documents/{id}/elements`."""

    total: int
    limit: int
    offset: int
    data: list[ElementRead]


class TextRead(BaseModel):
    """`GET /v1/documents/{id}/text`."""

    document_id: uuid.UUID
    format: str
    text: str


class ImageRead(BaseModel):
    """One extracted image (bytes at `/images/{image_id}`)."""

    id: str
    page_number: int | None
    mime_type: str
    width: int | None
    height: int | None
    caption: str | None


class KeywordRead(BaseModel):
    """A key phrase."""

    text: str
    score: float


class EntityRead(BaseModel):
    """A named entity."""

    text: str
    label: str
    count: int


class MetadataRead(BaseModel):
    """`GET /v1/documents/{id}/metadata`; `summary` and `questions` are null until the annotate stage's LLM fills them."""

    language: str | None
    title: str | None
    summary: str | None = None
    keywords: list[KeywordRead]
    entities: list[EntityRead]
    questions: list[str] | None = None


class Deleted(BaseModel):
    """A delete's answer."""

    id: uuid.UUID
    deleted: bool = True
