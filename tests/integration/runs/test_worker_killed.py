"""A worker killed mid-run: the beat sweep fails the run (stale heartbeat) with the reason."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import TenantUser
from tests.integration.documents.workers import WorkerProcess
from tests.integration.runs.conftest import events_of, get_run, wait_for, worker_env
from wxo.core.config import Settings


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
