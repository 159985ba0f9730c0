"""`search_for_agent` on a real, extracted and indexed knowledge base (committed for real).

The extractive model quotes: every citation's text is a span of the chunk it cites, and that
chunk is one of the knowledge base's own chunks.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import TenantUser, make_tenant_user
from tests.integration.knowledge_bases.helpers import (
    collection_chunks,
    committing_client,
    indexed_knowledge_base,
)
from tests.integration.retrieval.conftest import CountingEmbedder, embedder
from wxo.container import Container
from wxo.knowledge_bases import service
from wxo.knowledge_bases.exceptions import KnowledgeBaseNotFoundError
from wxo.llm.service import proxy_for

__all__ = ["embedder"]

FILES = {
    "tides.md": (
        "# Tides\n\nThe tides rise and fall twice a day because the moon pulls the oceans."
        " Sailors time their departures by the tides."
    ),
    "cats.txt": "Cats sleep most of the day. A cat purrs when it is content and warm.",
}


@pytest.fixture
async def recording_client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """A committing client whose routes send jobs to a recording queue."""
    async with committing_client(container) as http:
        yield http


@pytest.fixture
async def tenant(container: Container) -> TenantUser:
    """A committed tenant."""
    async with container.sessionmaker() as session:
        return await make_tenant_user(session, container.settings, "kb-search")


@pytest.fixture
async def knowledge_base(
    recording_client: httpx.AsyncClient,
    tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> AsyncIterator[dict[str, Any]]:
    """A knowledge base of FILES, every document extracted and indexed; deleted afterwards."""
    kb = await indexed_knowledge_base(
        recording_client,
        tenant,
        container,
        embedder,
        name="nature",
        description="Tides and cats",
        files=FILES,
    )
    status = await recording_client.get(
        f"/v1/orchestrate/knowledge-bases/{kb['id']}/status", headers=tenant.headers
    )
    assert status.json()["status"] == "ready", status.text
    yield kb
    deleted = await recording_client.delete(
        f"/v1/orchestrate/knowledge-bases/{kb['id']}", headers=tenant.headers
    )
    assert deleted.status_code == 200


@pytest.mark.parametrize("model_id", [None, "local/extractive"])
async def test_extractive_answer_quotes_the_cited_chunks(
    container: Container,
    tenant: TenantUser,
    knowledge_base: dict[str, Any],
    model_id: str | None,
) -> None:
    chunks = await collection_chunks(container, knowledge_base["collection_id"])
    assert chunks
    ctx = proxy_for(container, tenant.tenant_id)
    async with container.sessionmaker() as session:
        item = await service.search_for_agent(
            session,
            ctx,
            tenant.tenant_id,
            uuid.UUID(knowledge_base["id"]),
            "Why do the tides rise and fall?",
            model_id=model_id,
        )
    json.dumps(item)  # JSON-ready, as a content item must be
    assert item["response_type"] == "conversational_search"
    assert item["extractive"] is True
    assert item["model_id"] == "local/extractive"
    assert "moon" in item["text"]
    assert item["search_results"]
    assert all(r["body"] in chunks for r in item["search_results"])
    assert item["search_results"][0]["title"] == "tides.md"
    assert item["search_results"][0]["result_metadata"]["document_retrieval_source"] == (
        "wxo_knowledge_base"
    )
    assert item["citations"]
    for citation in item["citations"]:
        cited = item["search_results"][citation["search_result_idx"]]["body"]
        assert citation["body"] == cited
        assert cited in chunks
        assert citation["text"]
        assert citation["text"] in cited
        assert cited[citation["range_start"] : citation["range_end"]] == citation["text"]
    assert set(item["confidence_scores"]) == {
        "response_confidence",
        "response_confidence_threshold",
        "retrieval_confidence",
        "retrieval_confidence_threshold",
    }


async def test_unknown_model_falls_back_to_quoting_and_says_why(
    container: Container, tenant: TenantUser, knowledge_base: dict[str, Any]
) -> None:
    ctx = proxy_for(container, tenant.tenant_id)
    async with container.sessionmaker() as session:
        item = await service.search_for_agent(
            session,
            ctx,
            tenant.tenant_id,
            uuid.UUID(knowledge_base["id"]),
            "When is a cat content?",
            model_id="missing/model",
        )
    assert item["extractive"] is True
    assert "missing/model" in item["note"]
    assert "content" in item["text"]


async def test_describe_and_tenancy(
    container: Container, tenant: TenantUser, knowledge_base: dict[str, Any]
) -> None:
    kb_id = uuid.UUID(knowledge_base["id"])
    async with container.sessionmaker() as session:
        described = await service.describe_for_agent(session, tenant.tenant_id, kb_id)
        assert described == ("nature", "Tides and cats")
        as_text = await service.describe_for_agent(
            session,
            tenant.tenant_id,
            knowledge_base["id"],
        )
        assert as_text == described
        with pytest.raises(KnowledgeBaseNotFoundError):
            await service.describe_for_agent(
                session,
                tenant.tenant_id,
                "not-an-id",  # type: ignore[arg-type]
            )
        other = await make_tenant_user(session, container.settings, "kb-other")
        with pytest.raises(KnowledgeBaseNotFoundError):
            await service.describe_for_agent(session, other.tenant_id, kb_id)
        with pytest.raises(KnowledgeBaseNotFoundError):
            await service.search_for_agent(
                session,
                proxy_for(container, other.tenant_id),
                other.tenant_id,
                kb_id,
                "tides",
                model_id=None,
            )
