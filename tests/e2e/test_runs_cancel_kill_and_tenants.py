"""End to end on a real `wxo serve`: cancel, a worker killed mid-run, and two tenants.

The agent's model is a scripted OpenAI-compatible peer on loopback (registered through the Model
Proxy), streaming slowly, so the run is still inside its model call when the cancel or the kill
arrives.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psutil
import pytest

from tests.e2e.conftest import ServerProcess, running
from tests.integration.llm.peers import FakeOpenAI, Reply, chunks

pytestmark = pytest.mark.e2e

TERMINAL = ("completed", "failed", "cancelled")


def _token_for(server: ServerProcess, tenant: str) -> str:
    """A token of a new tenant, made by `wxo admin create-token` against the server's data."""
    result = subprocess.run(
        [sys.executable, "-m", "wxo", "admin", "create-token", "--tenant", tenant, "--user", "u"],
        env=server.env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


async def _run_status(http: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    response = await http.get(f"/v1/orchestrate/runs/{run_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _wait_for(
    http: httpx.AsyncClient, run_id: str, statuses: tuple[str, ...], within: float = 60.0
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        run = await _run_status(http, run_id)
        if run["status"] in statuses:
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
        await asyncio.sleep(0.05)


async def _slow_agent(http: httpx.AsyncClient, fake: FakeOpenAI) -> str:
    """Register `fake` as a model of the caller's tenant and an agent using it; the agent's id."""
    model = f"virtual-model/openai-compatible/slow-{uuid.uuid4().hex[:8]}"
    registered = await http.post(
        "/v1/models",
        json={
            "name": model,
            "provider_config": {
                "provider": "openai-compatible",
                "custom_host": fake.base_url,
                "api_key": "x",
            },
        },
    )
    assert registered.status_code == 201, registered.text
    agent = await http.post(
        "/v1/orchestrate/agents",
        json={"name": f"slow_{uuid.uuid4().hex[:6]}", "llm": model, "instructions": "Talk."},
    )
    assert agent.status_code in (200, 201), agent.text
    return str(agent.json()["id"])


async def _inside_the_model_call(http: httpx.AsyncClient, fake: FakeOpenAI, run_id: str) -> None:
    """Wait until the peer has the run's request and has streamed a few deltas."""
    deadline = time.monotonic() + 60
    while not (fake.seen and fake.seen[0].events_sent >= 5):
        assert time.monotonic() < deadline, await _run_status(http, run_id)
        await asyncio.sleep(0.05)
    assert (await _run_status(http, run_id))["status"] == "running"


def _slow_fake() -> FakeOpenAI:
    return FakeOpenAI(Reply(events=chunks([f"w{i} " for i in range(400)]), event_delay=0.05))


async def test_cancel_closes_the_model_call_and_ends_the_run(server: ServerProcess) -> None:
    fake = _slow_fake()
    await fake.start()
    try:
        async with httpx.AsyncClient(
            base_url=server.url, headers=server.headers, timeout=30
        ) as http:
            agent_id = await _slow_agent(http, fake)
            created = await http.post(
                "/v1/orchestrate/runs",
                json={"message": {"content": "Talk for a while"}, "agent_id": agent_id},
            )
            assert created.status_code == 200, created.text
            run_id = created.json()["run_id"]
            await _inside_the_model_call(http, fake, run_id)

            asked = time.monotonic()
            cancel = await http.post(f"/v1/orchestrate/runs/cancel/{run_id}")
            assert cancel.status_code == 200, cancel.text
            await asyncio.wait_for(fake.seen[0].client_left.wait(), 5)
            assert not fake.seen[0].answered  # the stream was cut, not read to its end
            run = await _wait_for(http, run_id, TERMINAL, within=10)
            took = time.monotonic() - asked
            assert run["status"] == "cancelled", run
            assert run["cancelled_at"]
            assert took < 5, f"cancel took {took:.2f}s"

            events = (await http.get(f"/v1/orchestrate/runs/{run_id}/events")).json()
            names = [e["event"] for e in events]
            assert names[:2] == ["run.started", "message.started"]
            assert names[-2:] == ["run.cancelled", "done"]
            assert "message.delta" in names
            assert "run.completed" not in names
            thread_id = created.json()["thread_id"]
            assert all(e["data"]["thread_id"] == thread_id for e in events)
            again = await http.post(f"/v1/orchestrate/runs/cancel/{run_id}")
            assert again.status_code == 409
            assert len(fake.seen) == 1  # the run was not retried after the cancel
    finally:
        await fake.stop()


def test_two_tenants_never_see_each_others_runs(server: ServerProcess) -> None:
    tokens = {name: _token_for(server, f"{name}-{uuid.uuid4().hex[:6]}") for name in "ab"}
    clients = {
        name: httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        for name, token in tokens.items()
    }
    try:
        a, b = clients["a"], clients["b"]
        mine = a.post("/v1/orchestrate/runs", json={"message": {"content": "secret of a"}})
        assert mine.status_code == 200, mine.text
        theirs = b.post("/v1/orchestrate/runs", json={"message": {"content": "secret of b"}})
        assert theirs.status_code == 200, theirs.text
        mine_id, theirs_id = mine.json()["run_id"], theirs.json()["run_id"]

        for client, run_id in ((a, mine_id), (b, theirs_id)):
            deadline = time.monotonic() + 60
            while client.get(f"/v1/orchestrate/runs/{run_id}").json()["status"] not in TERMINAL:
                assert time.monotonic() < deadline
                time.sleep(0.2)

        for client, own, other, other_thread in (
            (a, mine_id, theirs_id, theirs.json()["thread_id"]),
            (b, theirs_id, mine_id, mine.json()["thread_id"]),
        ):
            listed = client.get("/v1/orchestrate/runs", params={"limit": 100}).json()
            assert [r["id"] for r in listed["data"]] == [own]
            assert listed["total"] == 1
            for method, path in (
                ("GET", f"/v1/orchestrate/runs/{other}"),
                ("GET", f"/v1/orchestrate/runs/{other}/events"),
                ("POST", f"/v1/orchestrate/runs/cancel/{other}"),
                ("GET", f"/v1/threads/{other_thread}/messages"),
            ):
                response = client.request(method, path)
                assert response.status_code == 404, (method, path, response.text)
            into = client.post(
                "/v1/orchestrate/runs",
                json={"message": {"content": "let me in"}, "thread_id": other_thread},
            )
            assert into.status_code == 404
            stream = client.post(
                "/v1/orchestrate/runs/stream",
                json={"message": {"content": "let me in"}, "thread_id": other_thread},
            )
            assert stream.status_code == 404
        # b's events are all of b's own thread.
        events = b.get(f"/v1/orchestrate/runs/{theirs_id}/events").json()
        assert {e["data"]["thread_id"] for e in events} == {theirs.json()["thread_id"]}
    finally:
        for client in clients.values():
            client.close()


@pytest.fixture(scope="module")
def sweeping_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A `wxo serve` whose sweeper runs every second and calls a run stale after 3 s."""
    instance = ServerProcess(
        data_dir=tmp_path_factory.mktemp("serve-sweeping") / "data",
        extra_env={
            "WXO_DOCUMENTS__SWEEP_INTERVAL_SECONDS": "1",
            "WXO_RUNS__STALE_AFTER_SECONDS": "3",
            "WXO_RUNS__HEARTBEAT_SECONDS": "0.5",
        },
    )
    with running(instance):
        yield instance


def _worker_of(server: ServerProcess) -> psutil.Process:
    assert server.process is not None
    workers = [
        p
        for p in psutil.Process(server.process.pid).children()
        if "worker" in p.cmdline() and "wxo" in p.cmdline()
    ]
    assert len(workers) == 1, workers
    return workers[0]


def _lives(process: psutil.Process) -> bool:
    """Running (a zombie is dead: only its parent has not collected it yet)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def test_a_worker_killed_mid_run_is_replaced_and_the_run_fails_with_a_reason(
    sweeping_server: ServerProcess,
) -> None:
    server = sweeping_server
    fake = _slow_fake()
    await fake.start()
    try:
        async with httpx.AsyncClient(
            base_url=server.url, headers=server.headers, timeout=30
        ) as http:
            agent_id = await _slow_agent(http, fake)
            created = await http.post(
                "/v1/orchestrate/runs",
                json={"message": {"content": "Talk until killed"}, "agent_id": agent_id},
            )
            assert created.status_code == 200, created.text
            run_id = created.json()["run_id"]
            await _inside_the_model_call(http, fake, run_id)

            worker = _worker_of(server)
            doomed = [worker, *worker.children(recursive=True)]
            for process in doomed:  # the worker and its pool at once, mid-run
                process.send_signal(signal.SIGKILL)
            deadline = time.monotonic() + 10
            while any(_lives(p) for p in doomed):
                assert time.monotonic() < deadline, doomed
                await asyncio.sleep(0.05)
            await asyncio.wait_for(fake.seen[0].client_left.wait(), 5)

            run = await _wait_for(http, run_id, TERMINAL, within=90)
            assert run["status"] == "failed", run
            assert "no heartbeat" in run["last_error"]
            assert run["failed_at"]
            events = (await http.get(f"/v1/orchestrate/runs/{run_id}/events")).json()
            assert [e["event"] for e in events[-2:]] == ["run.failed", "done"]
            assert events[-2]["data"]["error"] == run["last_error"]

            # `wxo serve` started a new worker: the next run is executed.
            assert _worker_of(server).pid != worker.pid
            fake.script(Reply(events=chunks(["back ", "again"])))
            after = await http.post(
                "/v1/orchestrate/runs",
                json={"message": {"content": "Are you back?"}, "agent_id": agent_id},
            )
            assert after.status_code == 200, after.text
            done = await _wait_for(http, after.json()["run_id"], TERMINAL, within=60)
            assert done["status"] == "completed", done
    finally:
        await fake.stop()
