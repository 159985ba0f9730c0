"""Agent route fixtures: the recording queue (knowledge bases) and helpers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.knowledge_bases.conftest import make_kb, queue
from tests.conftest import TenantUser

__all__ = ["make_agent", "make_kb", "queue"]


async def make_agent(
    client: httpx.AsyncClient, tenant: TenantUser, name: str = "helper", **body: Any
) -> dict[str, Any]:
    """Create an agent; assert 201."""
    response = await client.post(
        "/v1/orchestrate/agents", json={"name": name, **body}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    agent: dict[str, Any] = response.json()
    return agent
