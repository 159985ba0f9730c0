"""Knowledge base route fixtures: the Document Store's recording queue and helpers."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.api.documents.conftest import RecordingQueue, queue
from tests.conftest import TenantUser

__all__ = ["RecordingQueue", "create_kb", "make_kb", "queue"]


async def create_kb(
    client: httpx.AsyncClient,
    tenant: TenantUser,
    knowledge_base: dict[str, Any] | str,
    files: dict[str, bytes] | None = None,
) -> httpx.Response:
    """POST the multipart create exactly as IBM's `create_built_in` sends it."""
    raw = knowledge_base if isinstance(knowledge_base, str) else json.dumps(knowledge_base)
    return await client.post(
        "/v1/orchestrate/knowledge-bases/documents",
        data={"knowledge_base": raw, "file_urls": "{}"},
        files=[("files", (name, data)) for name, data in (files or {}).items()] or None,
        headers=tenant.headers,
    )


async def make_kb(
    client: httpx.AsyncClient,
    tenant: TenantUser,
    name: str = "kb",
    files: dict[str, bytes] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Create a knowledge base; assert 201."""
    if files:
        response = await create_kb(client, tenant, {"name": name, **fields}, files)
    else:
        response = await client.post(
            "/v1/orchestrate/knowledge-bases",
            json={"name": name, **fields},
            headers=tenant.headers,
        )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
