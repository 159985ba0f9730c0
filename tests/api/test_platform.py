"""Platform behaviour shared by every route: body limit, error shapes, readiness without worker."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import TenantUser
from wxo.container import Container
from wxo.main import create_app


async def test_body_over_limit_is_413_before_parsing(
    container: Container, tenant_a: TenantUser, app: FastAPI
) -> None:
    limit = container.settings.server.max_body_bytes
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.post(
            "/v1/threads",
            headers={**tenant_a.headers, "Content-Type": "application/json"},
            content=b'{"title": "' + b"x" * (limit + 1) + b'"}',
        )
    assert response.status_code == 413
    assert str(limit) in response.json()["detail"]


async def test_streamed_body_over_limit_is_413(
    container: Container, tenant_a: TenantUser, client: httpx.AsyncClient
) -> None:
    limit = container.settings.server.max_body_bytes

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the middleware must count
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    response = await client.post(
        "/v1/threads",
        headers={**tenant_a.headers, "Content-Type": "application/json"},
        content=chunks(),
    )
    assert response.status_code == 413


async def test_unexpected_error_is_generic_500_without_internal_text(container: Container) -> None:
    app = create_app(container.settings, container)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["detail"]["code"] == "internal_error"
    assert "secret" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
async def test_ready_is_503_naming_the_worker_when_none_answers(
    client: httpx.AsyncClient, prefix: str
) -> None:
    # The in-process test app has real PostgreSQL and Redis but no worker listening.
    response = await client.get(f"{prefix}/health/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "checks": {"database": "ok", "redis": "ok", "worker": "no worker answered"},
    }
