"""Generated answers from a scripted OpenAI-compatible model (a stand-in for a hosted provider).

Deterministic replies let the tests check what the server does with them: `[n]` markers become
citations of the named source's best sentence, the prompt numbers the sources, the tenant's
default chat model is used when the engine names none, and provider failures stay clean.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.api.query_engines.conftest import ask, check_citations, corpus, make_engine
from tests.conftest import TenantUser
from tests.integration.llm.peers import FakeOpenAI, Reply, chunks, completion, register
from tests.integration.retrieval.conftest import CountingEmbedder
from wxo.container import Container
from wxo.rag.answer import EXTRACTIVE_NOTE

ANSWER = (
    "The moon's gravity makes the tides rise and fall twice a day [1]. Sailors plan around"
    " the tides [1]."
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    """A scripted OpenAI-compatible server on the loopback."""
    server = FakeOpenAI(Reply(json=completion(ANSWER, usage=(50, 20))))
    await server.start()
    yield server
    await server.stop()


async def test_markers_become_citations_of_the_named_source(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    fake: FakeOpenAI,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    model = await register(
        live_client, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="f"
    )
    engine = await make_engine(
        live_client,
        live_tenant,
        [data.index_id],
        model_id=model,
        retrieval={"top_k": 3},
        synthesis={"system_prompt": "Answer like a harbour master.", "max_tokens": 77},
    )
    thread = await live_client.post("/v1/threads", json={}, headers=live_tenant.headers)
    thread_id = thread.json()["id"]
    body = await ask(
        live_client, live_tenant, engine["id"], query="Why do the tides rise?", thread_id=thread_id
    )
    assert body["answer"] == ANSWER
    assert body["extractive"] is False
    assert body["model_id"] == model
    # the session was released while the model answered, and reopened for the thread
    messages = await live_client.get(
        f"/v1/threads/{thread_id}/messages", headers=live_tenant.headers
    )
    listed = messages.json()
    listed = listed["data"] if isinstance(listed, dict) else listed
    assert [m["id"] for m in listed] == body["thread_message_ids"]
    assistant = listed[1]["content"][0]
    assert assistant["text"] == ANSWER
    assert assistant["model_id"] == model
    assert assistant["extractive"] is False
    assert body["usage"] == {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70}
    assert body["sources"][0]["document_id"] == data.documents["moon.txt"]
    assert [c["text"] for c in body["citations"]] == [
        "That pull makes the tides rise and fall twice a day.",
        "Sailors time their departures by the tides.",
    ]
    assert {c["source_index"] for c in body["citations"]} == {0}
    async with container.sessionmaker() as session:
        await check_citations(session, body)
    sent = fake.seen[-1].json()
    assert sent["max_tokens"] == 77
    system = sent["messages"][0]
    assert system["role"] == "system"
    assert "Answer like a harbour master." in system["content"]
    assert "[1]" in system["content"] or "[1]" in sent["messages"][1]["content"]
    user = sent["messages"][-1]["content"]
    assert "Why do the tides rise?" in user
    assert "[1] moon.txt" in user  # sources numbered, with their titles
    assert "[3]" in user


async def test_the_tenants_default_chat_model_answers_when_the_engine_names_none(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    fake: FakeOpenAI,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    engine = await make_engine(live_client, live_tenant, [data.index_id])
    before = await ask(live_client, live_tenant, engine["id"], query="Why do the tides rise?")
    assert before["extractive"] is True
    model = f"virtual-model/openai-compatible/d-{uuid.uuid4().hex[:8]}"
    created = await live_client.post(
        "/v1/models",
        json={
            "name": model,
            "tags": ["default"],
            "provider_config": {
                "provider": "openai-compatible",
                "custom_host": fake.base_url,
                "api_key": "x",
            },
        },
        headers=live_tenant.headers,
    )
    assert created.status_code == 201, created.text
    after = await ask(live_client, live_tenant, engine["id"], query="Why do the tides rise?")
    assert after["extractive"] is False
    assert after["model_id"] == model
    assert after["answer"] == ANSWER
    assert len(fake.seen) == 1


async def test_provider_failure_is_a_clean_error_json_and_stream(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    fake: FakeOpenAI,
) -> None:
    fake.script(Reply(status=401, json={"error": {"message": "bad key"}}))
    data = await corpus(live_client, live_tenant, container, embedder)
    model = await register(
        live_client, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="x"
    )
    engine = await make_engine(live_client, live_tenant, [data.index_id], model_id=model)
    path = f"/v1/query-engines/{engine['id']}/query"
    failed = await live_client.post(path, json={"query": "tides"}, headers=live_tenant.headers)
    assert 400 <= failed.status_code < 600
    assert failed.status_code != 500, failed.text
    assert "detail" in failed.json()
    streamed = await live_client.post(
        path, json={"query": "tides", "stream": True}, headers=live_tenant.headers
    )
    assert streamed.status_code == 200
    events = [block.split("\n")[0] for block in streamed.text.strip().split("\n\n")]
    assert events[0] == "event: retrieval"
    assert events[-1] == "event: error"
    assert "done" not in streamed.text.split("event: error")[0].split("event: retrieval")[-1]


async def test_sub_question_answers_each_part_then_the_whole(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    fake: FakeOpenAI,
) -> None:
    split = (
        '```json\n{"items": [{"sub_question": "What pulls the oceans?", "tool_name":'
        ' "knowledge_base"}, {"sub_question": "What does yeast produce?", "tool_name":'
        ' "knowledge_base"}]}\n```'
    )
    final = "The moon pulls the oceans [1]. Yeast produces carbon dioxide [2]."
    fake.script(
        Reply(json=completion(split)),
        Reply(json=completion("The moon pulls the oceans [1].")),
        Reply(json=completion("Yeast produces carbon dioxide [1].")),
        Reply(json=completion(final)),
    )
    data = await corpus(live_client, live_tenant, container, embedder)
    model = await register(
        live_client, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="s"
    )
    engine = await make_engine(
        live_client,
        live_tenant,
        [data.index_id],
        model_id=model,
        retrieval={"top_k": 3, "patterns": ["sub_question"]},
    )
    question = "What pulls the oceans, and what does yeast produce?"
    body = await ask(live_client, live_tenant, engine["id"], query=question)
    assert body["sub_questions"] == ["What pulls the oceans?", "What does yeast produce?"]
    assert body["sub_answers"] == [
        {"question": "What pulls the oceans?", "answer": "The moon pulls the oceans."},
        {"question": "What does yeast produce?", "answer": "Yeast produces carbon dioxide."},
    ]
    assert body["answer"] == final
    assert body["queries"][:3] == [question, *body["sub_questions"]]
    assert len(fake.seen) == 4
    assert body["usage"]["completion_tokens"] == 4 * 3  # every call counted
    part = fake.seen[1].json()["messages"][-1]["content"]
    assert "What pulls the oceans?" in part
    last = fake.seen[3].json()["messages"][-1]["content"]
    assert "Answers found for parts of the question" in last
    assert "- What does yeast produce? Yeast produces carbon dioxide." in last
    documents = {c["document_id"] for c in body["citations"]}
    assert data.documents["moon.txt"] in documents or data.documents["bread.txt"] in documents
    async with container.sessionmaker() as session:
        await check_citations(session, body)


async def test_a_model_deleted_after_saving_is_a_clear_400(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    fake: FakeOpenAI,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    model = await register(
        live_client, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="g"
    )
    engine = await make_engine(live_client, live_tenant, [data.index_id], model_id=model)
    listed = await live_client.get("/v1/models", headers=live_tenant.headers)
    model_row = next(m for m in listed.json() if m["name"] == model)
    removed = await live_client.delete(f"/v1/models/{model_row['id']}", headers=live_tenant.headers)
    assert removed.status_code in (200, 204), removed.text
    for stream in (False, True):
        response = await live_client.post(
            f"/v1/query-engines/{engine['id']}/query",
            json={"query": "tides", "stream": stream},
            headers=live_tenant.headers,
        )
        assert response.status_code == 400, response.text
        assert model in response.json()["detail"]
    assert fake.seen == []


@pytest.mark.parametrize("mode", ["compact", "refine", "tree_summarize"])
async def test_every_generative_mode_streams_the_models_tokens(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    fake: FakeOpenAI,
    mode: str,
) -> None:
    pieces = ["The moon's gravity ", "makes the tides rise ", "and fall twice a day [1]."]
    fake.script(Reply(events=chunks(pieces)))
    data = await corpus(live_client, live_tenant, container, embedder)
    model = await register(
        live_client, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="t"
    )
    engine = await make_engine(
        live_client,
        live_tenant,
        [data.index_id],
        model_id=model,
        retrieval={"top_k": 2},
        synthesis={"mode": mode},
    )
    response = await live_client.post(
        f"/v1/query-engines/{engine['id']}/query",
        json={"query": "Why do the tides rise?", "stream": True},
        headers=live_tenant.headers,
    )
    assert response.status_code == 200
    events = []
    for block in response.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    deltas = [d["text"] for n, d in events if n == "delta"]
    assert deltas == pieces
    assert [n for n, _ in events] == ["retrieval", "delta", "delta", "delta", "citations", "done"]
    done = events[-1][1]
    assert done["answer"] == "".join(pieces)
    assert done["citations"][0]["text"] == "That pull makes the tides rise and fall twice a day."
    assert all(seen.json().get("stream") for seen in fake.seen[-1:])
    async with container.sessionmaker() as session:
        await check_citations(session, done)


async def test_extractive_synthesis_quotes_while_the_model_rewrites_the_query(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    fake: FakeOpenAI,
) -> None:
    fake.script(Reply(json=completion("moon gravity oceans\nsailors departures", usage=(9, 4))))
    data = await corpus(live_client, live_tenant, container, embedder)
    model = await register(
        live_client, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="q"
    )
    engine = await make_engine(
        live_client,
        live_tenant,
        [data.index_id],
        model_id=model,
        retrieval={"top_k": 3, "patterns": ["multi_query"]},
        synthesis={"mode": "extractive", "length": "concise"},
    )
    question = "Why do the tides rise and fall?"
    body = await ask(live_client, live_tenant, engine["id"], query=question)
    # The model wrote the rewrites (one call) and nothing else: the answer is quoted.
    assert len(fake.seen) == 1
    assert question in fake.seen[0].json()["messages"][-1]["content"]
    assert body["patterns"] == ["multi_query"]
    assert body["skipped_patterns"] == []
    assert body["queries"] == [question, "moon gravity oceans", "sailors departures"]
    assert body["extractive"] is True
    assert body["model_id"] == "local/extractive"
    assert body["note"] == EXTRACTIVE_NOTE
    assert body["usage"] == {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}
    assert [c["text"] for c in body["citations"]] == [
        "That pull makes the tides rise and fall twice a day."
    ]
    assert (
        body["answer"]
        == f"{body['citations'][0]['text']} [{body['citations'][0]['source_index'] + 1}]"
    )
    async with container.sessionmaker() as session:
        await check_citations(session, body)
