"""Request and response bodies of `POST /v1/extract`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from wxo.documents.schemas import ElementRead

Part = Literal["elements", "text", "markdown", "images", "metadata"]
ALL_PARTS: tuple[Part, ...] = ("elements", "text", "markdown", "images", "metadata")


class ExtractOptions(BaseModel):
    """What to return (everything by default)."""

    model_config = ConfigDict(extra="forbid")

    include: list[Part] = Field(
        default_factory=lambda: list(ALL_PARTS),
        description="Parts of the result to return: elements, text, markdown, images "
        "(metadata only, no bytes), metadata.",
    )


class ExtractUrlRequest(BaseModel):
    """JSON body: extract the document at `url` (fetched with the server's URL safety rules)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, description="An http:// or https:// URL.")
    options: ExtractOptions = Field(default_factory=ExtractOptions)


ExtractedElement = ElementRead
"""One element, exactly as `GET /v1/documents/{id}/elements` returns it."""


class ExtractedImageInfo(BaseModel):
    """An image found in the document (its bytes are not returned here)."""

    id: str
    page_number: int | None
    mime_type: str
    width: int | None
    height: int | None
    caption: str | None
    size_bytes: int


class ExtractedKeyword(BaseModel):
    """A key phrase and its score."""

    text: str
    score: float


class ExtractedEntity(BaseModel):
    """A named entity and how often it occurs."""

    text: str
    label: str
    count: int


class ExtractedMetadata(BaseModel):
    """Language, title, keywords and entities (no LLM summary or questions here)."""

    language: str | None
    title: str | None
    keywords: list[ExtractedKeyword]
    entities: list[ExtractedEntity]


class ExtractResult(BaseModel):
    """The extraction of one file or URL; parts not asked for in `include` are left out."""

    content_type: str = Field(description="Sniffed from the bytes.")
    filename: str | None
    source_url: str | None = Field(default=None, description="The final URL, after redirects.")
    size_bytes: int
    page_count: int | None
    warnings: list[str]
    elements: list[ExtractedElement] | None = None
    text: str | None = None
    markdown: str | None = None
    images: list[ExtractedImageInfo] | None = None
    metadata: ExtractedMetadata | None = None
