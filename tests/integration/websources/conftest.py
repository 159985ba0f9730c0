"""Web source test fixtures: the loopback site, an app that may fetch from 127.0.0.0/8 only."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.api.documents.conftest import RecordingQueue
from tests.conftest import TenantUser
from tests.loopback_site import Site, loopback_site
from wxo.container import Container
from wxo.documents import service as documents
from wxo.documents.dependencies import get_queue
from wxo.main import create_app

ALLOW = ["127.0.0.0/8"]  # loopback only: 169.254.169.254 and 10/8 stay refused


@pytest.fixture
def site() -> Iterator[Site]:
    """A fresh loopback website per test."""
    with loopback_site() as running:
        yield running


@pytest.fixture
def allowed(container: Container) -> Container:
    """The container with settings that allow-list loopback (same engine, blobs and queue)."""
    docs = container.settings.documents.model_copy(
        update={"fetch_allow_networks": ALLOW, "fetch_timeout_seconds": 5.0}
    )
    settings = container.settings.model_copy(update={"documents": docs})
    return dataclasses.replace(container, settings=settings)


@pytest.fixture
def recording() -> RecordingQueue:
    """The queue the allowed app's routes send to (no worker)."""
    return RecordingQueue()


@pytest.fixture
async def allowed_client(
    allowed: Container, recording: RecordingQueue
) -> AsyncIterator[httpx.AsyncClient]:
    """A committing client of an app whose fetch settings allow loopback."""
    app = create_app(allowed.settings, allowed)

    async def override() -> RecordingQueue:
        return recording

    app.dependency_overrides[get_queue] = override
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        yield http


def io(container: Container, queue: Any) -> documents.DocumentIO:
    """Document I/O of the container's settings, sending to `queue`."""
    return documents.document_io(container.settings.documents, container.blobs, queue)


async def new_collection(client: httpx.AsyncClient, tenant: TenantUser) -> str:
    """A committed collection with a unique name; its id."""
    response = await client.post(
        "/v1/document-collections",
        json={"name": f"web-{uuid.uuid4().hex[:8]}"},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def put_source(
    client: httpx.AsyncClient, tenant: TenantUser, collection_id: str, **body: Any
) -> dict[str, Any]:
    """PUT the web source; assert 200."""
    response = await client.put(
        f"/v1/document-collections/{collection_id}/web-source", json=body, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def site_source(site: Site, **overrides: Any) -> dict[str, Any]:
    """The usual web source of the loopback site."""
    return {
        "seed_urls": [site.url("/")],
        "sitemap_url": site.url("/sitemap.xml"),
        "max_depth": 2,
        "max_pages": 50,
        "max_page_bytes": 2000,
        **overrides,
    }
