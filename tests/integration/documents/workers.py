"""Start and stop real `wxo worker` processes, and wait for documents, in pipeline fault tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from wxo.core.config import Settings

ROOT = Path(__file__).resolve().parents[3]
TERMINAL = ("ready", "failed")


class WorkerProcess:
    """`wxo worker --concurrency 1 [--beat]` in its own process group (a test may SIGKILL it all)."""

    def __init__(
        self,
        settings: Settings,
        log_path: Path,
        *,
        extractor: str | None = None,
        beat: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        """Start the worker on the settings' database, Redis and data directory."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("WXO_")}
        env.update(
            WXO_ENVIRONMENT="test",
            WXO_DATA_DIR=str(settings.data_dir),
            WXO_DATABASE_URL=settings.require_database_url(),
            WXO_REDIS_URL=settings.require_redis_url(),
        )
        if extractor is not None:
            env["WXO_DOCUMENTS__EXTRACTOR"] = extractor
        env.update(extra_env or {})
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wxo", "worker", "--concurrency", "1", *(["--beat"] * beat)],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the pool child goes with it
        )

    @property
    def alive(self) -> bool:
        """Whether the main worker process still runs."""
        return self.process.poll() is None

    def kill_group(self) -> None:
        """SIGKILL the main process and its pool children at once (a crashed host or OOM kill)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._log.close()

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), or SIGKILL of the group if it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if not self._log.closed:
            self._log.close()


async def document_status(
    client: httpx.AsyncClient, headers: dict[str, str], document_id: str
) -> dict[str, Any]:
    """`GET /v1/documents/{id}/status`."""
    response = await client.get(f"/v1/documents/{document_id}/status", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_for_status(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    document_ids: Iterable[str],
    *,
    statuses: Iterable[str] = TERMINAL,
    within: float = 60.0,
    workers: Iterable[WorkerProcess] = (),
) -> dict[str, dict[str, Any]]:
    """Poll until every document is in one of `statuses`; return their last status bodies."""
    wanted = set(statuses)
    pending = list(document_ids)
    last: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + within
    while True:
        for worker in workers:
            assert worker.alive, f"the worker exited:\n{worker.log_path.read_text()[-4000:]}"
        for document_id in pending:
            last[document_id] = await document_status(client, headers, document_id)
        pending = [d for d in pending if last[d]["status"] not in wanted]
        if not pending:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not {sorted(wanted)} after {within}s: "
                + ", ".join(f"{d}={last[d]['status']}" for d in pending)
            )
        await asyncio.sleep(0.1)
