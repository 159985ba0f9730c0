"""Request dependencies of `POST /v1/extract`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from wxo.api.deps import ContainerDep
from wxo.extraction import service as extraction_service
from wxo.extraction_api.service import ExtractLimits, Extractor
from wxo.webfetch import FetchLimits


async def get_extractor() -> Extractor:
    """The extraction library's `extract` (tests may replace it)."""
    return extraction_service.extract


async def get_extract_limits(container: ContainerDep) -> ExtractLimits:
    """Size and time limits from `documents` settings; URLs follow the fetch settings."""
    documents = container.settings.documents
    return ExtractLimits(
        max_bytes=documents.extract_max_bytes,
        timeout_seconds=documents.extract_timeout_seconds,
        fetch=FetchLimits(
            max_bytes=documents.fetch_byte_limit,
            timeout_seconds=documents.fetch_timeout_seconds,
            max_redirects=documents.fetch_max_redirects,
            allow_networks=tuple(documents.fetch_allow_networks),
        ),
    )


ExtractorDep = Annotated[Extractor, Depends(get_extractor)]
ExtractLimitsDep = Annotated[ExtractLimits, Depends(get_extract_limits)]
