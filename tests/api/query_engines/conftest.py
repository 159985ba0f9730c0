"""Query Engine fixtures: indices, engines and a small indexed corpus."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.search_engines.conftest import make_index
from tests.conftest import TenantUser
from tests.integration.retrieval.conftest import Corpus, CountingEmbedder, embedder, make_corpus
from wxo.container import Container

__all__ = ["embedder", "make_index"]

LIGHTHOUSE = "\n\n".join(
    f"Fact {i}: the lighthouse keeper number {i} painted the old tower in the year {1900 + i},"
    f" and the ships of harbour {i} saw its lamp from far out at sea every night."
    for i in range(40)
)
TEXTS = {
    "moon.txt": "The moon pulls the oceans with its gravity. That pull makes the tides rise"
    " and fall twice a day. Sailors time their departures by the tides.",
    "cats.txt": "Cats sleep most of the day. A cat purrs when it is content.",
    "bread.txt": "Bread rises because yeast produces carbon dioxide. Bakers knead the dough.",
    "lighthouse.txt": LIGHTHOUSE,
}


async def make_engine(
    client: httpx.AsyncClient, tenant: TenantUser, index_ids: list[str], **body: Any
) -> dict[str, Any]:
    """Create a query engine; assert 201."""
    response = await client.post(
        "/v1/query-engines",
        json={"name": f"qe-{uuid.uuid4().hex[:8]}", "index_ids": index_ids, **body},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    engine: dict[str, Any] = response.json()
    return engine


async def ask(
    client: httpx.AsyncClient, tenant: TenantUser, engine_id: str, **body: Any
) -> dict[str, Any]:
    """POST a query; assert 200."""
    response = await client.post(
        f"/v1/query-engines/{engine_id}/query", json=body, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def corpus(
    client: httpx.AsyncClient, tenant: TenantUser, container: Container, embed: CountingEmbedder
) -> Corpus:
    """The small corpus above, extracted and indexed for real."""
    return await make_corpus(client, tenant, container, embed, TEXTS)


async def chunk_rows(session: AsyncSession, chunk_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Chunks by id: `text`, `document_id`, `ord`, `index_id`."""
    rows = await session.execute(
        text("SELECT id, text, document_id, ord, index_id FROM chunk WHERE id = ANY(:ids)"),
        {"ids": [uuid.UUID(c) for c in chunk_ids]},
    )
    return {
        str(r.id): {
            "text": r.text,
            "document_id": str(r.document_id),
            "ord": r.ord,
            "index_id": str(r.index_id),
        }
        for r in rows
    }


async def check_citations(session: AsyncSession, body: dict[str, Any]) -> None:
    """Every citation is an exact slice of its chunk's text in the database."""
    rows = await chunk_rows(session, [c["chunk_id"] for c in body["citations"]])
    for citation in body["citations"]:
        chunk = rows[citation["chunk_id"]]
        assert chunk["document_id"] == citation["document_id"]
        assert citation["text"]
        assert chunk["text"][citation["range_start"] : citation["range_end"]] == citation["text"]
        source = body["sources"][citation["source_index"]]
        assert source["chunk_id"] == citation["chunk_id"]
