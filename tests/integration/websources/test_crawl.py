"""Crawls of the loopback site run in-process (no worker): limits, robots.txt, unsafe redirects."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from tests.api.documents.conftest import RecordingQueue
from tests.conftest import TenantUser
from tests.integration.websources.conftest import io, new_collection, put_source, site_source
from tests.loopback_site import Site
from wxo.container import Container
from wxo.documents import pipeline
from wxo.documents.models import Document
from wxo.websources import refresh


async def _crawl(
    client: httpx.AsyncClient,
    allowed: Container,
    recording: RecordingQueue,
    tenant: TenantUser,
    collection_id: str,
) -> dict[str, Any]:
    started = await client.post(
        f"/v1/document-collections/{collection_id}/refresh", headers=tenant.headers
    )
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    outcome = await refresh.run_refresh(
        allowed.sessionmaker, io(allowed, recording), uuid.UUID(run_id)
    )
    assert outcome == "completed"
    response = await client.get(f"/v1/refresh-runs/{run_id}", headers=tenant.headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def _uris(allowed: Container, collection_id: str) -> set[str]:
    async with allowed.sessionmaker() as session:
        rows = await session.execute(
            select(Document.source_uri).where(Document.collection_id == uuid.UUID(collection_id))
        )
        return {str(uri) for uri in rows.scalars()}


async def test_crawl_follows_links_and_sitemap_within_depth_and_refuses_robots_and_unsafe(
    allowed_client: httpx.AsyncClient,
    allowed: Container,
    recording: RecordingQueue,
    live_tenant: TenantUser,
    site: Site,
) -> None:
    collection_id = await new_collection(allowed_client, live_tenant)
    await put_source(allowed_client, live_tenant, collection_id, **site_source(site))

    run = await _crawl(allowed_client, allowed, recording, live_tenant, collection_id)

    reachable = {"/", "/orphan", "/a", "/b", "/c", "/deep/1", "/deep/2"}
    assert await _uris(allowed, collection_id) == {site.url(p) for p in reachable}
    assert run["status"] == "completed"
    assert run["finished_at"] is not None
    counts = run["counts"]
    assert counts["fetched"] == counts["added"] == len(reachable)
    assert counts["skipped_by_robots"] == 1
    assert counts["failed"] == 2
    assert counts["removed"] == counts["updated"] == counts["unchanged"] == 0
    errors = {e["url"]: e["code"] for e in run["errors"]}
    assert errors == {site.url("/meta"): "blocked_address", site.url("/big"): "too_large"}
    assert "169.254.169.254" in next(
        e["message"] for e in run["errors"] if e["url"].endswith("/meta")
    )
    assert site.hits["/private/secret"] == 0  # robots.txt obeyed: never requested
    assert site.hits["/deep/3"] == 0  # depth 3 > max_depth 2
    assert site.hits["/a"] == 1  # "/a#section" is the same page
    # Each new page was queued for extraction once.
    extract_jobs = [p for name, p in recording.sent if name == "wxo.documents.extract"]
    assert len(extract_jobs) == len(reachable)


async def test_max_pages_and_max_depth_bound_the_crawl(
    allowed_client: httpx.AsyncClient,
    allowed: Container,
    recording: RecordingQueue,
    live_tenant: TenantUser,
    site: Site,
) -> None:
    few = await new_collection(allowed_client, live_tenant)
    await put_source(
        allowed_client, live_tenant, few, **site_source(site, max_pages=3, sitemap_url=None)
    )
    run = await _crawl(allowed_client, allowed, recording, live_tenant, few)
    assert run["counts"]["added"] == 3
    # Breadth-first: the seed, then its first links in document order.
    assert await _uris(allowed, few) == {site.url("/"), site.url("/a"), site.url("/b")}

    shallow = await new_collection(allowed_client, live_tenant)
    await put_source(allowed_client, live_tenant, shallow, **site_source(site, max_depth=0))
    run = await _crawl(allowed_client, allowed, recording, live_tenant, shallow)
    assert await _uris(allowed, shallow) == {site.url("/"), site.url("/orphan")}
    assert run["counts"]["failed"] == 0


async def test_include_and_exclude_patterns_and_other_hosts(
    allowed_client: httpx.AsyncClient,
    allowed: Container,
    recording: RecordingQueue,
    live_tenant: TenantUser,
    site: Site,
) -> None:
    site.pages["/"].body += f'<a href="http://localhost:{site.port}/c">other host</a>'.encode()
    collection_id = await new_collection(allowed_client, live_tenant)
    body = site_source(site, sitemap_url=None, include_patterns=["/deep/"], exclude_patterns=["2$"])
    await put_source(allowed_client, live_tenant, collection_id, **body)
    await _crawl(allowed_client, allowed, recording, live_tenant, collection_id)
    assert await _uris(allowed, collection_id) == {site.url("/"), site.url("/deep/1")}
    assert site.hits["/c"] == 0  # localhost is another host than 127.0.0.1


async def test_url_document_gone_is_removed_and_a_site_that_is_down_removes_nothing(
    allowed_client: httpx.AsyncClient,
    allowed: Container,
    recording: RecordingQueue,
    live_tenant: TenantUser,
    site: Site,
) -> None:
    collection_id = await new_collection(allowed_client, live_tenant)
    created = await allowed_client.post(
        "/v1/documents",
        json={"name": "s", "collection_id": collection_id, "source_uri": site.url("/standalone")},
        headers=live_tenant.headers,
    )
    assert created.status_code == 202
    fetched = await pipeline.run_fetch(
        allowed.sessionmaker, io(allowed, recording), uuid.UUID(created.json()["id"])
    )
    assert fetched == "fetched"
    await put_source(
        allowed_client, live_tenant, collection_id, **site_source(site, sitemap_url=None)
    )
    first = await _crawl(allowed_client, allowed, recording, live_tenant, collection_id)
    assert first["counts"]["unchanged"] == 1  # the URL document, fetched again
    crawled = await _uris(allowed, collection_id)
    assert len(crawled) == 7

    # The whole site answers 404 now: the crawl reached nothing, so nothing crawled is removed;
    # the URL document, fetched on its own and gone (404), is removed.
    site.pages.clear()
    second = await _crawl(allowed_client, allowed, recording, live_tenant, collection_id)
    assert second["counts"]["removed"] == 1
    assert second["counts"]["fetched"] == 0
    assert await _uris(allowed, collection_id) == crawled - {site.url("/standalone")}
