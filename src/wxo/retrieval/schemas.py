"""Vector Index request and response bodies (`CreateVectorIndex` and friends)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wxo.core.storable import StorableBody
from wxo.documents.schemas import Tags, UTCDatetime
from wxo.retrieval.models import IndexStatus, IndexTask, VectorIndex

Name = Annotated[str, Field(min_length=1, max_length=256)]
Mode = Literal["hybrid", "vector", "keyword"]
MAX_TOP_K = 500
# 200 tiktoken tokens come to about 250 word pieces with the context line: what MiniLM reads
# (it truncates at 256). See docs/decisions.md.
DEFAULT_CHUNK_SIZE = 200
DEFAULT_CHUNK_OVERLAP = 20


class Bm25Settings(BaseModel):
    """BM25 parameters: term-frequency saturation `k1` and length normalisation `b`."""

    model_config = ConfigDict(extra="forbid")

    k1: float = Field(default=1.2, ge=0, le=5)
    b: float = Field(default=0.75, ge=0, le=1)


class HybridSettings(BaseModel):
    """How hybrid retrieval fuses its two rankings."""

    model_config = ConfigDict(extra="forbid")

    fusion: Literal["rrf", "convex"] = Field(
        default="convex",
        description="`rrf`: reciprocal rank fusion; `convex`: weighted min-max-normalised scores.",
    )
    rrf_k: int = Field(default=60, ge=1, le=1000)
    alpha: float = Field(
        default=0.5, ge=0, le=1, description="`convex`: weight of the vector score."
    )
    candidates: int = Field(
        default=100, ge=10, le=1000, description="Results taken from each side before fusion."
    )


class IndexSettings(BaseModel):
    """Retrieval tuning of an index (our addition)."""

    model_config = ConfigDict(extra="forbid")

    bm25: Bm25Settings = Field(default_factory=Bm25Settings)
    hybrid: HybridSettings = Field(default_factory=HybridSettings)
    mode: Mode = "hybrid"


class IndexCreate(StorableBody):
    """Body of `POST /v1/vector-indices` (`CreateVectorIndex`)."""

    name: Name
    embeddings_model_name: str = Field(
        min_length=1,
        description="A model of the Model Proxy, e.g. `local/all-minilm-l6-v2` (built in).",
    )
    chunk_size: int = Field(
        default=DEFAULT_CHUNK_SIZE, ge=32, le=8192, description="Tokens per chunk."
    )
    chunk_overlap: int = Field(
        default=32, ge=0, le=4096, description="Tokens shared by neighbours."
    )
    top_k: int = Field(default=10, ge=1, le=MAX_TOP_K, description="Default results per query.")
    extraction_strategy: str | None = None
    title: str | None = None
    description: str | None = None
    tags: Tags = Field(default_factory=list)
    collection_ids: list[uuid.UUID] = Field(
        default_factory=list, description="Collections to cover from the start."
    )
    settings: IndexSettings = Field(default_factory=IndexSettings)

    @model_validator(mode="after")
    def _overlap_below_size(self) -> IndexCreate:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self


class IndexUpdate(StorableBody):
    """Body of `PATCH /v1/vector-indices/{id}`: only the keys sent change.

    Changing `chunk_size`, `chunk_overlap` or `embeddings_model_name` re-indexes every document
    (the old chunks answer queries until each document's new ones replace them). `settings`
    is replaced as a whole: parts left out take their defaults.
    """

    name: Name | None = None
    embeddings_model_name: str | None = Field(default=None, min_length=1)
    chunk_size: int | None = Field(default=None, ge=32, le=8192)
    chunk_overlap: int | None = Field(default=None, ge=0, le=4096)
    top_k: int | None = Field(default=None, ge=1, le=MAX_TOP_K)
    extraction_strategy: str | None = None
    title: str | None = None
    description: str | None = None
    tags: Tags | None = None
    settings: IndexSettings | None = None


class AttachCollections(BaseModel):
    """Body of `POST /v1/vector-indices/{id}/collections`."""

    model_config = ConfigDict(extra="forbid")

    collection_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)


class IndexStats(BaseModel):
    """What an index holds."""

    documents: int
    chunks: int
    pending_documents: int


class IndexRead(BaseModel):
    """A vector index as the API returns it (`VectorIndex`)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    title: str | None
    description: str | None
    tags: list[str]
    embeddings_model_name: str | None
    dimensions: int | None
    chunk_size: int
    chunk_overlap: int
    top_k: int
    extraction_strategy: str | None
    status: IndexStatus
    status_detail: dict[str, Any]
    collection_ids: list[uuid.UUID]
    default_for_collection_id: uuid.UUID | None
    settings: IndexSettings
    stats: IndexStats
    created_at: UTCDatetime
    updated_at: UTCDatetime

    @classmethod
    def of(
        cls,
        index: VectorIndex,
        *,
        status: IndexStatus,
        collection_ids: list[uuid.UUID],
        stats: IndexStats,
    ) -> IndexRead:
        """Build from the row and what was computed about it."""
        return cls(
            id=index.id,
            tenant_id=index.tenant_id,
            name=index.name,
            title=index.title,
            description=index.description,
            tags=list(index.tags or []),
            embeddings_model_name=index.embeddings_model_name,
            dimensions=index.dimensions,
            chunk_size=index.chunk_size,
            chunk_overlap=index.chunk_overlap,
            top_k=index.top_k,
            extraction_strategy=index.extraction_strategy,
            status=status,
            status_detail=dict(index.status_detail or {}),
            collection_ids=collection_ids,
            default_for_collection_id=index.default_for_collection_id,
            settings=IndexSettings.model_validate(index.settings or {}),
            stats=stats,
            created_at=index.created_at,
            updated_at=index.updated_at,
        )


class IndexPage(BaseModel):
    """A page of indices."""

    total: int
    limit: int
    offset: int
    data: list[IndexRead]


class TaskRead(BaseModel):
    """The documented background-task object."""

    task_id: uuid.UUID
    task_name: str
    status: Literal["unknown", "started", "completed", "failed"]
    task_obj: dict[str, Any]

    @classmethod
    def of(cls, task: IndexTask) -> TaskRead:
        """From the row."""
        return cls(
            task_id=task.id,
            task_name=task.name,
            status=task.status,
            task_obj={"index_id": str(task.index_id), **dict(task.detail or {})},
        )


MetaValue = str | int | float | bool


class MetaRange(BaseModel):
    """A `meta` filter: a range or a list of values."""

    model_config = ConfigDict(extra="forbid")

    gte: MetaValue | None = None
    lte: MetaValue | None = None
    in_: list[MetaValue] | None = Field(default=None, alias="in", max_length=1000)


class DateRange(BaseModel):
    """A `source_date` filter."""

    model_config = ConfigDict(extra="forbid")

    gte: datetime | None = None
    lte: datetime | None = None


class RetrieveFilters(BaseModel):
    """What results may come from; every filter narrows (AND)."""

    model_config = ConfigDict(extra="forbid")

    collection_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    document_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10000)
    tags: list[str] = Field(default_factory=list, max_length=100, description="All of these.")
    content_types: list[str] = Field(default_factory=list, max_length=100)
    meta: dict[str, MetaValue | MetaRange] = Field(default_factory=dict, max_length=50)
    source_date: DateRange | None = None


class RetrieveRequest(BaseModel):
    """Body of `POST /v1/vector-indices/{id}/retrieve`."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=8000)
    top_k: int | None = Field(default=None, ge=1, le=MAX_TOP_K)
    mode: Mode | None = Field(default=None, description="Default: the index's `settings.mode`.")
    filters: RetrieveFilters = Field(default_factory=RetrieveFilters)
    rerank: bool = Field(
        default=False,
        description="Cross-encoder reranking: not available (400), no model installs offline.",
    )
    min_score: float | None = Field(default=None, description="Drop results scoring below.")
    highlight: bool = Field(default=True, description="Mark query terms in `highlights`.")


class ResultScores(BaseModel):
    """The scores a result got on each side."""

    vector: float | None
    keyword: float | None
    fused: float
    rerank: float | None = None


class ResultDocument(BaseModel):
    """The document a chunk comes from."""

    name: str
    title: str | None
    source_uri: str | None


class RetrieveResult(BaseModel):
    """One retrieved chunk."""

    chunk_id: uuid.UUID
    document_id: uuid.UUID
    collection_id: uuid.UUID
    text: str
    score: float
    scores: ResultScores
    page_number: int | None
    highlights: list[str]
    document: ResultDocument
    metadata: dict[str, Any]


class RetrieveResponse(BaseModel):
    """Ranked chunks and where the time went."""

    results: list[RetrieveResult]
    timings_ms: dict[str, float] = Field(
        description="Milliseconds: `embed` (the query's embedding), `keyword` (hybrid: the BM25"
        " leg, run while the query is embedded), `search` (the statement returning the results:"
        " both legs and their fusion, or the vector leg and the fusion in hybrid) and `total`."
    )


class ChunkRead(BaseModel):
    """A stored chunk (for inspection)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    document_id: uuid.UUID
    collection_id: uuid.UUID
    ord: int
    text: str
    context: str
    heading_path: list[str]
    page_number: int | None
    element_types: list[str]
    language: str
    length: int


class ChunkPage(BaseModel):
    """A page of chunks."""

    total: int
    limit: int
    offset: int
    data: list[ChunkRead]
