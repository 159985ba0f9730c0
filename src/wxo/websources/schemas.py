"""Request and response bodies of web sources and refresh runs."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wxo.websources.cron import check_cron

_URL = re.compile(r"^https?://", re.IGNORECASE)
MAX_PATTERNS = 50


def _http_url(value: str) -> str:
    value = value.strip()
    if not _URL.match(value):
        raise ValueError(f"'{value}' must be an http:// or https:// URL")
    return value


class WebSourceWrite(BaseModel):
    """`PUT /v1/document-collections/{collection_id}/web-source`."""

    model_config = ConfigDict(extra="forbid")

    seed_urls: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Pages the crawl starts from (depth 0). http(s) only; each is checked by the "
        "URL-safety rules (no loopback, private or link-local address unless allow-listed).",
    )
    sitemap_url: str | None = Field(
        default=None,
        description="A sitemap (or sitemap index) whose <loc> URLs are crawled at depth 0.",
    )
    max_depth: int = Field(
        default=2, ge=0, le=10, description="Links followed from a seed: 0 = the seeds only."
    )
    max_pages: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Page fetches per crawl at most (failed fetches count; robots.txt and sitemaps do not).",
    )
    max_page_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=1,
        description="A page larger than this is skipped and recorded as an error (`too_large`); "
        "never more than the server's fetch limit.",
    )
    same_host_only: bool = Field(
        default=True, description="Follow links only to the host of the seed or sitemap."
    )
    include_patterns: list[str] = Field(
        default_factory=list,
        max_length=MAX_PATTERNS,
        description="Regular expressions (Python `re.search` on the full URL): when given, only "
        "URLs matching one of them are fetched (seeds and sitemap entries always are).",
    )
    exclude_patterns: list[str] = Field(
        default_factory=list,
        max_length=MAX_PATTERNS,
        description="Regular expressions: URLs matching any of them are not fetched.",
    )
    refresh_schedule: str | None = Field(
        default=None,
        description="5-field cron expression (UTC), e.g. `0 3 * * *`: the collection is refreshed "
        "(re-crawled, URL documents re-fetched) on this schedule. Null: no schedule.",
    )

    @field_validator("seed_urls")
    @classmethod
    def _seeds(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(_http_url(v) for v in value))

    @field_validator("sitemap_url")
    @classmethod
    def _sitemap(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("include_patterns", "exclude_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"'{pattern}' is not a regular expression: {exc}") from None
        return value

    @field_validator("refresh_schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else check_cron(value)

    @model_validator(mode="after")
    def _something_to_crawl(self) -> WebSourceWrite:
        if not self.seed_urls and not self.sitemap_url:
            raise ValueError("give seed_urls, a sitemap_url, or both")
        return self


class WebSourceRead(BaseModel):
    """A collection's web source."""

    collection_id: uuid.UUID
    seed_urls: list[str]
    sitemap_url: str | None
    max_depth: int
    max_pages: int
    max_page_bytes: int
    same_host_only: bool
    include_patterns: list[str]
    exclude_patterns: list[str]
    refresh_schedule: str | None
    next_refresh_at: datetime | None = Field(description="When the schedule runs next (UTC).")
    created_at: datetime
    updated_at: datetime


class RunError(BaseModel):
    """One failure of a refresh; the refresh went on."""

    url: str | None
    code: str = Field(
        description="`blocked_address`, `http_error`, `too_large`, `timeout`, "
        "`connection_failed`, `too_many_redirects`, `bad_url`, `off_host_redirect`, ..."
    )
    message: str


class RunCounts(BaseModel):
    """What a refresh did."""

    fetched: int = Field(0, description="Pages and URL documents downloaded.")
    added: int = Field(0, description="New documents (pages not seen before).")
    updated: int = Field(0, description="Documents whose content changed: re-processed.")
    unchanged: int = Field(0, description="Same content hash: nothing re-extracted or re-indexed.")
    removed: int = Field(0, description="Documents deleted: 404/410, or no longer reached.")
    failed: int = Field(0, description="Fetches that failed (see `errors`).")
    skipped_by_robots: int = Field(0, description="URLs robots.txt disallows.")


class RefreshRunRead(BaseModel):
    """`GET /v1/refresh-runs/{run_id}`."""

    id: uuid.UUID
    collection_id: uuid.UUID
    schedule_id: uuid.UUID | None
    trigger: str = Field(description="`manual` (the refresh route) or `schedule`.")
    status: str = Field(description="`queued`, `running`, `completed` or `failed`.")
    counts: RunCounts
    errors: list[RunError]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, run: Any) -> RefreshRunRead:
        """From a `RefreshRun` row."""
        return cls(
            id=run.id,
            collection_id=run.collection_id,
            schedule_id=run.schedule_id,
            trigger=run.trigger,
            status=run.status,
            counts=RunCounts.model_validate(run.counts or {}),
            errors=[RunError.model_validate(e) for e in run.errors or []],
            created_at=run.created_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
        )


class RefreshRunPage(BaseModel):
    """`GET /v1/refresh-runs`."""

    total: int
    limit: int
    offset: int
    data: list[RefreshRunRead]
