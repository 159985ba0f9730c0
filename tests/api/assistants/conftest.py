"""Custom assistant fixtures: the Document Store's recording queue, a registered chat model."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.api.documents.conftest import queue
from tests.conftest import TenantUser

__all__ = ["queue"]


async def chat_model(client: httpx.AsyncClient, tenant: TenantUser) -> str:
    """Register an OpenAI-compatible chat model (never called here); its name."""
    name = f"virtual-model/openai/gpt-test-{uuid.uuid4().hex[:6]}"
    response = await client.post(
        "/v1/models",
        json={
            "name": name,
            "provider_config": {
                "provider": "openai-compatible",
                "custom_host": "https://llm.example.com/v1",
                "api_key": "x",
            },
        },
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    return name


async def create_custom(
    client: httpx.AsyncClient, tenant: TenantUser, **body: Any
) -> dict[str, Any]:
    """Create a custom assistant; assert 201."""
    payload = {"name": f"ca_{uuid.uuid4().hex[:6]}", "instructions": "Be brief.", **body}
    response = await client.post("/v1/assistants/custom", json=payload, headers=tenant.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
