"""Two refreshes of the loopback site by a real Celery worker: add, then update/keep/remove.

The worker (`wxo worker`, fake extractor) and the app may fetch from 127.0.0.0/8 only: the
site's redirect to 169.254.169.254 stays refused on that hop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from tests.conftest import TenantUser
from tests.integration.documents.workers import WorkerProcess, wait_for_status
from tests.integration.websources.conftest import ALLOW, new_collection, put_source, site_source
from tests.loopback_site import Site, html
from wxo.container import Container
from wxo.core.config import Settings
from wxo.documents.models import Document
from wxo.main import create_app
from wxo.websources.models import RefreshSchedule


@pytest.fixture
def worker(settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A real worker with the fake extractor, allowed to fetch from loopback."""
    process = WorkerProcess(
        settings,
        tmp_path / "worker.log",
        extractor="tests.integration.documents.fake_extractor:extract",
        extra_env={
            "WXO_DOCUMENTS__FETCH_ALLOW_NETWORKS": '["' + '","'.join(ALLOW) + '"]',
            "WXO_DOCUMENTS__FETCH_TIMEOUT_SECONDS": "5",
        },
    )
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def worker_client(allowed: Container) -> AsyncIterator[httpx.AsyncClient]:
    """A committing client whose jobs go to the real queue (the worker takes them)."""
    app = create_app(allowed.settings, dataclasses.replace(allowed))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        yield http


async def _refresh(
    client: httpx.AsyncClient, tenant: TenantUser, collection_id: str, worker: WorkerProcess
) -> dict[str, Any]:
    started = await client.post(
        f"/v1/document-collections/{collection_id}/refresh", headers=tenant.headers
    )
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 60
    while True:
        assert worker.alive, worker.log_path.read_text()[-4000:]
        run = await client.get(f"/v1/refresh-runs/{started.json()['id']}", headers=tenant.headers)
        body: dict[str, Any] = run.json()
        if body["status"] in ("completed", "failed"):
            return body
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.2)


async def _documents(allowed: Container, collection_id: str) -> dict[str, Document]:
    async with allowed.sessionmaker() as session:
        rows = await session.execute(
            select(Document).where(Document.collection_id == uuid.UUID(collection_id))
        )
        return {str(d.source_uri): d for d in rows.scalars()}


def _stage_starts(document: Document) -> dict[str, str]:
    stages = document.status_detail.get("stages", [])
    return {s["name"]: s.get("started_at") for s in stages if s["name"] in ("extract", "index")}


async def _all_ready(
    client: httpx.AsyncClient, tenant: TenantUser, docs: dict[str, Document], worker: WorkerProcess
) -> None:
    done = await wait_for_status(
        client, tenant.headers, [str(d.id) for d in docs.values()], workers=[worker]
    )
    assert {b["status"] for b in done.values()} == {"ready"}


async def test_two_refreshes_add_then_update_keep_and_remove(
    worker: WorkerProcess,
    worker_client: httpx.AsyncClient,
    allowed: Container,
    live_tenant: TenantUser,
    site: Site,
) -> None:
    client, tenant = worker_client, live_tenant
    collection_id = await new_collection(client, tenant)
    standalone = await client.post(
        "/v1/documents",
        json={"name": "s", "collection_id": collection_id, "source_uri": site.url("/standalone")},
        headers=tenant.headers,
    )
    assert standalone.status_code == 202
    await wait_for_status(client, tenant.headers, [standalone.json()["id"]], workers=[worker])
    await put_source(client, tenant, collection_id, **site_source(site))

    first = await _refresh(client, tenant, collection_id, worker)

    crawled = {"/", "/orphan", "/a", "/b", "/c", "/deep/1", "/deep/2"}
    assert first["status"] == "completed", first
    assert first["counts"] == {
        "fetched": 8,
        "added": 7,
        "updated": 0,
        "unchanged": 1,  # the standalone URL document, fetched again
        "removed": 0,
        "failed": 2,
        "skipped_by_robots": 1,
    }
    assert {(e["url"], e["code"]) for e in first["errors"]} == {
        (site.url("/meta"), "blocked_address"),
        (site.url("/big"), "too_large"),
    }
    before = await _documents(allowed, collection_id)
    assert set(before) == {site.url(p) for p in [*crawled, "/standalone"]}
    await _all_ready(client, tenant, before, worker)
    before = await _documents(allowed, collection_id)

    site.pages["/a"] = html("Page A", "Alpha content, now about apricots.", "/c")
    del site.pages["/b"]
    second = await _refresh(client, tenant, collection_id, worker)

    assert second["status"] == "completed", second
    counts = second["counts"]
    assert (counts["updated"], counts["unchanged"], counts["removed"], counts["added"]) == (
        1,
        6,
        1,
        0,
    )
    assert (site.url("/b"), "http_error") in {(e["url"], e["code"]) for e in second["errors"]}
    after = await _documents(allowed, collection_id)
    assert site.url("/b") not in after
    assert set(after) == set(before) - {site.url("/b")}
    await _all_ready(client, tenant, after, worker)
    after = await _documents(allowed, collection_id)
    changed = site.url("/a")
    assert after[changed].version == before[changed].version + 1
    assert after[changed].content_hash != before[changed].content_hash
    assert _stage_starts(after[changed])["extract"] != _stage_starts(before[changed])["extract"]
    for url, document in after.items():
        if url != changed:  # not re-extracted, not re-indexed
            assert _stage_starts(document) == _stage_starts(before[url]), url
            assert document.version == before[url].version

    listed = await client.get(
        "/v1/refresh-runs", params={"collection_id": collection_id}, headers=tenant.headers
    )
    assert listed.status_code == 200
    assert listed.json()["total"] == 2
    assert [r["id"] for r in listed.json()["data"]] == [second["id"], first["id"]]
    assert listed.json()["data"][0]["counts"]["removed"] == 1


@pytest.fixture
def beat_worker(settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A worker with embedded Celery beat ticking every second, allowed to fetch from loopback."""
    process = WorkerProcess(
        settings,
        tmp_path / "beat-worker.log",
        extractor="tests.integration.documents.fake_extractor:extract",
        beat=True,
        extra_env={
            "WXO_DOCUMENTS__FETCH_ALLOW_NETWORKS": '["' + '","'.join(ALLOW) + '"]',
            "WXO_DOCUMENTS__SWEEP_INTERVAL_SECONDS": "1",
        },
    )
    try:
        yield process
    finally:
        process.stop()


async def test_beat_fires_a_due_schedule_and_the_worker_runs_it(
    beat_worker: WorkerProcess,
    worker_client: httpx.AsyncClient,
    allowed: Container,
    live_tenant: TenantUser,
    site: Site,
) -> None:
    collection_id = await new_collection(worker_client, live_tenant)
    body = site_source(site, max_depth=0, sitemap_url=None, refresh_schedule="*/5 * * * *")
    await put_source(worker_client, live_tenant, collection_id, **body)
    async with allowed.sessionmaker() as session:  # due now rather than at the next 5 minutes
        await session.execute(
            update(RefreshSchedule)
            .where(RefreshSchedule.owner_id == uuid.UUID(collection_id))
            .values(next_run_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()

    deadline = time.monotonic() + 60
    while True:
        assert beat_worker.alive, beat_worker.log_path.read_text()[-4000:]
        listed = await worker_client.get(
            "/v1/refresh-runs", params={"collection_id": collection_id}, headers=live_tenant.headers
        )
        runs = listed.json()["data"]
        if runs and runs[0]["status"] == "completed":
            break
        assert time.monotonic() < deadline, runs
        await asyncio.sleep(0.3)
    assert len(runs) == 1
    assert runs[0]["trigger"] == "schedule"
    assert runs[0]["counts"]["added"] == 1
    assert set(await _documents(allowed, collection_id)) == {site.url("/")}
    async with allowed.sessionmaker() as session:
        schedule = (
            await session.execute(
                select(RefreshSchedule).where(RefreshSchedule.owner_id == uuid.UUID(collection_id))
            )
        ).scalar_one()
    assert schedule.next_run_at > datetime.now(UTC)
    assert schedule.last_run_at is not None
