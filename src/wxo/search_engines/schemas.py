"""Search Engine request and response bodies."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wxo.core.storable import StorableBody
from wxo.documents.schemas import UTCDatetime
from wxo.query_engines.schemas import RefreshSchedule
from wxo.retrieval.schemas import MAX_TOP_K, Mode, RetrieveFilters
from wxo.search_engines.models import SearchEngine

Name = Annotated[str, Field(min_length=1, max_length=256)]
AnswerLength = Literal["concise", "medium", "verbose"]
BUILTIN_FACETS = ("collection", "tags", "content_type")
META_FACET_PREFIX = "meta."
MAX_PAGE_SIZE = 50
MAX_PAGE = 100
#: Highlight tags wrapped around matched query terms in snippets (the only markup there).
HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE = "<mark>", "</mark>"


class AnswerSettings(BaseModel):
    """The generated answer over the results."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        default=False, description="Answer every search (a request's `answer` overrides)."
    )
    model_id: str | None = Field(
        default=None,
        min_length=1,
        description="A chat model of the Model Proxy; none: the server's default, or an"
        " extractive answer when no model is configured.",
    )
    length: AnswerLength = "medium"


def _check_facet(name: str) -> str:
    if name in BUILTIN_FACETS:
        return name
    key = name.removeprefix(META_FACET_PREFIX)
    if name.startswith(META_FACET_PREFIX) and key.strip() and len(key) <= 128:
        return name
    raise ValueError(
        f"unknown facet {name!r}: use 'collection', 'tags', 'content_type' or 'meta.<key>'"
        " (a key of the documents' `meta`, at most 128 characters)"
    )


class EngineSettings(BaseModel):
    """How an engine searches, counts facets and answers."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode | None = Field(
        default=None, description="Retrieval mode; none: each index's own `settings.mode`."
    )
    top_k: int = Field(
        default=100,
        ge=1,
        le=MAX_TOP_K,
        description="Chunks retrieved from each index per search (more when a deep page needs"
        " them: 3 x page x page_size, at most 500). Their documents are the result set that"
        " `total` and the facets count.",
    )
    rerank: bool = Field(
        default=False,
        description="Cross-encoder reranking: refused (400), no cross-encoder installs offline.",
    )
    snippet_chars: int = Field(
        default=240, ge=40, le=2000, description="Longest snippet, in characters of text."
    )
    facets: list[str] = Field(
        default_factory=lambda: list(BUILTIN_FACETS),
        max_length=20,
        description="Facets counted per search: `collection`, `tags`, `content_type`, and"
        " `meta.<key>` for a key of the documents' `meta`.",
    )
    answer: AnswerSettings = Field(default_factory=AnswerSettings)

    @field_validator("facets")
    @classmethod
    def _facets(cls, value: list[str]) -> list[str]:
        checked = [_check_facet(name) for name in value]
        if len(set(checked)) != len(checked):
            raise ValueError("facets must not repeat")
        return checked


class DataManagement(BaseModel):
    """Automated data management of the engine's sources."""

    model_config = ConfigDict(extra="forbid")

    refresh_schedule: RefreshSchedule = None


IndexIds = Annotated[list[uuid.UUID], Field(min_length=1, max_length=20)]


class EngineCreate(StorableBody):
    """Body of `POST /v1/search-engines`."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="Unique among the tenant's search engines.")
    title: str | None = Field(default=None, max_length=1024)
    description: str | None = Field(default=None, max_length=10_000)
    index_ids: IndexIds = Field(description="The tenant's vector indices to search, in order.")
    settings: EngineSettings = Field(default_factory=EngineSettings)
    data_management: DataManagement = Field(default_factory=DataManagement)

    @field_validator("index_ids")
    @classmethod
    def _unique(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(value)) != len(value):
            raise ValueError("index_ids must not repeat")
        return value


class EngineUpdate(StorableBody):
    """Body of `PATCH /v1/search-engines/{id}`: only the keys sent change.

    `settings` and `data_management` are each replaced as a whole (parts left out take their
    defaults).
    """

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    title: str | None = Field(default=None, max_length=1024)
    description: str | None = Field(default=None, max_length=10_000)
    index_ids: IndexIds | None = None
    settings: EngineSettings | None = None
    data_management: DataManagement | None = None

    @field_validator("index_ids")
    @classmethod
    def _unique(cls, value: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("index_ids must not repeat")
        return value


class EngineRead(BaseModel):
    """A search engine as the API returns it."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    title: str | None
    description: str | None
    index_ids: list[uuid.UUID]
    settings: EngineSettings
    data_management: DataManagement
    created_by: uuid.UUID | None
    created_at: UTCDatetime
    updated_at: UTCDatetime

    @classmethod
    def of(
        cls, engine: SearchEngine, index_ids: list[uuid.UUID], refresh_schedule: str | None = None
    ) -> EngineRead:
        """From the row, its indices and its refresh schedule (cron)."""
        return cls(
            id=engine.id,
            tenant_id=engine.tenant_id,
            name=engine.name,
            title=engine.title,
            description=engine.description,
            index_ids=index_ids,
            settings=EngineSettings.model_validate(engine.settings or {}),
            data_management=DataManagement.model_construct(refresh_schedule=refresh_schedule),
            created_by=engine.created_by,
            created_at=engine.created_at,
            updated_at=engine.updated_at,
        )


class EnginePage(BaseModel):
    """A page of search engines."""

    total: int
    limit: int
    offset: int
    data: list[EngineRead]


class SearchRequest(BaseModel):
    """Body of `POST /v1/search-engines/{id}/search`."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=2000)
    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="1-based.")
    page_size: int = Field(default=10, ge=1, le=MAX_PAGE_SIZE)
    filters: RetrieveFilters = Field(
        default_factory=RetrieveFilters, description="As in vector-index retrieval."
    )
    answer: bool | None = Field(
        default=None,
        description="Generate an answer from the results; none: the engine's"
        " `settings.answer.enabled`.",
    )

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("query must not be blank")
        if "\x00" in value:
            raise ValueError("query must not contain NUL characters")
        return value


class SearchResult(BaseModel):
    """One document in the results: its best-matching chunk."""

    rank: int = Field(description="1-based position in the whole result set.")
    title: str = Field(description="The document's title, or its name (plain text, not HTML).")
    url: str | None = Field(description="The document's `source_uri` (null when it has none).")
    snippet: str = Field(
        description="HTML: the chunk's text, escaped, at most `snippet_chars` long (plus `…` where"
        " cut), with query terms (as stemmed for search) in `<mark>…</mark>`."
    )
    score: float = Field(description="The retrieval score of the best chunk.")
    document_id: uuid.UUID
    chunk_id: uuid.UUID
    collection_id: uuid.UUID
    index_id: uuid.UUID
    page_number: int | None
    document_name: str
    content_type: str | None
    matching_chunks: int = Field(description="Chunks of this document among the candidates.")


class ResultMetadata(BaseModel):
    """`search_results[].result_metadata` of the conversational_search item."""

    score: float
    document_retrieval_source: str


class ConversationalSearchResult(BaseModel):
    """A passage the answer was generated from."""

    url: str | None
    body: str
    title: str
    result_metadata: ResultMetadata


class ConversationalCitation(BaseModel):
    """A span of the answer and the passage it cites."""

    url: str | None
    body: str
    text: str
    title: str
    range_start: int
    range_end: int
    search_result_idx: int | None


class ConfidenceScores(BaseModel):
    """How sure the answer and the retrieval are (0..1)."""

    response_confidence: float | None
    response_confidence_threshold: float | None
    retrieval_confidence: float | None
    retrieval_confidence_threshold: float | None


class ConversationalSearch(BaseModel):
    """The `conversational_search` content item (threads.md §4), ready for an assistant."""

    response_type: Literal["conversational_search"] = "conversational_search"
    text: str
    citations: list[ConversationalCitation]
    search_results: list[ConversationalSearchResult]
    citations_title: str
    response_length_option: AnswerLength
    confidence_scores: ConfidenceScores
    model_id: str | None = Field(default=None, description="Ours: the model that answered.")
    extractive: bool = Field(default=False, description="Ours: quoted, not generated.")
    note: str | None = Field(default=None, description="Ours: e.g. why the answer is extractive.")


class SearchResponse(BaseModel):
    """A page of results, facet counts and, when asked, an answer."""

    query: str
    page: int
    page_size: int
    total: int = Field(
        description="Documents in the result set: the distinct documents of the chunks"
        " retrieved (see `settings.top_k`)."
    )
    total_relation: Literal["eq", "gte"] = Field(
        description="`eq`: every matching chunk was retrieved, `total` is exact; `gte`: an index"
        " had more matches than were retrieved, `total` is a lower bound."
    )
    has_more: bool = Field(
        description="A next page may hold results: the result set goes on after this page, or"
        " an index had more matches than were retrieved (the next page retrieves deeper)."
    )
    results: list[SearchResult]
    facets: dict[str, dict[str, int]] = Field(
        description="Per configured facet: value → number of documents of the result set (all"
        " pages, not only this one) with that value; most frequent first. `collection` counts by"
        " collection id, `tags` counts each tag, `meta.<key>` each scalar value (or each item of"
        " a list)."
    )
    facet_labels: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Names for facet values that are ids: `collection` id → collection name.",
    )
    answer: ConversationalSearch | None = None
    timings_ms: dict[str, float]


class Suggestion(BaseModel):
    """One completion."""

    text: str
    source: Literal["title", "heading", "keyword"]
    documents: int = Field(description="Documents it comes from.")


class SuggestResponse(BaseModel):
    """Completions of a prefix, best first."""

    query: str
    suggestions: list[Suggestion]
