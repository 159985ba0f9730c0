"""Search Engine route fixtures: the Document Store's recording queue and helpers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.documents.conftest import make_collection, queue
from tests.conftest import TenantUser
from tests.integration.retrieval.conftest import embedder

__all__ = ["embedder", "make_collection", "make_index", "queue"]

MODEL = "local/all-minilm-l6-v2"


async def make_index(
    client: httpx.AsyncClient, tenant: TenantUser, name: str = "idx", **body: Any
) -> dict[str, Any]:
    """Create a vector index; assert 201."""
    response = await client.post(
        "/v1/vector-indices",
        json={"name": name, "embeddings_model_name": MODEL, **body},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    index: dict[str, Any] = response.json()
    return index
