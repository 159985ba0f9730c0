"""`POST /v1/extract`: synchronous, unstored extraction of an upload or a URL."""

from __future__ import annotations

import dataclasses
import io
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import TenantUser
from tests.loopback_http import LoopbackServer, loopback_server
from tests.unit.extraction.pdfs import make_pdf
from wxo.api.deps import get_session
from wxo.container import Container
from wxo.extraction.base import Extraction
from wxo.extraction_api.dependencies import get_extractor
from wxo.main import create_app

HTML = (
    b"<html><head><title>Release notes</title></head><body><h1>Release notes</h1>"
    b"<p>Version two adds offline search.</p><ul><li>Faster start</li></ul></body></html>"
)


def _docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Travel policy", level=1)
    document.add_paragraph("Book trains when the trip takes less than four hours.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    """A loopback HTTP server for the URL cases."""
    with loopback_server() as running:
        yield running


@pytest.fixture
def client_with(container: Container, session: AsyncSession) -> Any:
    """Build a client of an app whose `documents` settings are changed as given."""

    def build(extractor: Any = None, **documents: Any) -> httpx.AsyncClient:
        base = container.settings
        settings = base.model_copy(
            update={"documents": base.documents.model_copy(update=documents)}
        )
        app = create_app(settings, dataclasses.replace(container, settings=settings))

        async def test_session() -> AsyncIterator[AsyncSession]:
            yield session

        app.dependency_overrides[get_session] = test_session
        if extractor is not None:

            async def override() -> Any:
                return extractor

            app.dependency_overrides[get_extractor] = override
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")

    return build


async def test_docx_upload_returns_elements_text_and_metadata(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.post(
        "/v1/extract",
        files={"file": ("policy.docx", _docx(), "application/octet-stream")},
        headers=tenant_a.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["content_type"].endswith("wordprocessingml.document")  # sniffed, not declared
    assert body["filename"] == "policy.docx"
    assert body["source_url"] is None
    assert [(e["type"], e["text"]) for e in body["elements"]] == [
        ("Title", "Travel policy"),
        ("NarrativeText", "Book trains when the trip takes less than four hours."),
    ]
    assert "Book trains" in body["text"]
    assert body["markdown"].startswith("# Travel policy")
    assert body["images"] == []
    assert body["metadata"]["language"] == "en"
    assert set(body) >= {"elements", "text", "markdown", "images", "metadata", "warnings"}


async def test_include_returns_only_the_parts_asked_for(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.post(
        "/v1/extract",
        files={"file": ("notes.html", HTML, "text/html")},
        data={"options": json.dumps({"include": ["text", "metadata"]})},
        headers=tenant_a.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert "Version two adds offline search." in body["text"]
    assert body["metadata"]["title"] == "Release notes"
    assert not {"elements", "markdown", "images"} & set(body)
    assert body["content_type"] == "text/html"


async def test_unknown_include_part_is_a_validation_error(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.post(
        "/v1/extract",
        files={"file": ("notes.html", HTML, "text/html")},
        data={"options": json.dumps({"include": ["bytes"]})},
        headers=tenant_a.headers,
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-2:] == ["include", 0]


async def test_oversize_upload_is_413(client_with: Any, tenant_a: TenantUser) -> None:
    async with client_with(extract_max_bytes=1000) as http:
        over_limit = await http.post(
            "/v1/extract",
            files={"file": ("big.txt", b"a" * 5000, "text/plain")},
            headers=tenant_a.headers,
        )
        over_body_limit = await http.post(
            "/v1/extract",
            files={"file": ("huge.txt", b"a" * (3 * 1024 * 1024), "text/plain")},
            headers=tenant_a.headers,
        )

    assert over_limit.status_code == 413
    assert "1000 bytes" in over_limit.json()["detail"]
    assert over_body_limit.status_code == 413  # refused by the body limit before parsing


async def test_corrupted_pdf_is_422_with_its_code(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    pdf = make_pdf([["Hello there"], ["Second page"]])

    response = await client.post(
        "/v1/extract",
        files={"file": ("cut.pdf", pdf[: len(pdf) // 3], "application/pdf")},
        headers=tenant_a.headers,
    )

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["code"] == "corrupted"
    assert "damaged" in detail["message"]


async def test_slow_extraction_is_stopped_at_the_time_limit(
    client_with: Any, tenant_a: TenantUser
) -> None:
    def slow(data: bytes, **kwargs: Any) -> Extraction:
        time.sleep(2)
        raise AssertionError("the request should have answered already")

    started = time.monotonic()
    async with client_with(extractor=slow, extract_timeout_seconds=0.3) as http:
        response = await http.post(
            "/v1/extract",
            files={"file": ("a.txt", b"hello", "text/plain")},
            headers=tenant_a.headers,
        )
    elapsed = time.monotonic() - started

    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "timeout"
    assert elapsed < 1.5


async def test_url_is_fetched_and_extracted_when_allow_listed(
    client_with: Any, tenant_a: TenantUser, server: LoopbackServer
) -> None:
    async with client_with(fetch_allow_networks=["127.0.0.1/32"]) as http:
        json_body = await http.post(
            "/v1/extract",
            json={"url": server.url("/page.html"), "options": {"include": ["text"]}},
            headers=tenant_a.headers,
        )
        form_body = await http.post(
            "/v1/extract", data={"url": server.url("/report")}, headers=tenant_a.headers
        )

    assert json_body.status_code == 200, json_body.text
    assert "The quick brown fox was fetched over HTTP." in json_body.json()["text"]
    assert json_body.json()["source_url"] == server.url("/page.html")
    assert form_body.status_code == 200, form_body.text
    assert form_body.json()["filename"] == "report 2026.txt"
    assert "Revenue grew" in form_body.json()["text"]


async def test_internal_urls_are_refused(
    client: httpx.AsyncClient, tenant_a: TenantUser, server: LoopbackServer
) -> None:
    loopback = await client.post(
        "/v1/extract", json={"url": server.url("/page.html")}, headers=tenant_a.headers
    )
    metadata = await client.post(
        "/v1/extract",
        json={"url": "http://169.254.169.254/latest/meta-data/"},
        headers=tenant_a.headers,
    )
    not_http = await client.post(
        "/v1/extract", json={"url": "file:///etc/passwd"}, headers=tenant_a.headers
    )

    assert loopback.status_code == 400
    assert loopback.json()["detail"]["code"] == "blocked_address"
    assert metadata.json()["detail"]["code"] == "blocked_address"
    assert not_http.status_code == 400
    assert not_http.json()["detail"]["code"] == "bad_url"


async def test_url_over_the_limit_is_413(
    client_with: Any, tenant_a: TenantUser, server: LoopbackServer
) -> None:
    async with client_with(
        fetch_allow_networks=["127.0.0.1/32"], extract_max_bytes=100_000
    ) as http:
        response = await http.post(
            "/v1/extract", json={"url": server.url("/big")}, headers=tenant_a.headers
        )

    assert response.status_code == 413
    assert response.json()["detail"]["code"] == "too_large"


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": {"options": "{}"}}, 422),  # neither file nor url
        ({"files": {"file": ("a.txt", b"x")}, "data": {"url": "https://example.com/"}}, 422),
        ({"json": {"url": "https://example.com/", "extra": 1}}, 422),
        ({"content": b"hello", "headers": {"content-type": "text/plain"}}, 415),
    ],
)
async def test_malformed_requests_are_refused(
    client: httpx.AsyncClient, tenant_a: TenantUser, kwargs: dict[str, Any], status: int
) -> None:
    headers = {**tenant_a.headers, **kwargs.pop("headers", {})}

    response = await client.post("/v1/extract", headers=headers, **kwargs)

    assert response.status_code == status, response.text


async def test_extract_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/extract", files={"file": ("a.txt", b"hello")})

    assert response.status_code == 401
