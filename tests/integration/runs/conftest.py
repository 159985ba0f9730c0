"""Run test fixtures: a real `wxo worker` whose executor is the scripted one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.documents.workers import WorkerProcess
from wxo.core.config import Settings

EXECUTOR = "tests.integration.runs.scripted:scripted"
TERMINAL = ("completed", "failed", "cancelled")


def worker_env(**extra: str) -> dict[str, str]:
    """Environment of a run test worker: the scripted executor, a fast heartbeat."""
    return {
        "WXO_RUNS__EXECUTOR": EXECUTOR,
        "WXO_RUNS__HEARTBEAT_SECONDS": "0.5",
        "WXO_DOCUMENTS__WORKER_NICE": "0",
        **extra,
    }


@pytest.fixture(scope="module")
def run_worker(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """One worker for the module (concurrency 1, no beat)."""
    log = tmp_path_factory.mktemp("run-worker") / "worker.log"
    worker = WorkerProcess(settings, log, extra_env=worker_env())
    try:
        yield worker
    finally:
        worker.stop()


async def get_run(
    client: httpx.AsyncClient, headers: dict[str, str], run_id: str
) -> dict[str, Any]:
    """`GET /v1/orchestrate/runs/{id}` (200)."""
    response = await client.get(f"/v1/orchestrate/runs/{run_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_for(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    run_id: str,
    statuses: tuple[str, ...] = TERMINAL,
    *,
    within: float = 60.0,
    worker: WorkerProcess | None = None,
) -> dict[str, Any]:
    """Poll the run until its status is one of `statuses`."""
    deadline = time.monotonic() + within
    while True:
        run = await get_run(client, headers, run_id)
        if run["status"] in statuses:
            return run
        if worker is not None:
            assert worker.alive, worker.log_path.read_text()[-4000:]
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
        await asyncio.sleep(0.05)


async def events_of(
    client: httpx.AsyncClient, headers: dict[str, str], run_id: str, **params: Any
) -> list[dict[str, Any]]:
    """`GET /v1/orchestrate/runs/{id}/events` (200)."""
    response = await client.get(
        f"/v1/orchestrate/runs/{run_id}/events", headers=headers, params=params
    )
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def ndjson(text: str) -> list[dict[str, Any]]:
    """Parse a newline-delimited JSON body."""
    import json

    return [json.loads(line) for line in text.splitlines() if line.strip()]


def log_tail(path: Path) -> str:
    """The end of a worker log, for assertion messages."""
    return path.read_text()[-4000:] if path.exists() else ""
