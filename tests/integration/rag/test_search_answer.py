"""A search engine's generated answer through the Model Proxy (a scripted OpenAI-compatible model).

The extractive answer is tested in `tests/api/search_engines/test_search.py`; here a model
writes it: the `conversational_search` item carries the model's text, its `[n]` markers become
citations into `search_results`, and a failing model falls back to quoting without failing the
search.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.api.query_engines.conftest import chunk_rows, corpus
from tests.conftest import TenantUser
from tests.integration.llm.peers import FakeOpenAI, Reply, completion, register
from tests.integration.retrieval.conftest import CountingEmbedder
from wxo.container import Container

ANSWER = "The moon pulls the oceans, so the tides rise and fall twice a day [1]."
QUESTION = "Why do the tides rise and fall?"


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    """A scripted OpenAI-compatible server on the loopback."""
    server = FakeOpenAI(Reply(json=completion(ANSWER, usage=(40, 15))))
    await server.start()
    yield server
    await server.stop()


async def _answer(
    client: httpx.AsyncClient, tenant: TenantUser, index_id: str, model: str
) -> dict[str, Any]:
    created = await client.post(
        "/v1/search-engines",
        json={
            "name": f"se-{uuid.uuid4().hex[:8]}",
            "index_ids": [index_id],
            "settings": {"mode": "keyword", "answer": {"model_id": model, "length": "concise"}},
        },
        headers=tenant.headers,
    )
    assert created.status_code == 201, created.text
    response = await client.post(
        f"/v1/search-engines/{created.json()['id']}/search",
        json={"query": QUESTION, "page_size": 3, "answer": True},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _check_citations(container: Container, body: dict[str, Any]) -> None:
    """Each citation is a span of the stored chunk of the result it points at."""
    item = body["answer"]
    async with container.sessionmaker() as session:
        rows = await chunk_rows(session, [r["chunk_id"] for r in body["results"]])
    # search_results are the page's results, in order, with their chunks' text
    assert [r["body"] for r in item["search_results"]] == [
        rows[r["chunk_id"]]["text"] for r in body["results"]
    ]
    for citation in item["citations"]:
        result = body["results"][citation["search_result_idx"]]
        chunk = rows[result["chunk_id"]]["text"]
        assert citation["body"] == chunk
        assert chunk[citation["range_start"] : citation["range_end"]] == citation["text"]
        assert citation["text"]


async def test_the_model_writes_the_answer_and_its_markers_cite_the_results(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    fake: FakeOpenAI,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    model = await register(
        live_client, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="a"
    )
    body = await _answer(live_client, live_tenant, data.index_id, model)
    item = body["answer"]
    assert item["response_type"] == "conversational_search"
    assert item["text"] == ANSWER
    assert item["extractive"] is False
    assert item["model_id"] == model
    assert item["note"] is None
    assert item["response_length_option"] == "concise"
    assert body["results"][0]["document_id"] == data.documents["moon.txt"]
    assert [c["search_result_idx"] for c in item["citations"]] == [0]
    assert item["citations"][0]["text"] == "That pull makes the tides rise and fall twice a day."
    await _check_citations(container, body)
    # The model was asked once, with the question and the numbered results.
    assert len(fake.seen) == 1
    prompt = fake.seen[0].json()["messages"][-1]["content"]
    assert QUESTION in prompt
    assert "[1] moon.txt" in prompt


async def test_a_failing_model_falls_back_to_quoting_and_says_why(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    fake: FakeOpenAI,
) -> None:
    fake.script(Reply(status=401, json={"error": {"message": "bad key"}}))
    data = await corpus(live_client, live_tenant, container, embedder)
    model = await register(
        live_client, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="b"
    )
    body = await _answer(live_client, live_tenant, data.index_id, model)
    item = body["answer"]
    assert fake.seen  # the model was tried
    assert item["extractive"] is True
    assert item["model_id"] == "local/extractive"
    assert model in item["note"]
    assert "could not answer" in item["note"]
    assert item["citations"]
    assert item["text"].startswith(item["citations"][0]["text"])
    await _check_citations(container, body)
