"""Synchronous, unstored extraction of one file or URL, bounded in size and time.

The extractor is CPU-bound library code: it runs in a worker thread (`anyio.to_thread`) so the
event loop keeps serving other requests, under a time limit. Python cannot kill a thread: on
timeout the request answers at once and the abandoned thread finishes in the background, its
result dropped (the size bound keeps that work finite).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import anyio
import anyio.to_thread

from wxo import webfetch
from wxo.extraction.base import Extraction, ExtractionError
from wxo.extraction_api.exceptions import InputTooLargeError
from wxo.extraction_api.schemas import (
    ExtractedElement,
    ExtractedEntity,
    ExtractedImageInfo,
    ExtractedKeyword,
    ExtractedMetadata,
    ExtractResult,
    Part,
)

Extractor = Callable[..., Extraction]  # `wxo.extraction.service.extract`'s signature


@dataclass(frozen=True)
class ExtractLimits:
    """Largest input, longest extraction, and how URLs are fetched."""

    max_bytes: int
    timeout_seconds: float
    fetch: webfetch.FetchLimits = field(default_factory=webfetch.FetchLimits)


@dataclass(frozen=True)
class Source:
    """The bytes to extract and what is known about them."""

    data: bytes
    filename: str | None
    content_type: str | None
    url: str | None = None


def check_size(size: int, limits: ExtractLimits) -> None:
    """Raise `InputTooLargeError` over the limit."""
    if size > limits.max_bytes:
        raise InputTooLargeError(
            f"The input is larger than the limit of {limits.max_bytes} bytes for synchronous "
            "extraction; add it to a document collection instead (processed in the background)."
        )


async def fetch_source(url: str, limits: ExtractLimits) -> Source:
    """Download `url` under the fetch rules, capped at the extraction size limit.

    Raises:
        webfetch.FetchError: the URL cannot be fetched (`too_large` over the limit).
    """
    fetched = await webfetch.fetch(
        url,
        max_bytes=min(limits.max_bytes, limits.fetch.max_bytes),
        timeout_seconds=limits.fetch.timeout_seconds,
        max_redirects=limits.fetch.max_redirects,
        allow_networks=limits.fetch.allow_networks,
    )
    return Source(fetched.data, fetched.filename, fetched.content_type, url=fetched.final_url)


async def extract_source(source: Source, limits: ExtractLimits, extractor: Extractor) -> Extraction:
    """Run the extractor in a worker thread, at most `limits.timeout_seconds`.

    Raises:
        InputTooLargeError: the bytes are over the limit.
        ExtractionError: the extractor's own errors, or `timeout`.
    """
    check_size(len(source.data), limits)
    work = partial(
        extractor, source.data, filename=source.filename, declared_type=source.content_type
    )
    try:
        with anyio.fail_after(limits.timeout_seconds):
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except TimeoutError:
        raise ExtractionError(
            "timeout",
            f"Extraction took longer than {limits.timeout_seconds:g} seconds; add the file to "
            "a document collection instead (processed in the background).",
        ) from None


def shape(source: Source, result: Extraction, include: Sequence[Part]) -> ExtractResult:
    """The response: always the summary fields, and the parts asked for."""
    body = ExtractResult(
        content_type=result.content_type,
        filename=source.filename,
        source_url=source.url,
        size_bytes=len(source.data),
        page_count=result.page_count,
        warnings=list(result.warnings),
    )
    wanted = set(include)
    if "elements" in wanted:
        body.elements = [
            ExtractedElement.model_validate(e, from_attributes=True)
            for e in sorted(result.elements, key=lambda e: e.order)
        ]
    if "text" in wanted:
        body.text = result.text
    if "markdown" in wanted:
        body.markdown = result.markdown
    if "images" in wanted:
        body.images = [
            ExtractedImageInfo(
                id=i.id,
                page_number=i.page_number,
                mime_type=i.mime_type,
                width=i.width,
                height=i.height,
                caption=i.caption,
                size_bytes=len(i.data),
            )
            for i in result.images
        ]
    if "metadata" in wanted:
        body.metadata = ExtractedMetadata(
            language=result.language,
            title=result.title,
            keywords=[ExtractedKeyword(text=k.text, score=k.score) for k in result.keywords],
            entities=[
                ExtractedEntity(text=e.text, label=e.label, count=e.count) for e in result.entities
            ],
        )
    return body
