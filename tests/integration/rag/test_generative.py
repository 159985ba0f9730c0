"""Generative answers and patterns through the Model Proxy with SmolLM2 (in-process llama.cpp).

Few and short (max_tokens small): SmolLM2 is slow on two cores. The model's wording is not
checked, only what the server guarantees: the patterns ran, every citation is an exact slice of
its chunk, usage was counted.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.api.query_engines.conftest import ask, check_citations, corpus, make_engine
from tests.conftest import TenantUser
from tests.integration.retrieval.conftest import CountingEmbedder
from wxo.container import Container


async def test_llm_patterns_run_with_a_generative_model(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    smollm: str,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    engine = await make_engine(
        live_client,
        live_tenant,
        [data.index_id],
        model_id=smollm,
        retrieval={"top_k": 2, "patterns": ["multi_query", "hyde", "sub_question"]},
        synthesis={"mode": "compact", "max_tokens": 40},
    )
    question = "Why do the tides rise and fall?"
    body = await ask(live_client, live_tenant, engine["id"], query=question)
    assert body["extractive"] is False
    assert body["model_id"] == smollm
    assert body["patterns"] == ["multi_query", "hyde", "sub_question"]
    assert body["skipped_patterns"] == []
    assert body["queries"][0] == question
    assert len(body["queries"]) >= 2  # HyDE's passage and/or rewrites were retrieved too
    # sub_question ran: it produced sub-questions, or says why it used the question alone
    assert body["sub_questions"] or "sub_question" in (body["note"] or "")
    assert body["answer"]
    assert body["usage"]["completion_tokens"] > 0
    assert body["usage"]["total_tokens"] == (
        body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )
    async with container.sessionmaker() as session:
        await check_citations(session, body)


@pytest.mark.parametrize("mode", ["refine", "tree_summarize"])
async def test_synthesis_modes_answer_through_the_model(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    smollm: str,
    mode: str,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    engine = await make_engine(
        live_client,
        live_tenant,
        [data.index_id],
        model_id=smollm,
        retrieval={"top_k": 2},
        synthesis={"mode": mode, "max_tokens": 32, "length": "concise"},
    )
    body = await ask(live_client, live_tenant, engine["id"], query="What does yeast produce?")
    assert body["extractive"] is False
    assert body["model_id"] == smollm
    assert body["answer"]
    assert body["usage"]["completion_tokens"] > 0
    async with container.sessionmaker() as session:
        await check_citations(session, body)


async def test_stream_deltas_come_from_the_model(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    smollm: str,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    engine = await make_engine(
        live_client,
        live_tenant,
        [data.index_id],
        model_id=smollm,
        retrieval={"top_k": 2},
        synthesis={"max_tokens": 32},
    )
    response = await live_client.post(
        f"/v1/query-engines/{engine['id']}/query",
        json={"query": "Why do cats purr?", "stream": True},
        headers=live_tenant.headers,
    )
    assert response.status_code == 200
    events = []
    for block in response.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    names = [n for n, _ in events]
    assert names[0] == "retrieval"
    assert names[-2:] == ["citations", "done"]
    deltas = [d["text"] for n, d in events if n == "delta"]
    assert len(deltas) > 1  # token by token
    done = events[-1][1]
    assert "".join(deltas).strip() == done["answer"]
    assert done["extractive"] is False
    async with container.sessionmaker() as session:
        await check_citations(session, done)
