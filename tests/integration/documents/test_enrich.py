"""Summary and questions through the tenant's default chat model, in the annotate stage.

The default chat model is a fake OpenAI-compatible server on the loopback (scripted answers,
every request recorded), registered like any provider model and tagged `default`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import TenantUser
from tests.integration.documents import fake_extractor
from tests.integration.llm.peers import FakeOpenAI, Reply, completion
from wxo.container import Container
from wxo.documents import annotation, pipeline
from wxo.documents.tasks import _enricher, load_extractor
from wxo.extraction import service as extraction
from wxo.retrieval.indexing import run_indexing

TEXT = "# Bzip2\n\nBzip2 compresses files with the Burrows-Wheeler transform.\n"


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.stop()


async def set_default_model(http: httpx.AsyncClient, tenant: TenantUser, fake: FakeOpenAI) -> str:
    name = f"virtual-model/openai-compatible/summariser-{uuid.uuid4().hex[:6]}"
    body = {
        "name": name,
        "tags": ["default"],
        "provider_config": {"provider": "openai-compatible", "custom_host": fake.base_url},
    }
    response = await http.post("/v1/models", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return name


async def annotated(
    http: httpx.AsyncClient, tenant: TenantUser, container: Container
) -> dict[str, Any]:
    collection = await http.post(
        "/v1/document-collections",
        json={"name": f"enrich-{uuid.uuid4().hex[:8]}"},
        headers=tenant.headers,
    )
    created = await http.post(
        "/v1/documents",
        json={"name": "bzip2.md", "collection_id": collection.json()["id"], "text": TEXT},
        headers=tenant.headers,
    )
    document_id = created.json()["id"]
    outcome = await pipeline.run_extraction(
        container.sessionmaker,
        container.blobs,
        load_extractor(container.settings.documents.extractor),
        uuid.UUID(document_id),
    )
    assert outcome == "extracted"
    indexed = await run_indexing(
        container.sessionmaker, fake_extractor.embed, uuid.UUID(document_id)
    )
    assert indexed == "indexed"
    done = await annotation.run_annotation(
        container.sessionmaker, extraction.annotate, uuid.UUID(document_id), _enricher(container)
    )
    assert done == "annotated"
    document: dict[str, Any] = (
        await http.get(f"/v1/documents/{document_id}", headers=tenant.headers)
    ).json()
    return document


async def metadata(http: httpx.AsyncClient, tenant: TenantUser, document_id: str) -> Any:
    response = await http.get(f"/v1/documents/{document_id}/metadata", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_default_chat_model_writes_summary_and_questions(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    answer = {"summary": "Bzip2 compresses files.", "questions": ["How does bzip2 compress?"]}
    fake.script(Reply(json=completion(json.dumps(answer))))
    model = await set_default_model(live_client, live_tenant, fake)

    document = await annotated(live_client, live_tenant, container)
    found = await metadata(live_client, live_tenant, document["id"])

    assert found["summary"] == "Bzip2 compresses files."
    assert found["questions"] == ["How does bzip2 compress?"]
    stage = next(s for s in document["status_detail"]["stages"] if s["name"] == "annotate")
    assert stage["enrich"]["model"] == model
    assert stage["enrich"]["items"] == 2  # the summary and one question
    sent = fake.seen[0].json()["messages"]
    assert "Burrows-Wheeler" in sent[-1]["content"]


async def test_without_a_default_chat_model_they_are_absent(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    document = await annotated(live_client, live_tenant, container)
    found = await metadata(live_client, live_tenant, document["id"])

    assert found["summary"] is None
    assert found["questions"] is None
    stage = next(s for s in document["status_detail"]["stages"] if s["name"] == "annotate")
    assert stage["enrich"]["skipped"] is True
    assert found["keywords"]


async def test_a_failing_model_leaves_them_absent_and_the_document_ready(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, fake: FakeOpenAI
) -> None:
    fake.script(Reply(status=400, json={"error": {"message": "context too long"}}))
    await set_default_model(live_client, live_tenant, fake)

    document = await annotated(live_client, live_tenant, container)
    found = await metadata(live_client, live_tenant, document["id"])

    assert document["status"] == "ready"
    assert found["summary"] is None
    assert found["keywords"]  # the offline metadata is there all the same
    assert len(fake.seen) == 1
