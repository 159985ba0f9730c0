"""Running one refresh run: crawl the web source, re-fetch URL documents, apply the changes.

Per URL: the same content hash → `unchanged` (nothing re-extracted or re-indexed); new bytes →
`updated` (`attach_fetched_file` replaces them and queues only that document); a new page →
`added`; a page answering 404/410, or a crawled page the crawl no longer reaches → `removed`
(`delete_document` removes its chunks from every index). A failing URL is recorded in the
run's errors and the run goes on.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.core.errors import AppError
from wxo.documents import fetched as fetched_documents
from wxo.documents import service as documents
from wxo.documents.models import Document
from wxo.webfetch import Fetched, FetchError, fetch
from wxo.websources import repository
from wxo.websources.crawl import CrawlConfig, Crawler, CrawlOutcome, http_status
from wxo.websources.models import RunStatus, WebSource

logger = logging.getLogger(__name__)
# `source_name` of the documents a crawl created: the crawl manages (and removes) them.
CRAWL_SOURCE_NAME = "wxo-web-source"
MAX_ERRORS = 200  # errors kept per run (the counts go on)


@dataclass
class _Known:
    id: uuid.UUID
    content_hash: str | None
    crawled: bool
    has_bytes: bool


@dataclass
class _Run:
    id: uuid.UUID
    tenant_id: uuid.UUID
    collection_id: uuid.UUID
    known: dict[str, _Known]
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("fetched", "added", "updated", "unchanged", "removed", "failed", "skipped_by_robots"),
            0,
        )
    )
    errors: list[dict[str, Any]] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


class Refresher:
    """Applies fetched pages to the collection's documents, one short transaction each."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        io: documents.DocumentIO,
        run: _Run,
    ) -> None:
        """Bind to one run."""
        self.sessionmaker = sessionmaker
        self.io = io
        self.run = run

    async def error(self, url: str | None, code: str, message: str) -> None:
        """Record a failure (the refresh goes on)."""
        self.run.counts["failed"] += 1
        if len(self.run.errors) < MAX_ERRORS:
            self.run.errors.append({"url": url, "code": code, "message": message})
        await self.heartbeat()

    async def heartbeat(self) -> None:
        """Store the counts so far and show the run is alive."""
        async with self.sessionmaker() as session:
            await repository.set_run(
                session,
                self.run.id,
                {"counts": self.run.counts, "errors": self.run.errors, "heartbeat_at": _now()},
            )
            await session.commit()

    async def page(self, url: str, fetched: Fetched) -> None:
        """Apply one fetched page: unchanged, updated or added."""
        self.run.counts["fetched"] += 1
        digest = hashlib.sha256(fetched.data).hexdigest()
        file = documents.NewFile(fetched.data, fetched.filename, fetched.content_type)
        source = {
            "url": url,
            "final_url": fetched.final_url,
            "redirects": fetched.redirects,
            "content_type": fetched.content_type,
            "bytes": len(fetched.data),
            "finished_at": _now().isoformat(),
            "refresh_run_id": str(self.run.id),
        }
        known = self.run.known.get(url)
        try:
            async with self.sessionmaker() as session:
                if known is not None and known.content_hash == digest:
                    self.run.counts["unchanged"] += 1
                elif known is not None:
                    document = await session.get(Document, known.id, with_for_update=True)
                    if document is None:
                        return
                    await fetched_documents.attach_fetched_file(
                        session, self.io, document, file, source
                    )
                    self.run.counts["updated"] += 1
                else:
                    document = await fetched_documents.add_fetched_document(
                        session,
                        self.io,
                        tenant_id=self.run.tenant_id,
                        collection_id=self.run.collection_id,
                        fields={
                            "name": fetched.filename,
                            "source_uri": url,
                            "source_name": CRAWL_SOURCE_NAME,
                        },
                        file=file,
                        source=source,
                    )
                    self.run.known[url] = _Known(document.id, digest, True, True)
                    self.run.counts["added"] += 1
        except AppError as exc:  # e.g. over the per-file limit
            await self.error(url, exc.code, str(exc))
            return
        await self.heartbeat()

    async def remove(self, url: str) -> None:
        """Delete the document of a URL that disappeared."""
        known = self.run.known.pop(url)
        async with self.sessionmaker() as session:
            document = await session.get(Document, known.id)
            if document is not None:
                await documents.delete_document(session, self.io, document)
                self.run.counts["removed"] += 1

    async def refetch(self, url: str) -> None:
        """Fetch a URL document again (not reached by a crawl)."""
        limits = self.io.fetch
        try:
            fetched = await fetch(
                url,
                max_bytes=limits.max_bytes,
                timeout_seconds=limits.timeout_seconds,
                max_redirects=limits.max_redirects,
                allow_networks=limits.allow_networks,
            )
        except FetchError as exc:
            if http_status(exc) in (404, 410):
                await self.remove(url)
            else:
                await self.error(url, exc.code, exc.message)
            return
        await self.page(url, fetched)


def _config(source: WebSource) -> CrawlConfig:
    return CrawlConfig(
        seed_urls=list(source.seed_urls),
        sitemap_url=source.sitemap_url,
        max_depth=source.max_depth,
        max_pages=source.max_pages,
        max_page_bytes=source.max_page_bytes,
        same_host_only=source.same_host_only,
        include_patterns=list(source.include_patterns),
        exclude_patterns=list(source.exclude_patterns),
    )


async def _apply(refresher: Refresher, source: WebSource | None) -> None:
    run = refresher.run
    outcome = CrawlOutcome()
    if source is not None:
        crawler = Crawler(_config(source), refresher.io.fetch, refresher.page, refresher.error)
        outcome = await crawler.run()
        run.counts["skipped_by_robots"] = len(outcome.disallowed)
        # A crawl that reached nothing (site down, seeds refused) removes nothing.
        if outcome.fetched:
            for url, known in list(run.known.items()):
                if known.crawled and url not in outcome.fetched and url not in outcome.failed:
                    await refresher.remove(url)
    for url, known in list(run.known.items()):
        if url in outcome.fetched or url in outcome.failed or url in outcome.gone:
            continue
        if known.has_bytes and (not known.crawled or source is None):
            await refresher.refetch(url)


async def run_refresh(
    sessionmaker: async_sessionmaker[AsyncSession], io: documents.DocumentIO, run_id: uuid.UUID
) -> str:
    """Run a queued refresh run to its end; return `missing`, `done_already`, `completed`, `failed`."""
    async with sessionmaker() as session:
        row = await repository.get_run(session, None, run_id, lock=True)
        if row is None:
            return "missing"
        if row.status != RunStatus.QUEUED.value:
            return "done_already"  # a redelivered message, or a run the sweeper failed
        row.status = RunStatus.RUNNING.value
        row.started_at = row.heartbeat_at = _now()
        tenant_id, collection_id = row.tenant_id, row.collection_id
        source = await repository.get_web_source(session, tenant_id, collection_id)
        known = {
            d.source_uri: _Known(
                d.id, d.content_hash, d.source_name == CRAWL_SOURCE_NAME, d.blob_key is not None
            )
            for d in await repository.url_documents(session, tenant_id, collection_id)
            if d.source_uri
        }
        await session.commit()
    refresher = Refresher(sessionmaker, io, _Run(run_id, tenant_id, collection_id, known))
    status = RunStatus.COMPLETED
    try:
        await _apply(refresher, source)
    except Exception as exc:
        logger.exception("refresh run %s failed", run_id)
        status = RunStatus.FAILED
        refresher.run.errors.append(
            {"url": None, "code": "internal_error", "message": f"The refresh stopped: {exc}"}
        )
    async with sessionmaker() as session:
        await repository.set_run(
            session,
            run_id,
            {
                "status": status.value,
                "counts": refresher.run.counts,
                "errors": refresher.run.errors,
                "finished_at": _now(),
                "heartbeat_at": _now(),
            },
        )
        await session.commit()
    return status.value
