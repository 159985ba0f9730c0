"""Chat With Agents over real HTTP.

The `openai` SDK talks to our app (uvicorn on the loopback); runs are executed by a real
`wxo worker` with the default executor (the agent loop); the agent's model is a scripted
OpenAI-compatible peer.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import TenantUser, make_tenant_user
from tests.integration.documents.workers import WorkerProcess
from tests.integration.llm.peers import AppServer, FakeOpenAI, Reply, closed_port_url, register
from tests.integration.orchestrate.conftest import sse_text
from wxo.container import Container
from wxo.core.config import Settings
from wxo.main import create_app


@pytest.fixture(scope="module")
def agent_worker(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A real worker running runs with the default executor (no executor override)."""
    log = tmp_path_factory.mktemp("orchestrate-worker") / "worker.log"
    worker = WorkerProcess(
        settings,
        log,
        extra_env={"WXO_RUNS__HEARTBEAT_SECONDS": "0.5", "WXO_DOCUMENTS__WORKER_NICE": "0"},
    )
    try:
        yield
    finally:
        worker.stop()


@pytest.fixture
async def served(container: Container, agent_worker: None) -> AsyncIterator[AppServer]:
    """Our app on a loopback port."""
    server = AppServer(create_app(container.settings, container))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http(served: AppServer) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client of the served app."""
    async with httpx.AsyncClient(base_url=served.url, timeout=60.0) as client:
        yield client


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    """The agent's model."""
    server = FakeOpenAI(Reply(events=sse_text(["Hello ", "from ", "the agent."], usage=(9, 4))))
    await server.start()
    yield server
    await server.stop()


async def make_agent(
    http: httpx.AsyncClient, tenant: TenantUser, llm: str | None, **body: Any
) -> dict[str, Any]:
    response = await http.post(
        "/v1/orchestrate/agents",
        json={
            "name": f"agent_{uuid.uuid4().hex[:8]}",
            "llm": llm,
            "instructions": "Be brief.",
            **body,
        },
        headers=tenant.headers,
    )
    assert response.status_code in (200, 201), response.text
    agent: dict[str, Any] = response.json()
    return agent


def sdk(served: AppServer, tenant: TenantUser, agent_id: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=f"{served.url}/v1/orchestrate/{agent_id}", api_key=tenant.token, max_retries=0
    )


async def messages_of(
    http: httpx.AsyncClient, tenant: TenantUser, thread_id: str
) -> list[dict[str, Any]]:
    response = await http.get(f"/v1/threads/{thread_id}/messages", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    listed: list[dict[str, Any]] = body["data"] if isinstance(body, dict) else body
    return listed


async def test_openai_sdk_non_streamed_then_continued_on_the_thread(
    served: AppServer, http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    model = await register(
        http, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="chat"
    )
    agent = await make_agent(http, live_tenant, model)
    async with sdk(served, live_tenant, agent["id"]) as client:
        await non_streamed_then_continued(client, http, live_tenant, fake, model, agent)


async def non_streamed_then_continued(
    client: openai.AsyncOpenAI,
    http: httpx.AsyncClient,
    live_tenant: TenantUser,
    fake: FakeOpenAI,
    model: str,
    agent: dict[str, Any],
) -> None:
    first = await client.chat.completions.create(
        model="ignored", messages=[{"role": "user", "content": "Hi there"}]
    )
    assert first.object == "chat.completion"
    assert first.choices[0].message.content == "Hello from the agent."
    assert first.choices[0].finish_reason == "stop"
    assert first.model == model
    assert first.usage is not None
    assert (first.usage.prompt_tokens, first.usage.completion_tokens) == (9, 4)
    assert first.usage.total_tokens == 13
    thread_id = (first.model_extra or {})["thread_id"]
    run = await http.get(f"/v1/orchestrate/runs/{first.id}", headers=live_tenant.headers)
    assert run.status_code == 200
    assert run.json()["status"] == "completed"
    assert run.json()["thread_id"] == thread_id
    assert run.json()["agent_id"] == agent["id"]
    stored = await messages_of(http, live_tenant, thread_id)
    assert [m["role"] for m in stored] == ["user", "assistant"]
    assert stored[1]["content"][0]["text"] == "Hello from the agent."
    sent = fake.seen[0].json()
    assert sent["messages"][0]["content"].startswith("Be brief.")
    assert sent["messages"][-1] == {"role": "user", "content": "Hi there"}

    fake.script(Reply(events=sse_text(["Again."])))
    second = await client.chat.completions.create(
        model="ignored",
        messages=[{"role": "user", "content": "And now?"}],
        extra_headers={"X-IBM-THREAD-ID": thread_id},
    )
    assert (second.model_extra or {})["thread_id"] == thread_id
    assert second.choices[0].message.content == "Again."
    history = fake.seen[1].json()["messages"]
    assert [(m["role"], m["content"]) for m in history[1:]] == [
        ("user", "Hi there"),
        ("assistant", "Hello from the agent."),
        ("user", "And now?"),
    ]
    assert len(await messages_of(http, live_tenant, thread_id)) == 4


async def test_openai_sdk_stream_carries_thread_id_and_ends_with_stop(
    served: AppServer, http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    model = await register(
        http, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="chat"
    )
    agent = await make_agent(http, live_tenant, model)
    async with sdk(served, live_tenant, agent["name"]) as client:  # by name too
        stream = await client.chat.completions.create(
            model="ignored", messages=[{"role": "user", "content": "Stream it"}], stream=True
        )
        chunks = [chunk async for chunk in stream]
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    thread_ids = {(c.model_extra or {})["thread_id"] for c in chunks}
    assert len(thread_ids) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "Hello from the agent."
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 13
    assert len({c.id for c in chunks}) == 1
    stored = await messages_of(http, live_tenant, thread_ids.pop())
    assert stored[-1]["content"][0]["text"] == "Hello from the agent."


async def test_earlier_messages_seed_a_new_thread(
    served: AppServer, http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    model = await register(
        http, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="chat"
    )
    agent = await make_agent(http, live_tenant, model)
    response = await http.post(
        f"/v1/orchestrate/{agent['id']}/chat/completions",
        json={
            "messages": [
                {"role": "system", "content": "ignored"},
                {"role": "user", "content": "My name is Ada."},
                {"role": "assistant", "content": [{"type": "text", "text": "Hi Ada."}]},
                {"role": "user", "content": [{"type": "text", "text": "What is my name?"}]},
            ]
        },
        headers=live_tenant.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "object", "created", "model", "choices", "usage", "thread_id"}
    assert response.headers["X-IBM-THREAD-ID"] == body["thread_id"]
    sent = fake.seen[0].json()["messages"]
    assert [(m["role"], m["content"]) for m in sent[1:]] == [
        ("user", "My name is Ada."),
        ("assistant", "Hi Ada."),
        ("user", "What is my name?"),
    ]
    assert "ignored" not in sent[0]["content"]
    stored = await messages_of(http, live_tenant, body["thread_id"])
    assert [m["role"] for m in stored] == ["user", "assistant", "user", "assistant"]
    thread = await http.get(f"/v1/threads/{body['thread_id']}", headers=live_tenant.headers)
    assert thread.json()["agent_id"] == agent["id"]


async def test_cancelling_a_streamed_chat_ends_it_with_finish_reason_cancelled(
    served: AppServer, http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    fake.script(Reply(events=sse_text([f"w{i} " for i in range(400)]), event_delay=0.02))
    model = await register(
        http, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="slow"
    )
    agent = await make_agent(http, live_tenant, model)
    body = {"messages": [{"role": "user", "content": "Talk"}], "stream": True}
    chunks: list[Any] = []
    async with http.stream(
        "POST",
        f"/v1/orchestrate/{agent['id']}/chat/completions",
        json=body,
        headers=live_tenant.headers,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            payload = line[len("data: ") :]
            chunks.append(payload if payload == "[DONE]" else json.loads(payload))
            if len(chunks) == 3:  # role chunk + two words: cancel the run
                cancel = await http.post(
                    f"/v1/orchestrate/runs/cancel/{chunks[0]['id']}", headers=live_tenant.headers
                )
                assert cancel.status_code == 200, cancel.text
    assert chunks[-1] == "[DONE]"
    assert chunks[-2]["choices"][0]["finish_reason"] == "cancelled"
    words = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks[:-1])
    assert words.startswith("w0 w1 ")
    assert len(words.split()) < 400
    run = await http.get(f"/v1/orchestrate/runs/{chunks[0]['id']}", headers=live_tenant.headers)
    assert run.json()["status"] == "cancelled"
    await asyncio.wait_for(fake.seen[0].client_left.wait(), 10)
    assert not fake.seen[0].answered


async def test_failed_run_is_502_or_an_error_event(
    served: AppServer, http: httpx.AsyncClient, live_tenant: TenantUser
) -> None:
    model = await register(
        http, live_tenant, provider="openai-compatible", base_url=closed_port_url(), model="down"
    )
    agent = await make_agent(http, live_tenant, model)
    path = f"/v1/orchestrate/{agent['id']}/chat/completions"
    body = {"messages": [{"role": "user", "content": "Hi"}]}
    failed = await http.post(path, json=body, headers=live_tenant.headers)
    assert failed.status_code == 502, failed.text
    assert failed.json()["detail"].startswith("The run failed:")
    async with sdk(served, live_tenant, agent["id"]) as client:
        stream = await client.chat.completions.create(
            model="x", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        with pytest.raises(openai.APIError, match="The run failed"):
            await drain(stream)


async def drain(stream: AsyncIterator[Any]) -> None:
    async for _ in stream:
        pass


async def test_unknown_agent_thread_and_bad_bodies(
    served: AppServer,
    http: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    fake: FakeOpenAI,
) -> None:
    async with container.sessionmaker() as session:
        other = await make_tenant_user(session, container.settings, "other")
    model = await register(
        http, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="chat"
    )
    mine = await make_agent(http, live_tenant, model)
    theirs_model = await register(
        http, other, provider="openai-compatible", base_url=fake.base_url, model="chat"
    )
    theirs = await make_agent(http, other, theirs_model)
    their_thread = (await http.post("/v1/threads", json={}, headers=other.headers)).json()["id"]
    runs_before = (await http.get("/v1/orchestrate/runs", headers=live_tenant.headers)).json()
    hi = {"messages": [{"role": "user", "content": "Hi"}]}

    async def post(agent: str, body: Any, **headers: str) -> httpx.Response:
        return await http.post(
            f"/v1/orchestrate/{agent}/chat/completions",
            json=body,
            headers={**live_tenant.headers, **headers},
        )

    assert (await post("no-such-agent", hi)).status_code == 404
    assert (await post(theirs["id"], hi)).status_code == 404
    assert (await post(theirs["name"], hi)).status_code == 404
    assert (await post(mine["id"], hi, **{"X-IBM-THREAD-ID": their_thread})).status_code == 404
    assert (await post(mine["id"], hi, **{"X-IBM-THREAD-ID": "not-a-uuid"})).status_code == 404
    no_user = await post(mine["id"], {"messages": [{"role": "assistant", "content": "x"}]})
    assert no_user.status_code == 400
    assert "user message" in no_user.json()["detail"]
    assert (await post(mine["id"], {"messages": []})).status_code == 422
    assert (
        await post(mine["id"], {"messages": [{"role": "wizard", "content": "x"}]})
    ).status_code == 422
    unauthenticated = await http.post(f"/v1/orchestrate/{mine['id']}/chat/completions", json=hi)
    assert unauthenticated.status_code == 401
    runs_after = (await http.get("/v1/orchestrate/runs", headers=live_tenant.headers)).json()
    assert runs_after["total"] == runs_before["total"]  # nothing was started
    assert fake.seen == []
    # the other tenant's own agent answers them, at /api/v1 too
    theirs_ok = await http.post(
        f"/api/v1/orchestrate/{theirs['id']}/chat/completions", json=hi, headers=other.headers
    )
    assert theirs_ok.status_code == 200, theirs_ok.text
    assert theirs_ok.json()["choices"][0]["message"]["content"] == "Hello from the agent."
