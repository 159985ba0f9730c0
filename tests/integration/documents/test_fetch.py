"""URL documents: the fetch stage against real PostgreSQL, the blob store and a loopback server.

The server runs on 127.0.0.1, which the fetcher refuses unless allow-listed: the `allowed` app
and pipeline I/O allow exactly 127.0.0.1/32; everything else uses the default (no allow-list).
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.api.documents.conftest import RecordingQueue
from tests.conftest import TenantUser
from tests.integration.documents import fake_extractor
from tests.loopback_http import PAGE, LoopbackServer, loopback_server
from wxo.container import Container
from wxo.core.config import Settings
from wxo.documents import pipeline, service
from wxo.extraction.service import extract
from wxo.main import create_app
from wxo.retrieval.indexing import run_indexing

LIMITS = {
    "fetch_allow_networks": ["127.0.0.1/32"],
    "fetch_timeout_seconds": 1.0,
    "fetch_max_bytes": 200_000,
    "fetch_max_redirects": 3,
}


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    """The loopback HTTP server for this module."""
    with loopback_server() as running:
        yield running


def _settings(base: Settings, **documents: Any) -> Settings:
    return base.model_copy(update={"documents": base.documents.model_copy(update=documents)})


@pytest.fixture
def allowed(container: Container) -> Container:
    """The container with settings that allow-list 127.0.0.1 (same engine, blobs and queue)."""
    return dataclasses.replace(container, settings=_settings(container.settings, **LIMITS))


@pytest.fixture
async def allowed_client(allowed: Container) -> AsyncIterator[httpx.AsyncClient]:
    """A committing client of an app whose fetch settings allow 127.0.0.1."""
    app = create_app(allowed.settings, allowed)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        yield http


def _io(container: Container, queue: RecordingQueue) -> service.DocumentIO:
    return service.document_io(container.settings.documents, container.blobs, queue)


async def _collection(client: httpx.AsyncClient, tenant: TenantUser) -> str:
    response = await client.post(
        "/v1/document-collections",
        json={"name": f"fetch-{uuid.uuid4().hex[:8]}"},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _url_document(
    client: httpx.AsyncClient, tenant: TenantUser, collection_id: str, url: str
) -> uuid.UUID:
    response = await client.post(
        "/v1/documents",
        json={"name": "page", "collection_id": collection_id, "source_uri": url},
        headers=tenant.headers,
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    return uuid.UUID(response.json()["id"])


async def _status(client: httpx.AsyncClient, tenant: TenantUser, doc: uuid.UUID) -> dict[str, Any]:
    response = await client.get(f"/v1/documents/{doc}/status", headers=tenant.headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_url_document_is_fetched_stored_and_extracted_to_ready(
    allowed_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    allowed: Container,
    server: LoopbackServer,
) -> None:
    collection_id = await _collection(allowed_client, live_tenant)
    doc = await _url_document(allowed_client, live_tenant, collection_id, server.url("/page.html"))
    queue = RecordingQueue()

    fetched = await pipeline.run_fetch(allowed.sessionmaker, _io(allowed, queue), doc)
    queued = await _status(allowed_client, live_tenant, doc)
    again = await pipeline.run_fetch(allowed.sessionmaker, _io(allowed, queue), doc)
    extracted = await pipeline.run_extraction(allowed.sessionmaker, allowed.blobs, extract, doc)
    indexed = await run_indexing(allowed.sessionmaker, fake_extractor.embed, doc)

    assert (fetched, again) == ("fetched", "done_already")
    assert (extracted, indexed) == ("extracted", "indexed")
    assert queue.sent == [("wxo.documents.extract", {"document_id": str(doc)})]
    assert queued["status"] == "queued"
    source = queued["status_detail"]["fetch"]
    assert source["final_url"] == server.url("/page.html")
    assert (source["filename"], source["content_type"]) == ("page.html", "text/html")
    assert source["bytes"] == len(PAGE)
    document = (
        await allowed_client.get(f"/v1/documents/{doc}", headers=live_tenant.headers)
    ).json()
    assert document["status"] == "ready"
    assert document["size_bytes"] == len(PAGE)
    assert document["content_hash"] == hashlib.sha256(PAGE).hexdigest()
    assert document["content_type"] == "text/html"  # sniffed by extraction
    text = (
        await allowed_client.get(
            f"/v1/documents/{doc}/text?format=text", headers=live_tenant.headers
        )
    ).json()["text"]
    assert "The quick brown fox was fetched over HTTP." in text
    download = await allowed_client.get(
        f"/v1/documents/{doc}/download", headers=live_tenant.headers
    )
    assert download.content == PAGE
    status = await _status(allowed_client, live_tenant, doc)
    assert status["status_detail"]["fetch"]["filename"] == "page.html"  # kept past the pipeline


async def test_file_name_comes_from_content_disposition(
    allowed_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    allowed: Container,
    server: LoopbackServer,
) -> None:
    collection_id = await _collection(allowed_client, live_tenant)
    doc = await _url_document(allowed_client, live_tenant, collection_id, server.url("/report"))

    outcome = await pipeline.run_fetch(allowed.sessionmaker, _io(allowed, RecordingQueue()), doc)

    assert outcome == "fetched"
    source = (await _status(allowed_client, live_tenant, doc))["status_detail"]["fetch"]
    assert source["filename"] == "report 2026.txt"


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        ("http://10.0.0.1/", "private address (10.0.0.1)"),
        ("http://169.254.169.254/latest/meta-data/", "link-local address (169.254.169.254)"),
    ],
)
async def test_redirect_to_an_internal_address_fails_blocked_address(
    allowed_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    allowed: Container,
    server: LoopbackServer,
    target: str,
    shown: str,
) -> None:
    collection_id = await _collection(allowed_client, live_tenant)
    doc = await _url_document(
        allowed_client, live_tenant, collection_id, server.url(f"/to/{target}")
    )
    queue = RecordingQueue()

    outcome = await pipeline.run_fetch(allowed.sessionmaker, _io(allowed, queue), doc)

    assert outcome == "failed"
    assert queue.sent == []
    status = await _status(allowed_client, live_tenant, doc)
    assert status["status"] == "failed"
    error = status["status_detail"]["error"]
    assert (error["stage"], error["code"]) == ("fetch", "blocked_address")
    assert shown in error["message"]
    document = (
        await allowed_client.get(f"/v1/documents/{doc}", headers=live_tenant.headers)
    ).json()
    assert (document["size_bytes"], document["content_hash"]) == (None, None)


async def test_loopback_url_is_refused_at_create_without_the_allow_list(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, server: LoopbackServer
) -> None:
    collection_id = await _collection(live_client, live_tenant)

    response = await live_client.post(
        "/v1/documents",
        json={
            "name": "page",
            "collection_id": collection_id,
            "source_uri": server.url("/page.html"),
        },
        headers=live_tenant.headers,
    )

    assert response.status_code == 400
    assert "loopback address (127.0.0.1)" in response.json()["detail"]
    listed = await live_client.get(
        f"/v1/documents?collection_id={collection_id}", headers=live_tenant.headers
    )
    assert listed.json()["total"] == 0  # nothing stored


async def test_loopback_host_name_fails_blocked_address_without_the_allow_list(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    server: LoopbackServer,
) -> None:
    collection_id = await _collection(live_client, live_tenant)
    # A name is only resolved when fetched, so it passes the create-time check.
    doc = await _url_document(
        live_client, live_tenant, collection_id, server.url("/page.html", host="localhost")
    )

    outcome = await pipeline.run_fetch(
        container.sessionmaker, _io(container, RecordingQueue()), doc
    )

    assert outcome == "failed"
    error = (await _status(live_client, live_tenant, doc))["status_detail"]["error"]
    assert (error["stage"], error["code"]) == ("fetch", "blocked_address")
    assert "(host localhost)" in error["message"]


async def test_slow_url_is_retried_once_then_fails_with_timeout(
    allowed_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    allowed: Container,
    server: LoopbackServer,
) -> None:
    collection_id = await _collection(allowed_client, live_tenant)
    doc = await _url_document(allowed_client, live_tenant, collection_id, server.url("/slow"))
    io = _io(allowed, RecordingQueue())

    with pytest.raises(pipeline.TransientStageError):
        await pipeline.run_fetch(allowed.sessionmaker, io, doc, final_attempt=False)
    between = await _status(allowed_client, live_tenant, doc)
    started = time.monotonic()
    outcome = await pipeline.run_fetch(allowed.sessionmaker, io, doc, final_attempt=True)
    elapsed = time.monotonic() - started

    assert between["status"] == "queued"  # still waiting for its retry
    assert between["status_detail"]["attempts"] == 1
    assert outcome == "failed"
    assert elapsed < 3.0  # the limit is 1 s; the server would dribble for 20 s
    status = await _status(allowed_client, live_tenant, doc)
    error = status["status_detail"]["error"]
    assert (error["stage"], error["code"]) == ("fetch", "timeout")
    assert "within 1 seconds" in error["message"]
    assert status["status_detail"]["attempts"] == 2


async def test_too_large_body_fails_and_other_documents_are_unaffected(
    allowed_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    allowed: Container,
    server: LoopbackServer,
) -> None:
    collection_id = await _collection(allowed_client, live_tenant)
    text_doc = await allowed_client.post(
        "/v1/documents",
        json={"name": "notes.txt", "collection_id": collection_id, "text": "Plain notes here."},
        headers=live_tenant.headers,
    )
    big = await _url_document(allowed_client, live_tenant, collection_id, server.url("/big"))
    missing = await _url_document(
        allowed_client, live_tenant, collection_id, server.url("/missing")
    )
    io = _io(allowed, RecordingQueue())

    text_id = uuid.UUID(text_doc.json()["id"])
    outcomes = [
        await pipeline.run_fetch(allowed.sessionmaker, io, big),
        await pipeline.run_fetch(allowed.sessionmaker, io, missing),
        await pipeline.run_extraction(allowed.sessionmaker, allowed.blobs, extract, text_id),
        await run_indexing(allowed.sessionmaker, fake_extractor.embed, text_id),
    ]

    assert outcomes == ["failed", "failed", "extracted", "indexed"]
    big_error = (await _status(allowed_client, live_tenant, big))["status_detail"]["error"]
    assert (big_error["code"], big_error["stage"]) == ("too_large", "fetch")
    assert "200000 bytes" in big_error["message"]
    missing_error = (await _status(allowed_client, live_tenant, missing))["status_detail"]["error"]
    assert missing_error["code"] == "http_error"
    assert "404" in missing_error["message"]
    stats = (
        await allowed_client.get(
            f"/v1/document-collections/{collection_id}", headers=live_tenant.headers
        )
    ).json()["stats"]
    assert stats["by_status"] == {"failed": 2, "ready": 1}
