"""Liveness, readiness and the OpenAPI document."""

import httpx


async def test_alive_answers_without_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/alive")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_openapi_declares_bearer_scheme_and_v1_paths(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert schema["info"]["title"] == "WxO Server API"
    schemes = schema["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["HTTPBearer"]["description"],
    }
    assert "/v1/threads" in schema["paths"]
    assert not any(path.startswith("/api/v1") for path in schema["paths"])


async def test_docs_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
