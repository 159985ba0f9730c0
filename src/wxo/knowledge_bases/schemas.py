"""Knowledge base bodies, shaped as IBM's `KnowledgeBaseClient` and ADK send and read them.

Fields the server does not interpret (e.g. `conversational_search_tool`, `spec_version`,
`kind`, `representation`) are stored and returned at the top level as they came.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from wxo.core import extras

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
NAME_RULE = (
    "1 to 64 characters: letters, digits, '_' and '-', starting with a letter or '_' (an agent"
    " offers its knowledge bases to its model as tools, and tool names follow this rule), and not"
    " a UUID (knowledge bases are referenced by id or name); unique in the tenant"
)
#: Keys the server sets (or that describe files): never stored as extra fields.
SERVER_KEYS = frozenset(
    {
        *("id", "tenant_id", "created_on", "created_at", "updated_at", "created_by"),
        *("updated_by", "documents", "collection_id", "knowledge_base"),
    }
)


def _not_uuid(value: str) -> str:
    if _UUID.match(value):
        raise ValueError("a name must not be a UUID: knowledge bases are found by id or by name")
    return value


KnowledgeBaseName = Annotated[
    str, Field(pattern=NAME_PATTERN, description=NAME_RULE), AfterValidator(_not_uuid)
]


class KnowledgeBaseCreate(BaseModel):
    """A new knowledge base: the `knowledge_base` form field (JSON) of a multipart create.

    Also the JSON body of `POST /v1/orchestrate/knowledge-bases` (no files).
    """

    model_config = ConfigDict(extra="allow")

    name: KnowledgeBaseName
    description: str | None = Field(
        default=None,
        max_length=10_000,
        description="What the knowledge base holds: an agent's model reads it when choosing to"
        " search it.",
    )


class KnowledgeBaseUpdate(BaseModel):
    """Body of `PATCH /v1/orchestrate/knowledge-bases/{id}`: only the keys sent change.

    An extra field sent as null is removed.
    """

    model_config = ConfigDict(extra="allow")

    name: KnowledgeBaseName | None = None
    description: str | None = Field(default=None, max_length=10_000)


class KnowledgeBaseRead(BaseModel):
    """A knowledge base; extra fields stored with it follow at the top level."""

    model_config = ConfigDict(extra="allow")

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    description: str | None
    prioritize_built_in_index: bool = Field(
        default=True, description="Always true here: the built-in index (ours) is searched."
    )
    collection_id: uuid.UUID = Field(
        description="Ours: the document collection holding the files (GET"
        " /v1/document-collections/{id}); its automatic vector index is what is searched."
    )
    created_on: datetime
    updated_at: datetime
    created_by: uuid.UUID | None


class PlacedFile(BaseModel):
    """What happened to one uploaded file."""

    document_id: uuid.UUID
    filename: str
    outcome: str = Field(
        description="created | versioned | replaced | skipped | rejected | unchanged | removed"
    )
    message: str | None = None


class KnowledgeBaseCreated(KnowledgeBaseRead):
    """The answer to a create: the knowledge base, its id again, and each file's outcome.

    The id is repeated as `knowledge_base` because IBM's ADK reads the new id from there.
    """

    knowledge_base: uuid.UUID
    files: list[PlacedFile] = Field(default_factory=list)


class DocumentCounts(BaseModel):
    """Documents of a knowledge base per state."""

    total: int
    ready: int
    processing: int
    failed: int


class StatusDocument(BaseModel):
    """One document of a knowledge base and where it stands."""

    id: uuid.UUID
    name: str
    status: str = Field(description="queued | extracting | indexing | ready | failed")
    error: str | None = None
    metadata: dict[str, Any] = Field(description="`original_file_name`, as IBM's ADK reads it.")


class KnowledgeBaseStatus(BaseModel):
    """`GET /v1/orchestrate/knowledge-bases/{id}/status`."""

    id: uuid.UUID
    name: str
    status: Literal["ready", "processing", "failed"] = Field(
        description="processing while any document waits or is being extracted or indexed;"
        " then failed if any document failed (the others are searchable), else ready."
    )
    built_in_index_status: Literal["ready", "processing", "error"] = Field(
        description="The same in the vocabulary IBM's ADK polls (ready, error; anything else is"
        " in progress)."
    )
    built_in_index_status_msg: str | None = None
    prioritize_built_in_index: bool = True
    document_counts: DocumentCounts
    documents: list[StatusDocument]


def extra_fields(body: BaseModel) -> dict[str, Any]:
    """The fields of a body that its model does not declare, minus server-managed keys."""
    return extras.extra_fields(body, SERVER_KEYS)
