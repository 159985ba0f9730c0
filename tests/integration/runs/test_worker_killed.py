"""A worker killed mid-run: the beat sweep fails the run (stale heartbeat) with the reason."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from tests.conftest import TenantUser
from tests.integration.documents.workers import WorkerProcess
from tests.integration.runs.conftest import events_of, get_run, wait_for, worker_env
from wxo.core.config import DocumentSettings, Settings
from wxo.queue.celery_app import RUNS_SWEEP_TASK, TASK_MODULES, create_celery
from wxo.runs import tasks
from wxo.runs.tasks import RUN_TASK


async def test_killed_worker_leaves_no_run_running_forever(
    settings: Settings, live_client: httpx.AsyncClient, live_tenant: TenantUser, tmp_path: Path
) -> None:
    logs = tmp_path
    doomed = WorkerProcess(settings, logs / "doomed.log", extra_env=worker_env())
    sweeper: WorkerProcess | None = None
    try:
        response = await live_client.post(
            "/v1/orchestrate/runs",
            json={"message": {"content": "slow and doomed"}},
            headers=live_tenant.headers,
        )
        run_id = response.json()["run_id"]
        await wait_for(live_client, live_tenant.headers, run_id, ("running",), worker=doomed)
        # Mid-message: `running` is stamped just before the message starts (a loaded machine
        # can run the test between the two).
        deadline = time.monotonic() + 30
        while "message.started" not in {
            e["event"] for e in await events_of(live_client, live_tenant.headers, run_id)
        }:
            assert time.monotonic() < deadline, "the run never started its message"
            await asyncio.sleep(0.05)
        doomed.kill_group()  # main process and pool child at once, mid-run
        running = await get_run(live_client, live_tenant.headers, run_id)
        assert running["status"] == "running"

        sweeper = WorkerProcess(
            settings,
            logs / "sweeper.log",
            beat=True,
            extra_env=worker_env(
                WXO_DOCUMENTS__SWEEP_INTERVAL_SECONDS="1",
                WXO_RUNS__STALE_AFTER_SECONDS="2",
            ),
        )
        run = await wait_for(live_client, live_tenant.headers, run_id, within=60, worker=sweeper)
        assert run["status"] == "failed"
        assert "no heartbeat" in run["last_error"]
        assert "not retried" in run["last_error"]
        assert run["failed_at"]
        events = await events_of(live_client, live_tenant.headers, run_id)
        assert [e["event"] for e in events[:2]] == ["run.started", "message.started"]
        assert [e["event"] for e in events[-2:]] == ["run.failed", "done"]
        assert events[-2]["data"]["error"] == run["last_error"]
    finally:
        if doomed.alive:
            doomed.stop()
        if sweeper is not None:
            sweeper.stop()


def test_beat_runs_the_runs_sweep_with_the_documents_interval(settings: Settings) -> None:
    app = create_celery(settings.require_redis_url(), DocumentSettings(sweep_interval_seconds=7))
    entry = app.conf.beat_schedule["runs-sweep"]
    assert entry["task"] == RUNS_SWEEP_TASK == tasks.SWEEP_TASK
    assert entry["schedule"] == 7
    assert "wxo.runs.tasks" in TASK_MODULES
    assert "wxo.runs.tasks" in app.conf.include
    assert app.tasks[RUN_TASK].name == "wxo.runs.execute"
