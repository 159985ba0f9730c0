"""Retrieval fixtures: documents through the real extraction and index stages, in-process.

The worker's own functions run here, with the local MiniLM model through the Model Proxy.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import TenantUser
from wxo.container import Container
from wxo.documents import pipeline
from wxo.documents.tasks import load_extractor
from wxo.retrieval import indexing
from wxo.retrieval.tasks import embedder_for


class CountingEmbedder:
    """The worker's embedder (the Model Proxy's local MiniLM), remembering what it embedded."""

    def __init__(self, container: Container) -> None:
        """Wrap the embedder the index task uses."""
        self._inner = embedder_for(container)
        self.texts: list[str] = []

    async def __call__(
        self, tenant_id: uuid.UUID, model: str | None, texts: Sequence[str]
    ) -> list[list[float]]:
        """One vector per text."""
        self.texts.extend(texts)
        return await self._inner(tenant_id, model, texts)


@dataclass
class Corpus:
    """A collection, its automatic index and documents by name."""

    collection_id: str
    index_id: str
    documents: dict[str, str]  # name -> id


@pytest.fixture
def embedder(container: Container) -> CountingEmbedder:
    """The real embedder, counting its texts."""
    return CountingEmbedder(container)


async def process(container: Container, embedder: indexing.Embedder, document_id: str) -> None:
    """Extract and index one document, as the worker's two tasks do."""
    extractor = load_extractor(container.settings.documents.extractor)
    doc_id = uuid.UUID(document_id)
    outcome = await pipeline.run_extraction(
        container.sessionmaker, container.blobs, extractor, doc_id
    )
    assert outcome == "extracted"
    assert await indexing.run_indexing(container.sessionmaker, embedder, doc_id) == "indexed"


async def make_corpus(
    client: httpx.AsyncClient,
    tenant: TenantUser,
    container: Container,
    embedder: indexing.Embedder,
    texts: dict[str, str],
    *,
    extra: dict[str, dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
) -> Corpus:
    """A new collection holding `texts` (name -> Markdown), extracted and indexed."""
    created = await client.post(
        "/v1/document-collections",
        json={"name": f"r-{uuid.uuid4().hex[:8]}", "settings": settings or {}},
        headers=tenant.headers,
    )
    assert created.status_code == 201, created.text
    collection_id = created.json()["id"]
    listed = await client.get(
        "/v1/vector-indices", params={"collection_id": collection_id}, headers=tenant.headers
    )
    assert listed.status_code == 200
    assert listed.json()["total"] == 1
    index_id = listed.json()["data"][0]["id"]
    documents: dict[str, str] = {}
    for name, text in texts.items():
        body = {
            "name": name,
            "collection_id": collection_id,
            "text": text,
            **(extra or {}).get(name, {}),
        }
        response = await client.post("/v1/documents", json=body, headers=tenant.headers)
        assert response.status_code == 202, response.text
        documents[name] = response.json()["id"]
        await process(container, embedder, documents[name])
    return Corpus(collection_id, index_id, documents)


async def retrieve(
    client: httpx.AsyncClient, tenant: TenantUser, index_id: str, **body: Any
) -> dict[str, Any]:
    """POST retrieve; assert 200."""
    response = await client.post(
        f"/v1/vector-indices/{index_id}/retrieve", json=body, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
