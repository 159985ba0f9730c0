"""Query Engine request and response bodies."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from wxo.core.storable import StorableBody
from wxo.documents.schemas import UTCDatetime
from wxo.query_engines.cron import check_cron
from wxo.query_engines.models import QueryEngine
from wxo.retrieval.schemas import Mode, RetrieveFilters
from wxo.websources.cron import check_cron as schedule_cron

Name = Annotated[str, Field(min_length=1, max_length=256)]
Pattern = Literal[
    "multi_query", "hyde", "sub_question", "sentence_window", "auto_merging", "recency"
]
SynthesisMode = Literal["compact", "refine", "tree_summarize", "extractive"]
Length = Literal["concise", "medium", "verbose"]
MAX_TOP_K = 50


class Rerank(BaseModel):
    """Cross-encoder reranking of the retrieved chunks: not available on this server."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        default=False,
        description="Refused (400) when true: no cross-encoder model installs offline. Hybrid"
        " retrieval already fuses BM25 and vector ranks.",
    )
    top_n: int | None = Field(default=None, ge=1, le=MAX_TOP_K)


class RetrievalConfig(BaseModel):
    """How passages are found."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode | None = Field(
        default=None, description="`hybrid`, `vector` or `keyword`; none: each index's own."
    )
    top_k: int = Field(
        default=5,
        ge=1,
        le=MAX_TOP_K,
        description="Chunks retrieved (per index and query, then merged by score and cut to"
        " `top_k`); `sentence_window` and `auto_merging` add neighbours of these.",
    )
    rerank: Rerank = Field(default_factory=Rerank)
    patterns: list[Pattern] = Field(
        default_factory=list,
        description="Combinable. `multi_query` (2 model-written rewrites, fused by reciprocal"
        " rank), `hyde` (a model-written hypothetical answer is retrieved too), `sub_question`"
        " (the model splits the question; each part is retrieved), `sentence_window` (each hit"
        " brings the chunk before and after it), `auto_merging` (when 2 of a parent's 4"
        " consecutive chunks are hits, the whole parent is used), `recency` (scores x (0.5 +"
        " 0.5 x 2^(-age/180 days)), age of the source date or upload). The first three need a"
        " generative model: with only the extractive one they are skipped and listed in"
        " `skipped_patterns`.",
    )

    @field_validator("patterns")
    @classmethod
    def _unique(cls, value: list[Pattern]) -> list[Pattern]:
        if len(set(value)) != len(value):
            raise ValueError("patterns must not repeat")
        return value


class SynthesisConfig(BaseModel):
    """How the answer is written."""

    model_config = ConfigDict(extra="forbid")

    mode: SynthesisMode = Field(
        default="compact",
        description="`compact`: passages packed into as few model calls as fit; `refine`: the"
        " answer is refined passage group by group; `tree_summarize`: answers per group, then"
        " one answer of those; `extractive`: the best-matching sentences quoted verbatim (also"
        " used whenever no chat model is configured).",
    )
    citations: bool = Field(default=True, description="Return citations (false: none).")
    system_prompt: str | None = Field(
        default=None, max_length=8000, description="Added to our citation instructions."
    )
    max_tokens: int | None = Field(default=None, ge=1, le=8192, description="Per model call.")
    length: Length = Field(default="medium", description="Answer length asked for.")


def _cron(value: str | None) -> str | None:
    # Ours first (it says which field is wrong), then the scheduler's own (croniter).
    return None if value is None else schedule_cron(check_cron(value))


#: An engine's `data_management.refresh_schedule` (query and search engines alike).
RefreshSchedule = Annotated[
    str | None,
    Field(
        max_length=200,
        description="Cron (5 fields, UTC, or `@daily`-style) for the scheduled refresh of the"
        " collections of the engine's indices: URL documents re-fetched, web sources"
        " re-crawled, changed documents re-indexed, vanished ones removed (each refresh is"
        " listed at `/v1/refresh-runs`); null: no schedule.",
    ),
    AfterValidator(_cron),
]


class DataManagement(BaseModel):
    """Automated data management of the engine's sources."""

    model_config = ConfigDict(extra="forbid")

    refresh_schedule: RefreshSchedule = None
    reindex_on_change: bool = Field(
        default=True, description="Changed documents are re-indexed (always so here)."
    )


IndexIds = Annotated[list[uuid.UUID], Field(min_length=1, max_length=20)]


def _unique_ids(value: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
    if value is not None and len(set(value)) != len(value):
        raise ValueError("index_ids must not repeat")
    return value


class QueryEngineCreate(StorableBody):
    """Body of `POST /v1/query-engines`."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="Unique among the tenant's query engines.")
    title: str | None = Field(default=None, max_length=1024)
    description: str | None = Field(default=None, max_length=10_000)
    index_ids: IndexIds = Field(description="The tenant's vector indices to retrieve from.")
    model_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        description="A chat model of the Model Proxy (checked on save); none: the tenant's"
        " default chat model, or extractive answers when there is none.",
    )
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    synthesis: SynthesisConfig = Field(default_factory=SynthesisConfig)
    data_management: DataManagement = Field(default_factory=DataManagement)

    _ids = field_validator("index_ids")(_unique_ids)


class QueryEngineUpdate(StorableBody):
    """Body of `PATCH /v1/query-engines/{id}`: only the keys sent change.

    `retrieval`, `synthesis` and `data_management` are each replaced as a whole (parts left
    out take their defaults); `model_id: null` returns to the tenant's default.
    """

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    title: str | None = Field(default=None, max_length=1024)
    description: str | None = Field(default=None, max_length=10_000)
    index_ids: IndexIds | None = None
    model_id: str | None = Field(default=None, min_length=1, max_length=512)
    retrieval: RetrievalConfig | None = None
    synthesis: SynthesisConfig | None = None
    data_management: DataManagement | None = None

    _ids = field_validator("index_ids")(_unique_ids)


class QueryEngineRead(BaseModel):
    """A query engine as the API returns it."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    title: str | None
    description: str | None
    index_ids: list[uuid.UUID]
    model_id: str | None
    retrieval: RetrievalConfig
    synthesis: SynthesisConfig
    data_management: DataManagement
    created_by: uuid.UUID | None
    created_at: UTCDatetime
    updated_at: UTCDatetime

    @classmethod
    def of(cls, engine: QueryEngine, index_ids: list[uuid.UUID]) -> QueryEngineRead:
        """From the row and its indices."""
        config: dict[str, Any] = dict(engine.config or {})
        return cls(
            id=engine.id,
            tenant_id=engine.tenant_id,
            name=engine.name,
            title=engine.title,
            description=engine.description,
            index_ids=index_ids,
            model_id=engine.model_id,
            retrieval=RetrievalConfig.model_validate(config.get("retrieval", {})),
            synthesis=SynthesisConfig.model_validate(config.get("synthesis", {})),
            data_management=DataManagement.model_validate(config.get("data_management", {})),
            created_by=engine.created_by,
            created_at=engine.created_at,
            updated_at=engine.updated_at,
        )


class QueryEnginePage(BaseModel):
    """A page of query engines."""

    total: int
    limit: int
    offset: int
    data: list[QueryEngineRead]


class QueryRequest(BaseModel):
    """Body of `POST /v1/query-engines/{id}/query`."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=4000)
    filters: RetrieveFilters = Field(
        default_factory=RetrieveFilters, description="As in vector-index retrieval."
    )
    stream: bool = Field(
        default=False,
        description="Server-Sent Events: `retrieval` (sources), `delta` (answer text pieces),"
        " `citations`, then `done` (the whole response body), or `error`.",
    )
    thread_id: uuid.UUID | None = Field(
        default=None,
        description="A thread of the tenant: the question (user) and the answer (assistant, a"
        " `conversational_search` content item) are appended to it.",
    )

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("query must not be blank")
        if "\x00" in value:
            raise ValueError("query must not contain NUL characters")
        return value


class CitationRead(BaseModel):
    """A span of a retrieved chunk that supports the answer."""

    document_id: uuid.UUID
    chunk_id: uuid.UUID
    title: str | None
    url: str | None
    text: str = Field(description="Exactly `chunk.text[range_start:range_end]`.")
    range_start: int = Field(description="Character offset into the chunk's text (0-based).")
    range_end: int = Field(description="Exclusive end offset into the chunk's text.")
    source_index: int = Field(description="0-based position in `sources` (the `[n]` is n-1).")


class SourceRead(BaseModel):
    """A passage the answer was written from (numbered `[1]`.. in that order)."""

    document_id: uuid.UUID
    chunk_id: uuid.UUID
    title: str | None
    url: str | None
    text: str
    score: float
    role: Literal["hit", "window", "merged"] = Field(
        description="`hit`: retrieved; `window`: a neighbour (sentence_window); `merged`: a"
        " sibling in an auto-merged parent."
    )


class SkippedPattern(BaseModel):
    """A configured pattern that did not run, and why."""

    pattern: str
    reason: str


class SubAnswer(BaseModel):
    """A part of the question (`sub_question`) and the model's answer to it."""

    question: str
    answer: str


class UsageRead(BaseModel):
    """Model tokens spent on this query (every call: rewrites, HyDE, synthesis)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class QueryResponse(BaseModel):
    """An answer, its citations and sources."""

    answer: str
    citations: list[CitationRead]
    sources: list[SourceRead]
    timings_ms: dict[str, float] = Field(
        description="Milliseconds: `retrieval` (patterns included, model calls of multi_query /"
        " hyde / sub_question too), `retrieve_*` (the index searches' own timings, summed over"
        " indices and queries), `synthesis` (writing the answer) and `total`."
    )
    usage: UsageRead | None = Field(description="None for extractive answers (no model ran).")
    model_id: str = Field(description="The model that answered (`local/extractive` if quoted).")
    extractive: bool = Field(description="True: quoted from the sources, not generated.")
    note: str | None = Field(description="E.g. why the answer is extractive.")
    patterns: list[str] = Field(description="The patterns that ran.")
    skipped_patterns: list[SkippedPattern]
    queries: list[str] = Field(description="Every query text retrieval was run with.")
    sub_questions: list[str]
    sub_answers: list[SubAnswer] = Field(
        default_factory=list,
        description="`sub_question`: each part answered from its own best passages; the final"
        " answer is written with these as notes (its citations point into the sources).",
    )
    thread_message_ids: list[str] = Field(
        default_factory=list, description="With `thread_id`: the user and assistant messages."
    )
