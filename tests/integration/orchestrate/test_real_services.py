"""The agent loop with the real services (`default_backends`).

Agents, knowledge bases (extracted and indexed for real) and custom assistants are the real
services; the model is the extractive one or a scripted peer.
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
from tests.integration.llm.peers import FakeOpenAI, Reply, register
from tests.integration.orchestrate.conftest import (
    RecordingSink,
    env_for,
    run_input,
    sse_text,
    sse_tool_calls,
)
from tests.integration.retrieval.conftest import CountingEmbedder, embedder
from wxo.container import Container
from wxo.orchestrate.backends import default_backends
from wxo.orchestrate.loop import run_loop

__all__ = ["embedder"]

FILES = {
    "leave.md": "# Leave\n\nEmployees get 25 vacation days a year. Unused days expire in March.",
    "garage.txt": "The garage opens at seven in the morning. Bicycles park in the courtyard.",
}


@pytest.fixture
async def http(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """A committing client whose routes send jobs to a recording queue (processed by hand)."""
    async with committing_client(container) as client:
        yield client


@pytest.fixture
async def tenant(container: Container) -> TenantUser:
    """A committed tenant."""
    async with container.sessionmaker() as session:
        return await make_tenant_user(session, container.settings, "orch-real")


@pytest.fixture
async def knowledge_base(
    http: httpx.AsyncClient, tenant: TenantUser, container: Container, embedder: CountingEmbedder
) -> dict[str, Any]:
    """A knowledge base of FILES, extracted and indexed."""
    return await indexed_knowledge_base(
        http,
        tenant,
        container,
        embedder,
        name="company_handbook",
        description="Policies",
        files=FILES,
    )


async def make_agent(http: httpx.AsyncClient, tenant: TenantUser, **body: Any) -> dict[str, Any]:
    response = await http.post(
        "/v1/orchestrate/agents",
        json={"name": f"agent_{uuid.uuid4().hex[:8]}", **body},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    agent: dict[str, Any] = response.json()
    return agent


def check_citations(item: dict[str, Any], chunks: set[str]) -> None:
    assert item["citations"]
    for citation in item["citations"]:
        cited = item["search_results"][citation["search_result_idx"]]["body"]
        assert cited in chunks
        assert citation["text"] in cited
        assert cited[citation["range_start"] : citation["range_end"]] == citation["text"]


async def test_extractive_agent_answers_from_its_knowledge_base_with_citations(
    http: httpx.AsyncClient,
    tenant: TenantUser,
    container: Container,
    knowledge_base: dict[str, Any],
) -> None:
    agent = await make_agent(
        http, tenant, llm="local/extractive", knowledge_base=[knowledge_base["name"]]
    )
    sink = RecordingSink()
    question = "How many vacation days do employees get?"
    out = await run_loop(
        env_for(container, tenant.tenant_id),
        run_input(tenant.tenant_id, question, agent_id=agent["name"]),
        sink,
        default_backends(container.settings),
    )
    [item] = out.content
    assert item["response_type"] == "conversational_search"
    assert "25 vacation days" in item["text"]
    assert sink.text == item["text"]
    check_citations(item, await collection_chunks(container, knowledge_base["collection_id"]))
    assert any("25 vacation days" in c["text"] for c in item["citations"])
    assert item["search_results"][0]["title"] == "leave.md"
    calls = sink.steps[0][0]["tool_calls"]
    assert calls == [
        {"id": "direct_search_0", "name": "search_company_handbook", "args": {"query": question}}
    ]
    assert "cannot call tools" in json.loads(sink.steps[1][0]["content"])["note"]
    assert out.agent_id == agent["id"]


async def test_tool_calling_agent_searches_its_knowledge_base(
    http: httpx.AsyncClient,
    tenant: TenantUser,
    container: Container,
    knowledge_base: dict[str, Any],
) -> None:
    fake = FakeOpenAI(
        Reply(
            events=sse_tool_calls(
                [("k1", "search_company_handbook", {"query": "when does the garage open"})]
            )
        ),
        Reply(events=sse_text(["The garage opens at seven."])),
    )
    await fake.start()
    try:
        model = await register(
            http, tenant, provider="openai-compatible", base_url=fake.base_url, model="tools"
        )
        agent = await make_agent(http, tenant, llm=model, knowledge_base=[knowledge_base["id"]])
        sink = RecordingSink()
        out = await run_loop(
            env_for(container, tenant.tenant_id),
            run_input(tenant.tenant_id, "When does the garage open?", agent_id=agent["id"]),
            sink,
            default_backends(container.settings),
        )
    finally:
        await fake.stop()
    assert out.content[0] == {"response_type": "text", "text": "The garage opens at seven."}
    item = out.content[1]
    assert item["response_type"] == "conversational_search"
    check_citations(item, await collection_chunks(container, knowledge_base["collection_id"]))
    result = json.loads(sink.steps[1][0]["content"])
    assert result["knowledge_base"] == "company_handbook"
    assert any("seven" in r["body"] for r in result["results"])
    tool_message = fake.seen[1].json()["messages"][-1]
    assert tool_message["role"] == "tool"
    assert "garage opens at seven" in tool_message["content"]


async def test_custom_assistant_run_and_the_builtin_assistant_calling_it(
    http: httpx.AsyncClient, tenant: TenantUser, container: Container
) -> None:
    fake = FakeOpenAI(Reply(events=sse_text(["Bonjour ", "!"])))
    await fake.start()
    try:
        model = await register(
            http, tenant, provider="openai-compatible", base_url=fake.base_url, model="custom"
        )
        created = await http.post(
            "/v1/assistants/custom",
            json={
                "name": "French Helper",
                "description": "Answers in French.",
                "instructions": "Answer in French.",
                "llm_name": model,
            },
            headers=tenant.headers,
        )
        assert created.status_code == 201, created.text
        assistant_id = uuid.UUID(created.json()["id"])
        env = env_for(container, tenant.tenant_id)
        sink = RecordingSink()
        out = await run_loop(
            env,
            run_input(tenant.tenant_id, "Say hello", assistant_id=assistant_id),
            sink,
            default_backends(container.settings),
        )
        assert out.content == [{"response_type": "text", "text": "Bonjour !"}]
        assert sink.text == "Bonjour !"
        assert fake.seen[0].json()["messages"][0] == {
            "role": "system",
            "content": "Answer in French.",
        }

        fake.script(
            Reply(events=sse_tool_calls([("c", "call_french_helper", {"message": "Hello?"})])),
            Reply(events=sse_text(["Salut !"])),
            Reply(events=sse_text(["It said: Salut !"])),
        )
        sink = RecordingSink()
        out = await run_loop(
            env,
            run_input(
                tenant.tenant_id,
                "Ask the French helper",
                additional_parameters={"llm_model_id": model},
            ),
            sink,
            default_backends(container.settings),
        )
    finally:
        await fake.stop()
    offered = [t["function"]["name"] for t in fake.seen[1].json()["tools"]]
    assert "call_french_helper" in offered
    assert sink.steps[1][0]["content"] == "Salut !"
    assert out.content == [{"response_type": "text", "text": "It said: Salut !"}]
