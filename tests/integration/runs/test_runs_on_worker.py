"""Runs executed by a real Celery worker with a scripted executor: lifecycle, streams, cancel."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.api.agents.conftest import make_agent
from tests.conftest import TenantUser
from tests.integration.documents.workers import WorkerProcess
from tests.integration.runs.conftest import events_of, get_run, ndjson, wait_for
from tests.integration.runs.scripted import BURST, STEP, USAGE, answer_parts
from wxo.container import Container
from wxo.runs.events import events_channel

SUCCESS_ORDER = [
    "run.started",
    "message.started",
    "run.step.intermediate",
    "run.step.delta",
    "message.delta",  # one or more: the writer joins deltas that come within its window
    "message.created",
    "message.completed",
    "run.completed",
    "done",
]


def _order(events: list[dict[str, Any]]) -> list[str]:
    """The event names, a run of consecutive `message.delta`s counted once."""
    names: list[str] = []
    for event in events:
        if not (event["event"] == "message.delta" and names and names[-1] == "message.delta"):
            names.append(event["event"])
    return names


def _check_envelopes(events: list[dict[str, Any]], run_id: str, thread_id: str) -> None:
    seqs = []
    for event in events:
        assert set(event) == {"id", "event", "data"}
        assert event["data"]["thread_id"] == thread_id
        assert event["data"]["run_id"] == run_id
        prefix, _, seq = event["id"].rpartition(":")
        assert prefix == run_id
        seqs.append(int(seq))
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)


async def _start(
    client: httpx.AsyncClient, tenant: TenantUser, text: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/orchestrate/runs",
        json={"message": {"role": "user", "content": text}, **body},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_non_stream_run_completes_stores_messages_and_events_in_order(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, run_worker: WorkerProcess
) -> None:
    agent_id = (await make_agent(live_client, live_tenant))["id"]
    created = await _start(
        live_client,
        live_tenant,
        "hello there",
        agent_id=agent_id,
        llm_params={"max_new_tokens": 20, "temperature": 0.5, "stop_sequences": ["\n\n"]},
        guardrails={"hap": {"input": {"enabled": True, "threshold": 0.7}}},
        context_variables={"wxo_user_name": "Ann"},
    )
    assert set(created) == {"thread_id", "run_id", "task_id", "message_id"}
    assert created["task_id"]
    run = await wait_for(live_client, live_tenant.headers, created["run_id"], worker=run_worker)
    assert run["status"] == "completed", run
    assert run["thread_id"] == created["thread_id"]
    assert run["agent_id"] == agent_id
    assert run["usage"] == USAGE
    assert run["llm_params"] == {
        "max_new_tokens": 20,
        "temperature": 0.5,
        "stop_sequences": ["\n\n"],
    }
    assert run["guardrails"]["hap"]["input"] == {"enabled": True, "threshold": 0.7}
    assert run["context_variables"] == {"wxo_user_name": "Ann"}
    assert run["started_at"]
    assert run["completed_at"]
    assert run["failed_at"] is None
    assert run["last_error"] is None

    events = await events_of(live_client, live_tenant.headers, created["run_id"])
    assert _order(events) == SUCCESS_ORDER
    _check_envelopes(events, created["run_id"], created["thread_id"])
    text = "".join(
        e["data"]["delta"]["content"][0]["text"] for e in events if e["event"] == "message.delta"
    )
    assert text == "".join(answer_parts("hello there", 0))
    by_name = {e["event"]: e["data"] for e in events}
    assert by_name["run.step.intermediate"]["current_agent"] == "scripted-agent"
    assert by_name["run.step.delta"]["delta"] == {"role": "assistant", "step_details": STEP}
    assert by_name["message.completed"]["usage"] == USAGE
    assert by_name["run.completed"]["status"] == "completed"
    created_message = by_name["message.created"]["message"]
    assert created_message["id"] == run["response_message_id"]
    assert run["result"]["data"]["message"]["id"] == run["response_message_id"]

    # The thread: created with the agent, holding the user and the assistant message.
    thread = await live_client.get(
        f"/v1/threads/{created['thread_id']}", headers=live_tenant.headers
    )
    assert thread.json()["agent_id"] == agent_id
    messages = await live_client.get(
        f"/v1/threads/{created['thread_id']}/messages", headers=live_tenant.headers
    )
    user, assistant = messages.json()
    assert user["id"] == created["message_id"] == run["message_id"]
    assert user["role"] == "user"
    assert user["content"] == [{"response_type": "text", "text": "hello there"}]
    assert assistant["role"] == "assistant"
    assert assistant["content"] == [{"response_type": "text", "text": text}]
    assert assistant["step_history"] == [{"role": "assistant", "step_details": STEP}]
    assert assistant["parent_message_id"] == user["id"]


async def test_second_run_in_the_thread_sees_the_history(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, run_worker: WorkerProcess
) -> None:
    first = await _start(live_client, live_tenant, "one")
    await wait_for(live_client, live_tenant.headers, first["run_id"], worker=run_worker)
    second = await _start(live_client, live_tenant, "two", thread_id=first["thread_id"])
    assert second["thread_id"] == first["thread_id"]
    run = await wait_for(live_client, live_tenant.headers, second["run_id"], worker=run_worker)
    assert run["status"] == "completed"
    messages = await live_client.get(
        f"/v1/threads/{first['thread_id']}/messages", headers=live_tenant.headers
    )
    texts = [m["content"][0]["text"] for m in messages.json()]
    assert texts == ["one", "echo: one (history=0)", "two", "echo: two (history=2)"]


@pytest.mark.parametrize(
    "route", ["/v1/orchestrate/runs?stream=true", "/v1/orchestrate/runs/stream"]
)
async def test_stream_carries_the_events_in_order_and_equals_the_replay(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    run_worker: WorkerProcess,
    route: str,
) -> None:
    response = await live_client.post(
        route, json={"message": {"content": "streamed"}}, headers=live_tenant.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    streamed = ndjson(response.text)
    assert _order(streamed) == SUCCESS_ORDER
    run_id = streamed[0]["data"]["run_id"]
    thread_id = streamed[0]["data"]["thread_id"]
    _check_envelopes(streamed, run_id, thread_id)
    assert await events_of(live_client, live_tenant.headers, run_id) == streamed
    follow = await live_client.get(
        f"/v1/orchestrate/runs/{run_id}/events",
        params={"follow": "true"},
        headers=live_tenant.headers,
    )
    assert ndjson(follow.text) == streamed


async def test_resume_after_a_cut_stream_loses_nothing(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, run_worker: WorkerProcess
) -> None:
    # The stream is cut mid-run (stream_timeout), then resumed from its last event id.
    response = await live_client.post(
        "/v1/orchestrate/runs/stream",
        params={"stream_timeout": 400},
        json={"message": {"content": "drip drip"}},
        headers=live_tenant.headers,
    )
    first = ndjson(response.text)
    assert first
    assert first[-1]["event"] != "done", [e["event"] for e in first]
    run_id = first[0]["data"]["run_id"]
    resumed = await live_client.get(
        f"/v1/orchestrate/runs/{run_id}/events",
        params={"after": first[-1]["id"], "follow": "true"},
        headers=live_tenant.headers,
    )
    rest = ndjson(resumed.text)
    assert _order(first + rest) == SUCCESS_ORDER
    assert first + rest == await events_of(live_client, live_tenant.headers, run_id)
    # The Last-Event-ID header works as `after` too, and a replay after the end is empty.
    again = await live_client.get(
        f"/v1/orchestrate/runs/{run_id}/events",
        headers={**live_tenant.headers, "Last-Event-ID": first[1]["id"]},
    )
    assert again.json() == (first + rest)[2:]
    tail = await events_of(live_client, live_tenant.headers, run_id, after=rest[-1]["id"])
    assert tail == []


async def test_every_event_is_published_on_redis_as_it_happens(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    run_worker: WorkerProcess,
    container: Container,
) -> None:
    pubsub = container.redis.pubsub()
    await pubsub.psubscribe(events_channel(uuid.UUID(int=0)).replace(str(uuid.UUID(int=0)), "*"))
    published: list[tuple[float, dict[str, Any]]] = []
    try:
        created = await _start(live_client, live_tenant, "drip published")
        channel = events_channel(uuid.UUID(created["run_id"])).encode()
        deadline = time.monotonic() + 30
        while not published or published[-1][1]["event"] != "done":
            assert time.monotonic() < deadline, published
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None and message["channel"] == channel:
                published.append((time.monotonic(), json.loads(message["data"])))
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
    stored = await events_of(live_client, live_tenant.headers, created["run_id"])
    assert [event for _, event in published] == stored  # every event, once, in order
    # Live: the deltas (0.3 s apart) arrived one by one, not in a batch at the end.
    delta_times = [at for at, event in published if event["event"] == "message.delta"]
    assert len(delta_times) == 3
    assert delta_times[-1] - delta_times[0] >= 0.4
    assert published[-1][0] - delta_times[0] >= 0.6


async def test_fast_deltas_are_joined_in_order_and_slow_ones_go_out_alone(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, run_worker: WorkerProcess
) -> None:
    burst = await _start(live_client, live_tenant, "burst of tokens")
    drip = await _start(live_client, live_tenant, "drip tokens")
    for created in (burst, drip):
        run = await wait_for(live_client, live_tenant.headers, created["run_id"], worker=run_worker)
        assert run["status"] == "completed", run
    events = await events_of(live_client, live_tenant.headers, burst["run_id"])
    deltas = [
        e["data"]["delta"]["content"][0]["text"] for e in events if e["event"] == "message.delta"
    ]
    assert "".join(deltas) == BURST
    assert deltas[0] == BURST[0]  # the first token goes out at once
    assert 2 <= len(deltas) < len(BURST) / 4, len(deltas)  # one commit per window, not per token
    assert _order(events) == [
        "run.started",
        "message.started",
        "message.delta",
        *SUCCESS_ORDER[-4:],
    ]
    # 0.3 s between deltas is longer than the window: each is its own event.
    dripped = await events_of(live_client, live_tenant.headers, drip["run_id"])
    assert [
        e["data"]["delta"]["content"][0]["text"] for e in dripped if e["event"] == "message.delta"
    ] == answer_parts("drip tokens", 0)


async def test_events_wait_up_to_stream_timeout(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, run_worker: WorkerProcess
) -> None:
    created = await _start(live_client, live_tenant, "drip wait")
    started = time.monotonic()
    early = await events_of(live_client, live_tenant.headers, created["run_id"], stream_timeout=0)
    assert time.monotonic() - started < 1.0
    assert "done" not in [e["event"] for e in early]
    full = await events_of(
        live_client, live_tenant.headers, created["run_id"], stream_timeout=30000
    )
    assert _order(full) == SUCCESS_ORDER


async def test_follow_stays_open_until_done_by_default(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, run_worker: WorkerProcess
) -> None:
    created = await _start(live_client, live_tenant, "slowdrip follow")
    started = time.monotonic()
    response = await live_client.get(
        f"/v1/orchestrate/runs/{created['run_id']}/events",
        params={"follow": "true"},
        headers=live_tenant.headers,
    )
    assert time.monotonic() - started > 1.0  # longer than the array's 1000 ms default wait
    assert _order(ndjson(response.text)) == SUCCESS_ORDER


async def test_failed_run_reports_the_error(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, run_worker: WorkerProcess
) -> None:
    created = await _start(live_client, live_tenant, "fail please")
    run = await wait_for(live_client, live_tenant.headers, created["run_id"], worker=run_worker)
    assert run["status"] == "failed"
    assert "the scripted model is down" in run["last_error"]
    assert run["error"] == run["last_error"]
    assert run["failed_at"]
    events = await events_of(live_client, live_tenant.headers, created["run_id"])
    assert [e["event"] for e in events] == [
        "run.started",
        "message.started",
        "message.delta",
        "run.failed",
        "done",
    ]
    assert events[-2]["data"]["error"] == run["last_error"]
    messages = await live_client.get(
        f"/v1/threads/{created['thread_id']}/messages", headers=live_tenant.headers
    )
    assert [m["role"] for m in messages.json()] == ["user"]


async def test_cancel_stops_a_running_executor_promptly_and_a_pending_run_never_runs(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, run_worker: WorkerProcess
) -> None:
    slow = await _start(live_client, live_tenant, "slow one")
    await wait_for(
        live_client, live_tenant.headers, slow["run_id"], ("running",), worker=run_worker
    )
    queued = await _start(live_client, live_tenant, "never runs")  # the only worker slot is busy
    assert (await get_run(live_client, live_tenant.headers, queued["run_id"]))[
        "status"
    ] == "pending"
    cancelled = await live_client.post(
        f"/v1/orchestrate/runs/cancel/{queued['run_id']}", headers=live_tenant.headers
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"

    await asyncio.sleep(0.5)  # let the slow run stream some deltas
    asked = time.monotonic()
    response = await live_client.post(
        f"/v1/orchestrate/runs/cancel/{slow['run_id']}", headers=live_tenant.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["cancel_requested_at"]
    run = await wait_for(live_client, live_tenant.headers, slow["run_id"], worker=run_worker)
    took = time.monotonic() - asked
    assert run["status"] == "cancelled"
    assert run["cancelled_at"]
    assert took < 1.0, f"cancel took {took:.2f}s"  # measured: about 0.03 s
    events = await events_of(live_client, live_tenant.headers, slow["run_id"])
    assert [e["event"] for e in events[-2:]] == ["run.cancelled", "done"]
    deltas = sum(e["event"] == "message.delta" for e in events)
    await asyncio.sleep(0.5)  # the executor is really stopped: no event after `done`
    assert len(await events_of(live_client, live_tenant.headers, slow["run_id"])) == len(events)
    assert deltas >= 3

    for run_id in (slow["run_id"], queued["run_id"]):
        again = await live_client.post(
            f"/v1/orchestrate/runs/cancel/{run_id}", headers=live_tenant.headers
        )
        assert again.status_code == 409
    # The queued run's message reached the worker after the cancel: it did nothing.
    await asyncio.sleep(1.0)
    never = await get_run(live_client, live_tenant.headers, queued["run_id"])
    assert never["status"] == "cancelled"
    assert never["started_at"] is None
    queued_events = await events_of(live_client, live_tenant.headers, queued["run_id"])
    assert [e["event"] for e in queued_events] == ["run.cancelled", "done"]
