"""Runs API contract without a worker: creation side effects, tenants, validation, cancel."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.agents.conftest import make_agent
from tests.api.assistants.conftest import create_custom
from tests.api.documents.conftest import RecordingQueue
from tests.conftest import TenantUser
from wxo.documents.dependencies import get_queue
from wxo.runs.models import Run, RunEvent
from wxo.runs.params import chat_params, model_of
from wxo.threads.models import Message, Thread


@pytest.fixture
def queue(app: FastAPI) -> RecordingQueue:
    """The queue the run routes send to (no worker)."""
    recording = RecordingQueue()

    async def override() -> RecordingQueue:
        return recording

    app.dependency_overrides[get_queue] = override
    return recording


async def _create(
    client: httpx.AsyncClient, tenant: TenantUser, path: str = "/v1/orchestrate/runs", **body: Any
) -> httpx.Response:
    payload = {"message": {"role": "user", "content": "hi"}, **body}
    return await client.post(path, json=payload, headers=tenant.headers)


async def test_create_run_stores_thread_message_run_and_queues_the_job(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    agent_id = (await make_agent(client, tenant_a))["id"]
    response = await _create(
        client,
        tenant_a,
        agent_id=agent_id,
        environment_id="draft",
        version=3,
        llm_params={"max_new_tokens": 5, "decoding_method": "greedy"},
        additional_parameters={"llm_model_id": "local/extractive"},
        additional_properties={"k": "v"},
        context={"userID": 1},
        capture_logs=True,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["task_id"] == "job-1"
    run = await session.get(Run, uuid.UUID(body["run_id"]))
    assert run is not None
    assert run.tenant_id == tenant_a.tenant_id
    assert run.status == "pending"
    assert run.task_id == "job-1"
    assert (run.agent_id, run.environment_id, run.version) == (agent_id, "draft", 3)
    assert run.llm_params == {"max_new_tokens": 5, "decoding_method": "greedy"}
    assert run.additional_parameters == {"llm_model_id": "local/extractive"}
    assert run.capture_logs is True
    assert queue.sent == [("wxo.runs.execute", {"run_id": body["run_id"]})]
    thread = await session.get(Thread, uuid.UUID(body["thread_id"]))
    assert thread is not None
    assert thread.agent_id == uuid.UUID(agent_id)
    assert thread.title == "hi"
    message = await session.get(Message, uuid.UUID(body["message_id"]))
    assert message is not None
    assert (message.role, message.thread_id) == ("user", thread.id)
    assert message.content == [{"response_type": "text", "text": "hi"}]

    got = await client.get(f"/v1/orchestrate/runs/{body['run_id']}", headers=tenant_a.headers)
    assert got.status_code == 200
    read = got.json()
    assert read["status"] == "pending"
    assert read["id"] == read["run_id"] == body["run_id"]
    assert read["message_id"] == body["message_id"]
    assert read["additional_properties"] == {"k": "v"}
    assert read["context"] == {"userID": 1}


async def test_an_agent_named_by_name_is_kept_on_the_run_and_its_id_on_the_thread(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    name = f"my_agent_{uuid.uuid4().hex[:6]}"
    agent_id = (await make_agent(client, tenant_a, name))["id"]
    response = await _create(client, tenant_a, agent_id=name)
    assert response.status_code == 200, response.text
    body = response.json()
    thread = await session.get(Thread, uuid.UUID(body["thread_id"]))
    assert thread is not None
    assert thread.agent_id == uuid.UUID(agent_id)
    run = await client.get(f"/v1/orchestrate/runs/{body['run_id']}", headers=tenant_a.headers)
    assert run.json()["agent_id"] == name


@pytest.mark.parametrize("path", ["/v1/orchestrate/runs", "/v1/orchestrate/runs/stream"])
async def test_an_unknown_or_other_tenants_agent_is_404_and_stores_nothing(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
    path: str,
) -> None:
    theirs = (await make_agent(client, tenant_b))["id"]
    for ref in ("nope", str(uuid.uuid4()), theirs):
        response = await _create(client, tenant_a, path, agent_id=ref)
        assert response.status_code == 404, response.text
        assert response.json()["detail"] == f"Agent '{ref}' not found"
    runs = await session.scalars(select(Run).where(Run.tenant_id == tenant_a.tenant_id))
    threads = await session.scalars(select(Thread).where(Thread.tenant_id == tenant_a.tenant_id))
    assert (list(runs), list(threads)) == ([], [])
    assert queue.sent == []


async def test_another_tenants_thread_or_run_is_404(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
) -> None:
    mine = (await _create(client, tenant_a)).json()
    theirs = await _create(client, tenant_b, thread_id=mine["thread_id"])
    assert theirs.status_code == 404
    unknown = await _create(client, tenant_a, thread_id=str(uuid.uuid4()))
    assert unknown.status_code == 404
    runs = (await session.execute(select(Run).where(Run.tenant_id == tenant_b.tenant_id))).all()
    assert runs == []
    assert len(queue.sent) == 1

    run_id = mine["run_id"]
    for method, path in (
        ("GET", f"/v1/orchestrate/runs/{run_id}"),
        ("GET", f"/v1/orchestrate/runs/{run_id}/events"),
        ("POST", f"/v1/orchestrate/runs/cancel/{run_id}"),
    ):
        response = await client.request(method, path, headers=tenant_b.headers)
        assert response.status_code == 404, (path, response.text)
    listed = await client.get("/v1/orchestrate/runs", headers=tenant_b.headers)
    assert listed.json() == {"total": 0, "limit": 50, "offset": 0, "data": []}
    unknown_run = await client.get(f"/v1/orchestrate/runs/{uuid.uuid4()}", headers=tenant_a.headers)
    assert unknown_run.status_code == 404
    unauthenticated = await client.get(f"/v1/orchestrate/runs/{run_id}")
    assert unauthenticated.status_code == 401


async def test_list_is_newest_first_and_paginated(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    ids = [(await _create(client, tenant_a)).json()["run_id"] for _ in range(3)]
    page = await client.get(
        "/v1/orchestrate/runs", params={"limit": 2, "offset": 0}, headers=tenant_a.headers
    )
    assert page.status_code == 200
    body = page.json()
    assert (body["total"], body["limit"], body["offset"]) == (3, 2, 0)
    assert [r["id"] for r in body["data"]] == ids[::-1][:2]
    rest = await client.get(
        "/v1/orchestrate/runs", params={"limit": 2, "offset": 2}, headers=tenant_a.headers
    )
    assert [r["id"] for r in rest.json()["data"]] == ids[:1]


async def test_cancel_pending_run_ends_it_with_events_and_a_second_cancel_is_409(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    run_id = (await _create(client, tenant_a)).json()["run_id"]
    response = await client.post(f"/v1/orchestrate/runs/cancel/{run_id}", headers=tenant_a.headers)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancelled_at"]
    rows = await session.execute(
        select(RunEvent.seq, RunEvent.event).where(RunEvent.run_id == uuid.UUID(run_id))
    )
    assert rows.all() == [(1, "run.cancelled"), (2, "done")]
    again = await client.post(f"/v1/orchestrate/runs/cancel/{run_id}", headers=tenant_a.headers)
    assert again.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"message": {"role": "user"}},
        {"message": {"role": "assistant", "content": "hi"}},
        {"message": {"content": "hi"}, "thread_id": "not-a-uuid"},
        {"message": {"content": "hi"}, "llm_params": {"top_p": 2}},
        {"message": {"content": "hi"}, "llm_params": {"decoding_method": "beam"}},
        {"message": {"content": "hi"}, "llm_params": {"max_new_tokens": -1}},
        {"message": {"content": "hi"}, "guardrails": {"hap": {"input": {"threshold": 3}}}},
        {"message": {"content": "hi"}, "context": "text"},
        {"message": {"content": "hi\u0000"}},
    ],
)
async def test_bad_bodies_are_422_and_store_nothing(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
    body: dict[str, Any],
) -> None:
    response = await client.post("/v1/orchestrate/runs", json=body, headers=tenant_a.headers)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], list)
    assert queue.sent == []
    runs = (await session.execute(select(Run).where(Run.tenant_id == tenant_a.tenant_id))).all()
    assert runs == []


async def test_bad_query_values_are_4xx(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    run_id = (await _create(client, tenant_a)).json()["run_id"]
    headers = tenant_a.headers
    cases = [
        ("GET", "/v1/orchestrate/runs?limit=0", 422),
        ("GET", "/v1/orchestrate/runs?offset=-1", 422),
        ("GET", f"/v1/orchestrate/runs/{run_id}/events?stream_timeout=-5", 422),
        ("GET", f"/v1/orchestrate/runs/{run_id}/events?after=abc", 400),
        ("GET", f"/v1/orchestrate/runs/{run_id}/events?after={uuid.uuid4()}:00000001", 400),
        ("GET", "/v1/orchestrate/runs/not-a-uuid", 422),
        ("POST", "/v1/orchestrate/runs/cancel/not-a-uuid", 422),
    ]
    for method, path, status in cases:
        response = await client.request(method, path, headers=headers)
        assert response.status_code == status, (path, response.text)
    negative = await client.post(
        "/v1/orchestrate/runs?stream=true&stream_timeout=-1",
        json={"message": {"content": "x"}},
        headers=headers,
    )
    assert negative.status_code == 422


async def test_assistant_runs_are_stored_per_assistant(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
) -> None:
    assistant = uuid.UUID((await create_custom(client, tenant_a))["id"])
    other = uuid.UUID((await create_custom(client, tenant_a))["id"])
    created = await _create(client, tenant_a, path=f"/v1/assistants/{assistant}/runs")
    assert created.status_code == 200, created.text
    body = created.json()
    run = await session.get(Run, uuid.UUID(body["run_id"]))
    assert run is not None
    assert run.assistant_id == assistant
    thread = await session.get(Thread, uuid.UUID(body["thread_id"]))
    assert thread is not None
    assert thread.assistant_id == assistant
    await _create(client, tenant_a)  # an Orchestrate run, not the assistant's

    listed = await client.get(f"/v1/assistants/{assistant}/runs", headers=tenant_a.headers)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [body["run_id"]]
    assert listed.json()[0]["assistant_id"] == str(assistant)
    one = await client.get(
        f"/v1/assistants/{assistant}/runs/{body['run_id']}", headers=tenant_a.headers
    )
    assert one.status_code == 200
    wrong = await client.get(
        f"/v1/assistants/{other}/runs/{body['run_id']}", headers=tenant_a.headers
    )
    assert wrong.status_code == 404
    assert (await client.get(f"/v1/assistants/{other}/runs", headers=tenant_a.headers)).json() == []
    bad = await client.get("/v1/assistants/not-a-uuid/runs", headers=tenant_a.headers)
    assert bad.status_code == 422


async def test_unknown_or_foreign_assistant_is_404_and_nothing_is_stored(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
) -> None:
    foreign = (await create_custom(client, tenant_b))["id"]
    for assistant in (foreign, str(uuid.uuid4())):
        created = await _create(client, tenant_a, path=f"/v1/assistants/{assistant}/runs")
        assert created.status_code == 404, created.text
        listed = await client.get(f"/v1/assistants/{assistant}/runs", headers=tenant_a.headers)
        assert listed.status_code == 404
    assert queue.sent == []
    runs = (await session.execute(select(Run).where(Run.tenant_id == tenant_a.tenant_id))).all()
    assert runs == []


def test_llm_params_map_onto_the_proxy_request() -> None:
    params = chat_params(
        {
            "max_new_tokens": 5,
            "min_new_tokens": 1,
            "decoding_method": "greedy",
            "top_p": 0.3,
            "top_k": 4,
            "stop_sequences": ["x"],
            "random_seed": 3,
            "time_limit": 1500,
            "beam_width": 2,
            "model_id": "ignored-here",
        }
    )
    assert params.max_tokens == 5
    assert params.min_tokens == 1
    assert params.temperature == 0.0
    assert params.top_p is None
    assert params.top_k is None
    assert params.stop == ["x"]
    assert params.seed == 3
    assert params.timeout_seconds == 1.5
    assert params.extra == {"watsonx": {"beam_width": 2}}
    sampled = chat_params({"temperature": 0.7, "top_p": 0.9, "top_k": 40})
    assert (sampled.temperature, sampled.top_p, sampled.top_k) == (0.7, 0.9, 40)
    assert model_of({"llm_model_id": " m1 "}, {"model_id": "m2"}) == "m1"
    assert model_of({}, {"model_id": "m2"}) == "m2"
    assert model_of({}, {}) is None
