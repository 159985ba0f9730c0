"""End to end: `wxo serve` as a real process, driven by IBM's client library and plain HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psutil
import pytest
from ibm_watsonx_orchestrate_clients.threads.threads_client import ThreadsClient

from tests.e2e.conftest import ServerProcess, postgres_processes

pytestmark = pytest.mark.e2e


def test_readiness_reports_database_redis_and_worker(server: ServerProcess) -> None:
    response = httpx.get(f"{server.url}/api/v1/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "worker": "ok"}
    assert httpx.get(f"{server.url}/health/alive").json() == {"status": "alive"}


def test_workers_yield_the_cpu_to_the_api(server: ServerProcess) -> None:
    server.ensure_running()
    processes = server.descendants()
    workers = [p for p in processes if "worker" in " ".join(p.cmdline())]
    apis = [p for p in processes if "spawn_main" in " ".join(p.cmdline())]

    assert workers, [p.cmdline() for p in processes]
    assert apis, [p.cmdline() for p in processes]
    assert {p.nice() for p in workers} == {19}
    # One worker process per core by default, at most four.
    expected = str(max(1, min(os.cpu_count() or 1, 4)))
    assert {p.cmdline()[p.cmdline().index("--concurrency") + 1] for p in workers} == {expected}
    assert {p.nice() for p in apis} <= {0}
    # Sessions of their own: under autogroup scheduling each PostgreSQL backend (a session of
    # its own) weighs as much as a whole session, so the API processes must not share one.
    assert all(os.getsid(p.pid) == p.pid for p in apis)
    worker_sessions = {os.getsid(p.pid) for p in workers}
    assert len(worker_sessions) == 1
    (worker_session,) = worker_sessions
    assert server.process is not None
    assert worker_session != os.getsid(server.process.pid)
    autogroup = Path(f"/proc/{worker_session}/autogroup")
    if autogroup.exists():  # a kernel with autogroups: the worker's session yields too
        assert autogroup.read_text().split()[-1] == "19"


def test_ibm_threads_client_reads_what_http_wrote(server: ServerProcess) -> None:
    agent_id = str(uuid.uuid4())
    with httpx.Client(base_url=server.url, headers=server.headers) as http:
        created = http.post("/api/v1/threads", json={"agent_id": agent_id, "title": "e2e"})
        assert created.status_code == 201
        thread_id = created.json()["id"]
        other = http.post("/v1/threads", json={"title": "no agent"})
        assert other.status_code == 201
        for text in ("hello", "world"):
            posted = http.post(
                f"/v1/threads/{thread_id}/messages", json={"role": "user", "content": text}
            )
            assert posted.status_code == 201

    client = ThreadsClient(base_url=server.url, api_key=server.token, is_local=True)
    all_threads = client.get()
    assert {thread_id, other.json()["id"]} <= {t["id"] for t in all_threads}
    by_agent = client.get_all_threads(agent_id)
    assert [t["id"] for t in by_agent] == [thread_id]
    messages = client.get_thread_messages(thread_id)
    assert [m["content"] for m in messages] == [
        [{"response_type": "text", "text": "hello"}],
        [{"response_type": "text", "text": "world"}],
    ]
    assert all(m["thread_id"] == thread_id for m in messages)


def test_admin_create_token_prints_only_a_working_token(server: ServerProcess) -> None:
    tenant = f"cli-{uuid.uuid4().hex[:6]}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "wxo",
            "admin",
            "create-token",
            "--tenant",
            tenant,
            "--user",
            "cli-user",
        ],
        env=server.env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    token = result.stdout.strip()
    assert "\n" not in token
    assert token.count(".") == 2
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server.url}/v1/threads", headers=headers).json() == []

    revoke = subprocess.run(
        [sys.executable, "-m", "wxo", "admin", "revoke-token", token],
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert revoke.returncode == 0, revoke.stderr
    # The API caches verified tokens for a few seconds; wait past that.
    status = 200
    for _ in range(40):
        status = httpx.get(f"{server.url}/v1/threads", headers=headers).status_code
        if status == 401:
            break
        time.sleep(0.25)
    assert status == 401


def test_restart_loses_nothing_and_sigterm_leaves_no_strays(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, headers=server.headers) as http:
        thread_id = http.post("/v1/threads", json={"title": "durable"}).json()["id"]
        for i in range(5):
            assert (
                http.post(
                    f"/v1/threads/{thread_id}/messages", json={"role": "user", "content": f"m{i}"}
                ).status_code
                == 201
            )
    children = server.descendants()
    assert children, "expected a worker and redis-server under wxo serve"
    postmasters = postgres_processes(server.data_dir)
    assert postmasters

    assert server.stop(signal.SIGTERM) == 0
    _, alive = psutil.wait_procs(children + postmasters, timeout=30)
    assert alive == []

    server.start()
    with httpx.Client(base_url=server.url, headers=server.headers) as http:
        thread = http.get(f"/v1/threads/{thread_id}")
        assert thread.status_code == 200
        assert thread.json()["title"] == "durable"
        messages = http.get(f"/api/v1/threads/{thread_id}/messages").json()
        assert [m["content"][0]["text"] for m in messages] == [f"m{i}" for i in range(5)]


def test_ctrl_c_stops_every_process(server: ServerProcess) -> None:
    server.ensure_running()
    children = server.descendants()
    postmasters = postgres_processes(server.data_dir)
    assert children
    assert postmasters

    # The children lead sessions of their own, out of the terminal's process group: the
    # SIGINT reaches `wxo serve` alone, which stops them all.
    assert server.ctrl_c() == 0
    _, alive = psutil.wait_procs(children + postmasters, timeout=30)
    assert alive == []
    server.start()


def test_sigkilled_server_restarts_with_acknowledged_data(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, headers=server.headers) as http:
        thread_id = http.post("/v1/threads", json={"title": "before kill"}).json()["id"]
        message = http.post(
            f"/v1/threads/{thread_id}/messages", json={"role": "user", "content": "acknowledged"}
        )
        assert message.status_code == 201
    children = server.descendants()
    assert server.stop(signal.SIGKILL) == -signal.SIGKILL
    # The worker and redis-server die with their parent (PR_SET_PDEATHSIG).
    _, alive = psutil.wait_procs(children, timeout=30)
    assert alive == []

    server.start()  # finds PostgreSQL orphaned, takes it over
    with httpx.Client(base_url=server.url, headers=server.headers) as http:
        messages = http.get(f"/v1/threads/{thread_id}/messages").json()
        assert [m["id"] for m in messages] == [message.json()["id"]]
    assert server.stop(signal.SIGTERM) == 0
    assert postgres_processes(server.data_dir) == []
