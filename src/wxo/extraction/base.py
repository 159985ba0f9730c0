"""The extraction contract: what the Document Store pipeline gets from any extraction backend.

`extract(data, filename=..., declared_type=...)` (in `wxo.extraction.service`) turns one file's
bytes into an `Extraction`, or raises `ExtractionError` with a code and a message a user can act
on. It never touches the database, the network or the blob store: callers store the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Element:
    """One ordered piece of a document.

    `type` follows Unstructured's vocabulary (`Title`, `NarrativeText`, `ListItem`, `Table`,
    `Image`, `Header`, `Footer`, `PageBreak`, `CodeSnippet`, `Formula`, `EmailAddress`, ...).
    """

    id: str  # stable within the document: the same bytes give the same ids
    type: str
    text: str
    order: int
    page_number: int | None = None
    parent_id: str | None = None  # the heading (Title) this element sits under
    html: str | None = None  # tables
    metadata: dict[str, Any] = field(default_factory=dict)  # e.g. heading level, image_id


@dataclass(frozen=True)
class ExtractedImage:
    """An image found in the document, with its bytes."""

    id: str
    mime_type: str
    data: bytes
    page_number: int | None = None
    width: int | None = None
    height: int | None = None
    caption: str | None = None


@dataclass(frozen=True)
class Keyword:
    """A key phrase and its score (higher is more important)."""

    text: str
    score: float


@dataclass(frozen=True)
class Entity:
    """A named entity and how often it occurs."""

    text: str
    label: str
    count: int


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one document."""

    content_type: str  # sniffed from the bytes, not trusted from the name
    elements: list[Element]
    text: str  # clean plain text
    markdown: str  # headings, lists and tables kept
    images: list[ExtractedImage] = field(default_factory=list)
    page_count: int | None = None
    title: str | None = None
    language: str | None = None  # ISO 639-1, e.g. "en"
    keywords: list[Keyword] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Annotation(NamedTuple):
    """A document's keywords and named entities, and what was guessed while finding them."""

    keywords: list[Keyword]
    entities: list[Entity]
    warnings: list[str]


class ExtractionError(Exception):
    """The document cannot be extracted.

    `code` is machine readable (`unsupported_format`, `encrypted`, `corrupted`, `empty`,
    `too_large`, `ocr_unavailable`, `zip_bomb`, `timeout`); `message` is for the user;
    `permanent` is False only for failures worth retrying (none of the above are).
    """

    def __init__(self, code: str, message: str, *, permanent: bool = True) -> None:
        """Name the failure."""
        super().__init__(message)
        self.code = code
        self.message = message
        self.permanent = permanent
