"""Web source, schedule and refresh-run use-cases.

The crawl itself is in `wxo.websources.crawl` and applying it to the collection in
`wxo.websources.refresh`; this module stores configurations, creates runs and claims schedules.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.core.config import DocumentSettings
from wxo.documents.models import DocumentCollection
from wxo.queue.base import Queue
from wxo.webfetch import FetchError, check_url
from wxo.websources import repository
from wxo.websources.cron import check_cron, next_run
from wxo.websources.exceptions import (
    InvalidWebSourceError,
    RefreshRunNotFoundError,
    WebSourceNotFoundError,
)
from wxo.websources.models import OwnerKind, RefreshRun, RunStatus, WebSource
from wxo.websources.schemas import WebSourceRead, WebSourceWrite

logger = logging.getLogger(__name__)

REFRESH_TASK = "wxo.websources.refresh"
TICK_TASK = "wxo.websources.tick"
# Schedules one tick claims at most (the next tick takes the rest).
TICK_BATCH = 100


# --- web sources ------------------------------------------------------------------------------


def _check_urls(body: WebSourceWrite, allow_networks: Sequence[str]) -> None:
    for field, url in [
        *(("seed_urls", u) for u in body.seed_urls),
        ("sitemap_url", body.sitemap_url),
    ]:
        if url is None:
            continue
        try:
            check_url(url, allow_networks)
        except FetchError as exc:
            raise InvalidWebSourceError(f"{field}: {exc.message}") from None


async def put_web_source(
    session: AsyncSession,
    settings: DocumentSettings,
    principal: TenantPrincipal,
    collection: DocumentCollection,
    body: WebSourceWrite,
) -> WebSourceRead:
    """Create or replace the collection's web source and its schedule; commit.

    Raises:
        InvalidWebSourceError: a URL is an IP literal the server does not fetch from (host
            names are checked again at every fetch, after DNS).
    """
    _check_urls(body, settings.fetch_allow_networks)
    values = body.model_dump(exclude={"refresh_schedule"})
    values["max_page_bytes"] = min(body.max_page_bytes, settings.fetch_byte_limit)
    await repository.upsert_web_source(session, principal.tenant_id, collection.id, values)
    await _set_schedule(
        session,
        principal.tenant_id,
        OwnerKind.COLLECTION.value,
        collection.id,
        body.refresh_schedule,
        collection_ids=[collection.id],
        index_ids=[],
    )
    await session.commit()
    return await get_web_source(session, principal, collection)


async def get_web_source(
    session: AsyncSession, principal: TenantPrincipal, collection: DocumentCollection
) -> WebSourceRead:
    """The collection's web source with its schedule. Raises `WebSourceNotFoundError`."""
    source = await repository.get_web_source(session, principal.tenant_id, collection.id)
    if source is None:
        raise WebSourceNotFoundError
    schedule = await repository.get_schedule(
        session, principal.tenant_id, OwnerKind.COLLECTION.value, collection.id
    )
    return _read(
        source, schedule.cron if schedule else None, schedule.next_run_at if schedule else None
    )


def _read(source: WebSource, cron: str | None, next_at: datetime | None) -> WebSourceRead:
    return WebSourceRead(
        collection_id=source.collection_id,
        seed_urls=list(source.seed_urls),
        sitemap_url=source.sitemap_url,
        max_depth=source.max_depth,
        max_pages=source.max_pages,
        max_page_bytes=source.max_page_bytes,
        same_host_only=source.same_host_only,
        include_patterns=list(source.include_patterns),
        exclude_patterns=list(source.exclude_patterns),
        refresh_schedule=cron,
        next_refresh_at=next_at,
        created_at=source.created_at,
        updated_at=source.updated_at,
    )


async def delete_web_source(
    session: AsyncSession, principal: TenantPrincipal, collection: DocumentCollection
) -> None:
    """Remove the web source and the collection's schedule (its documents stay); commit."""
    source = await repository.get_web_source(session, principal.tenant_id, collection.id)
    if source is None:
        raise WebSourceNotFoundError
    await repository.delete_web_source(session, source)
    await repository.delete_schedule(
        session, principal.tenant_id, OwnerKind.COLLECTION.value, collection.id
    )
    await session.commit()


# --- schedules --------------------------------------------------------------------------------


async def _set_schedule(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    owner_kind: str,
    owner_id: uuid.UUID,
    cron: str | None,
    *,
    collection_ids: Sequence[uuid.UUID],
    index_ids: Sequence[uuid.UUID],
) -> None:
    if cron is None:
        await repository.delete_schedule(session, tenant_id, owner_kind, owner_id)
        return
    expression = check_cron(cron)
    await repository.upsert_schedule(
        session,
        tenant_id,
        owner_kind,
        owner_id,
        {
            "cron": expression,
            "collection_ids": [str(c) for c in collection_ids],
            "index_ids": [str(i) for i in index_ids],
            "next_run_at": next_run(expression, datetime.now(UTC)),
            "enabled": True,
        },
    )


async def set_engine_schedule(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    owner_kind: str,
    owner_id: uuid.UUID,
    cron: str | None,
    index_ids: list[uuid.UUID],
) -> None:
    """Set (or with `cron=None` remove) the refresh schedule of a query or search engine.

    Each time the schedule fires, every collection attached to `index_ids` at that moment
    (resolved through `vector_index_collection`) gets a refresh run: URL documents re-fetched,
    web sources re-crawled, only changed documents re-indexed, vanished ones removed.
    Call it again with the new cron and indices whenever the engine changes, and with
    `cron=None` when the engine is deleted.

    Does NOT commit: the caller commits it together with its own changes.

    Args:
        session: the caller's session (its transaction).
        tenant_id: the engine's tenant.
        owner_kind: `"query_engine"` or `"search_engine"` (also `"collection"`).
        owner_id: the engine's id (one schedule per engine).
        cron: a 5-field cron expression (UTC) or a macro such as `@daily`; validate it in the
            request schema first (`wxo.websources.cron.check_cron`) to give a 422.
        index_ids: the engine's vector indices.

    Raises:
        ValueError: `cron` is not a valid expression, or `owner_kind` is unknown.
    """
    kind = OwnerKind(owner_kind).value
    await _set_schedule(
        session, tenant_id, kind, owner_id, cron, collection_ids=[], index_ids=index_ids
    )


async def engine_schedules(
    session: AsyncSession, tenant_id: uuid.UUID, owner_kind: str, owner_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The refresh schedule (cron) of each of these engines that has one, by engine id."""
    return await repository.schedule_crons(
        session, tenant_id, OwnerKind(owner_kind).value, owner_ids
    )


@dataclass(frozen=True)
class Claimed:
    """What one tick did: runs to send, schedules fired."""

    run_ids: list[uuid.UUID]
    schedules: int


async def claim_due(session: AsyncSession, now: datetime) -> Claimed:
    """Fire the schedules due at `now`: one refresh run per covered collection; commit.

    Safe with several workers: due rows are locked `FOR UPDATE SKIP LOCKED`, and `next_run_at`
    moves past `now` in the same transaction, so a schedule fires once per due time. A
    collection that already has a queued or running refresh keeps that one (no second run).
    The caller sends the returned runs (after this commit).
    """
    due = await repository.claim_due_schedules(session, now, TICK_BATCH)
    new_runs: list[uuid.UUID] = []
    for schedule in due:
        ids = [uuid.UUID(i) for i in schedule.index_ids]
        collections = [uuid.UUID(c) for c in schedule.collection_ids]
        if schedule.owner_kind == OwnerKind.COLLECTION.value:
            targets = await repository.existing_collections(
                session, schedule.tenant_id, collections
            )
        else:
            targets = await repository.collections_of_indices(session, schedule.tenant_id, ids)
        for collection_id in targets:
            run, created = await repository.insert_run(
                session,
                tenant_id=schedule.tenant_id,
                collection_id=collection_id,
                values={"trigger": "schedule", "schedule_id": schedule.id},
            )
            if created:
                new_runs.append(run.id)
        schedule.last_run_at = now
        schedule.next_run_at = next_run(schedule.cron, now)
        if schedule.owner_kind == OwnerKind.COLLECTION.value and not targets:
            schedule.enabled = False  # its collection is gone
    await session.commit()
    return Claimed(run_ids=new_runs, schedules=len(due))


# --- runs -------------------------------------------------------------------------------------


async def request_refresh(
    session: AsyncSession, principal: TenantPrincipal, collection: DocumentCollection
) -> tuple[RefreshRun, bool]:
    """A queued refresh run of the collection, or the one already queued/running; commit.

    Returns (run, created): the caller sends a created run to the queue.
    """
    run, created = await repository.insert_run(
        session,
        tenant_id=principal.tenant_id,
        collection_id=collection.id,
        values={"trigger": "manual", "created_by": principal.user_id},
    )
    await session.commit()
    return run, created


def send_run(queue: Queue, run_id: uuid.UUID) -> bool:
    """Send a run to the workers; a broker that is down is not an error (the sweeper resends)."""
    try:
        queue.enqueue(REFRESH_TASK, run_id=str(run_id))
        return True
    except Exception:  # any broker failure: the run stays queued, the tick's sweep resends it
        logger.warning("could not send refresh run %s; the sweeper will", run_id)
        return False


async def get_run(
    session: AsyncSession, principal: TenantPrincipal, run_id: uuid.UUID
) -> RefreshRun:
    """The caller's run. Raises `RefreshRunNotFoundError` (also for another tenant's)."""
    run = await repository.get_run(session, principal.tenant_id, run_id)
    if run is None:
        raise RefreshRunNotFoundError
    return run


async def list_runs(
    session: AsyncSession,
    principal: TenantPrincipal,
    *,
    collection_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[RefreshRun]]:
    """The tenant's refresh runs, newest first."""
    return await repository.list_runs(
        session, principal.tenant_id, collection_id=collection_id, limit=limit, offset=offset
    )


async def sweep_runs(
    session: AsyncSession, now: datetime, *, stuck_after_seconds: float
) -> list[uuid.UUID]:
    """Fail runs whose worker died (no heartbeat for `stuck_after_seconds`); commit.

    Returns queued runs left unsent that long: the caller sends them again.
    """
    before = now - timedelta(seconds=stuck_after_seconds)
    dead = await repository.stale_runs(session, status=RunStatus.RUNNING.value, before=before)
    for run in dead:
        run.status = RunStatus.FAILED.value
        run.finished_at = now
        run.errors = [
            *run.errors,
            {
                "url": None,
                "code": "worker_lost",
                "message": "The worker running this refresh stopped; the next refresh starts over",
            },
        ]
    waiting = await repository.stale_runs(session, status=RunStatus.QUEUED.value, before=before)
    resend = [run.id for run in waiting]
    for run in waiting:
        run.heartbeat_at = now  # resend once per interval, not every tick
    await session.commit()
    return resend
