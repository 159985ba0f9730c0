"""A real Celery worker process takes a text document from `queued` to `ready`, then annotated."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TenantUser
from wxo.core.config import Settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def worker(settings: Settings, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`wxo worker` on the test database, Redis and blob folder, with the fake extractor."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXO_")}
    env.update(
        WXO_ENVIRONMENT="test",
        WXO_DATA_DIR=str(settings.data_dir),
        WXO_DATABASE_URL=settings.require_database_url(),
        WXO_REDIS_URL=settings.require_redis_url(),
        WXO_DOCUMENTS__EXTRACTOR="tests.integration.documents.fake_extractor:extract",
    )
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "wxo", "worker", "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()
        if process.returncode not in (0, -signal.SIGTERM):
            sys.stderr.write((tmp_path / "worker.log").read_text())


async def test_worker_takes_text_document_from_queued_to_ready(
    worker: subprocess.Popen[bytes], live_client: httpx.AsyncClient, live_tenant: TenantUser
) -> None:
    headers = live_tenant.headers
    collection = await live_client.post(
        "/v1/document-collections", json={"name": "worker-smoke"}, headers=headers
    )
    created = await live_client.post(
        "/v1/documents",
        json={
            "name": "smoke.md",
            "collection_id": collection.json()["id"],
            "text": "# Smoke\n\nA worker extracted this.",
        },
        headers=headers,
    )
    assert created.status_code == 202
    assert created.json()["status"] == "queued"
    url = f"/v1/documents/{created.json()['id']}"

    deadline = time.monotonic() + 45
    status = "queued"
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the worker exited"
        status = (await live_client.get(f"{url}/status", headers=headers)).json()["status"]
        if status in ("ready", "failed"):
            break
        await asyncio.sleep(0.2)

    assert status == "ready"
    elements = (await live_client.get(f"{url}/elements", headers=headers)).json()
    assert [(e["type"], e["text"]) for e in elements["data"]] == [
        ("Title", "Smoke"),
        ("NarrativeText", "A worker extracted this."),
    ]

    # The index job then sent the annotate job (low priority): it records its stage.
    stages: list[str] = []
    while time.monotonic() < deadline + 30 and "annotate" not in stages:
        assert worker.poll() is None, "the worker exited"
        body = (await live_client.get(f"{url}/status", headers=headers)).json()
        stages = [stage["name"] for stage in body["status_detail"]["stages"]]
        await asyncio.sleep(0.2)
    assert stages == ["extract", "index", "annotate"]
    assert body["status"] == "ready"
    metadata = (await live_client.get(f"{url}/metadata", headers=headers)).json()
    assert metadata["keywords"] == [{"text": "fake", "score": 0.5}]  # the extractor's, kept
