"""Asking a query engine over a real, indexed collection (extractive: no chat model configured)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from tests.api.query_engines.conftest import ask, check_citations, chunk_rows, corpus, make_engine
from tests.conftest import TenantUser, make_tenant_user
from tests.integration.retrieval.conftest import CountingEmbedder
from wxo.container import Container
from wxo.rag.answer import EXTRACTIVE_NOTE, NO_PASSAGES
from wxo.threads.models import Message


async def test_extractive_answer_cites_exact_chunk_text(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    engine = await make_engine(live_client, live_tenant, [data.index_id])
    body = await ask(
        live_client, live_tenant, engine["id"], query="Why do the tides rise and fall?"
    )
    assert body["extractive"] is True
    assert body["model_id"] == "local/extractive"
    assert "No chat model is configured" in body["note"]
    assert body["usage"] is None
    assert "tides rise and fall twice a day" in body["answer"]
    assert body["citations"], body
    moon = data.documents["moon.txt"]
    assert body["citations"][0]["document_id"] == moon
    assert body["citations"][0]["title"] == "moon.txt"
    async with container.sessionmaker() as session:
        await check_citations(session, body)
        rows = await chunk_rows(session, [s["chunk_id"] for s in body["sources"]])
    for source in body["sources"]:  # sources are the index's chunks, as stored
        assert rows[source["chunk_id"]]["text"] == source["text"]
        assert source["role"] == "hit"
    assert len(body["sources"]) <= 5
    for citation in body["citations"]:  # each quoted sentence is in the answer, numbered
        assert f"{citation['text']} [{citation['source_index'] + 1}]" in body["answer"]
    assert body["timings_ms"]["total"] >= body["timings_ms"]["retrieval"] > 0
    assert body["skipped_patterns"] == []
    assert body["queries"] == ["Why do the tides rise and fall?"]


async def test_generative_patterns_are_skipped_without_a_chat_model(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    engine = await make_engine(
        live_client,
        live_tenant,
        [data.index_id],
        retrieval={"patterns": ["multi_query", "hyde", "sub_question", "recency"]},
        synthesis={"mode": "tree_summarize", "length": "concise"},
    )
    body = await ask(live_client, live_tenant, engine["id"], query="What does yeast produce?")
    assert [s["pattern"] for s in body["skipped_patterns"]] == [
        "multi_query",
        "hyde",
        "sub_question",
    ]
    assert all("generative" in s["reason"] for s in body["skipped_patterns"])
    assert body["patterns"] == ["recency"]
    assert body["queries"] == ["What does yeast produce?"]  # no rewrites ran
    assert body["extractive"] is True
    assert len(body["citations"]) == 1  # concise: one sentence
    assert body["citations"][0]["document_id"] == data.documents["bread.txt"]
    assert body["citations"][0]["text"] == "Bread rises because yeast produces carbon dioxide."
    async with container.sessionmaker() as session:
        await check_citations(session, body)


async def test_filters_and_citations_off(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    engine = await make_engine(
        live_client, live_tenant, [data.index_id], synthesis={"citations": False}
    )
    cats = data.documents["cats.txt"]
    body = await ask(
        live_client,
        live_tenant,
        engine["id"],
        query="Why do the tides rise?",
        filters={"document_ids": [cats]},
    )
    assert {s["document_id"] for s in body["sources"]} <= {cats}
    assert body["citations"] == []
    assert "tides" not in body["answer"]
    nothing = await ask(
        live_client,
        live_tenant,
        engine["id"],
        query="Why do the tides rise?",
        filters={"document_ids": [str(uuid.uuid4())]},
    )
    assert nothing["sources"] == []
    assert nothing["citations"] == []
    assert nothing["answer"] == NO_PASSAGES
    assert nothing["note"]


def _events(raw: str) -> list[tuple[str, Any]]:
    events = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


async def test_stream_sends_retrieval_deltas_citations_done(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    engine = await make_engine(live_client, live_tenant, [data.index_id])
    thread = await live_client.post("/v1/threads", json={}, headers=live_tenant.headers)
    thread_id = thread.json()["id"]
    async with live_client.stream(
        "POST",
        f"/v1/query-engines/{engine['id']}/query",
        json={"query": "Why do the tides rise?", "stream": True, "thread_id": thread_id},
        headers=live_tenant.headers,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = (await response.aread()).decode()
    events = _events(raw)
    names = [name for name, _ in events]
    assert names[0] == "retrieval"
    assert names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) == {"delta"}
    assert len(names) >= 4
    done = events[-1][1]
    assert "".join(e[1]["text"] for e in events if e[0] == "delta") == done["answer"]
    assert events[-2][1]["citations"] == done["citations"]
    assert events[0][1]["sources"] == done["sources"]
    assert done["extractive"] is True
    async with container.sessionmaker() as session:
        await check_citations(session, done)
        stored = (
            (
                await session.execute(
                    select(Message.id).where(Message.thread_id == uuid.UUID(thread_id))
                )
            )
            .scalars()
            .all()
        )
    assert sorted(str(i) for i in stored) == sorted(done["thread_message_ids"])
    assert len(stored) == 2


async def test_thread_gets_the_question_and_the_answer(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    engine = await make_engine(live_client, live_tenant, [data.index_id])
    thread = await live_client.post(
        "/v1/threads", json={"title": "rag"}, headers=live_tenant.headers
    )
    assert thread.status_code == 201, thread.text
    thread_id = thread.json()["id"]
    body = await ask(
        live_client, live_tenant, engine["id"], query="Why do the tides rise?", thread_id=thread_id
    )
    assert len(body["thread_message_ids"]) == 2
    async with container.sessionmaker() as session:
        rows = (
            (
                await session.execute(
                    select(Message)
                    .where(Message.thread_id == uuid.UUID(thread_id))
                    .order_by(Message.seq)
                )
            )
            .scalars()
            .all()
        )
    assert [str(m.id) for m in rows] == body["thread_message_ids"]
    assert [m.role.value if hasattr(m.role, "value") else m.role for m in rows] == [
        "user",
        "assistant",
    ]
    listed = await live_client.get(f"/v1/threads/{thread_id}/messages", headers=live_tenant.headers)
    assert listed.status_code == 200
    messages = listed.json()
    messages = messages["data"] if isinstance(messages, dict) else messages
    by_role = {m["role"]: m for m in messages}
    assert by_role["user"]["content"] == [
        {"response_type": "text", "text": "Why do the tides rise?"}
    ]
    item = by_role["assistant"]["content"][0]
    assert item["response_type"] == "conversational_search"
    assert item["text"] == body["answer"]
    assert [c["text"] for c in item["citations"]] == [c["text"] for c in body["citations"]]
    assert len(item["search_results"]) == len(body["sources"])

    # Another tenant's thread is a 404, and nothing is appended to it.
    async with container.sessionmaker() as session:
        other = await make_tenant_user(session, container.settings, "other")
    theirs = await live_client.post("/v1/threads", json={}, headers=other.headers)
    refused = await live_client.post(
        f"/v1/query-engines/{engine['id']}/query",
        json={"query": "tides", "thread_id": theirs.json()["id"]},
        headers=live_tenant.headers,
    )
    assert refused.status_code == 404
    missing = await live_client.post(
        f"/v1/query-engines/{engine['id']}/query",
        json={"query": "tides", "thread_id": str(uuid.uuid4()), "stream": True},
        headers=live_tenant.headers,
    )
    assert missing.status_code == 404
    async with container.sessionmaker() as session:
        count = (
            await session.execute(
                select(func.count()).where(Message.thread_id == uuid.UUID(theirs.json()["id"]))
            )
        ).scalar_one()
    assert count == 0


async def test_the_local_extractive_model_answers_through_the_proxy(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    engine = await make_engine(
        live_client,
        live_tenant,
        [data.index_id],
        model_id="local/extractive",
        retrieval={"top_k": 2, "patterns": ["hyde", "sentence_window"]},
    )
    body = await ask(live_client, live_tenant, engine["id"], query="When is a cat content?")
    assert body["model_id"] == "local/extractive"
    assert body["extractive"] is True
    assert body["note"] == EXTRACTIVE_NOTE  # the engine's model, not "no model configured"
    assert body["usage"] is None
    assert body["patterns"] == ["sentence_window"]
    [skipped] = body["skipped_patterns"]
    assert skipped["pattern"] == "hyde"
    assert EXTRACTIVE_NOTE in skipped["reason"]
    assert body["citations"][0]["document_id"] == data.documents["cats.txt"]
    assert body["citations"][0]["text"] == "A cat purrs when it is content."
    async with container.sessionmaker() as session:
        await check_citations(session, body)
