"""Faults during extraction, with real worker processes, the real extractor and a real broker.

Each test has its own embedded Redis (the broker), so it can inspect and restart it without
touching the session's Redis, and so no other test's queued jobs are in the way.

Documents end `ready` once the worker has also run their index stage (chunks embedded with the
local MiniLM model, a minute or more for the large document on a busy machine), hence the long
waits for `ready`.

How a job comes back after a fault:
- Pool process SIGKILLed mid-task: the worker's main process sees the child die; with
  `task_acks_late` and `task_reject_on_worker_lost` it rejects the message with requeue, and a
  fresh pool process runs the task again at once.
- Whole worker SIGKILLed (main process and pool, as on a host crash or an OOM kill of the group):
  nobody is left to reject the message. It stays in the broker's `unacked` hash until the
  `visibility_timeout` (1 hour) passes, so a restarted worker does not see it. The sweeper
  (`wxo.documents.sweep`, run by Celery beat inside `wxo worker --beat`; here every second, for
  documents stuck over two seconds) finds the document still `extracting` and enqueues it
  again (and, every second while its index stage runs, its index job: no-ops once indexed). The
  late redelivery an hour later then finds it `ready` and does nothing (`done_already`); the
  test plays that redelivery at once, behind those repeated index jobs.
- Redis restarted: it reloads queued and unacked messages from its append-only file and the
  worker reconnects; the job being run keeps running and its document's row records the result.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import redis
from sqlalchemy import select

from tests.conftest import TenantUser
from tests.integration.documents import files
from tests.integration.documents.workers import (
    WorkerProcess,
    document_status,
    wait_for_status,
)
from wxo.container import Container, build_container
from wxo.core.config import Settings
from wxo.documents.models import DocumentElement
from wxo.main import create_app
from wxo.runtime.embedded import EmbeddedRedis

# Large enough that extraction takes seconds (python-docx, the element walk), so a kill
# one second after the document turns `extracting` lands mid-way.
LARGE_PARAGRAPHS = 1500
HEADING_EVERY = 50
LARGE_ELEMENTS = LARGE_PARAGRAPHS + LARGE_PARAGRAPHS // HEADING_EVERY
# Extraction, then embedding a few hundred chunks on a loaded two-core machine.
READY_WITHIN = 180.0


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A Redis of this test's own, with its append-only file under `tmp_path`."""
    server = EmbeddedRedis(tmp_path / "broker")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fault_settings(settings: Settings, broker: EmbeddedRedis) -> Settings:
    """The session's settings (database, blob folder) with this test's Redis."""
    copied = settings.model_copy(deep=True)
    copied.redis.url = f"unix://{broker.socket_path}"
    return copied


@pytest.fixture
async def fault_container(fault_settings: Settings) -> AsyncIterator[Container]:
    """A container whose queue sends to this test's Redis."""
    built = build_container(fault_settings)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
async def fault_client(fault_container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """The API, enqueueing to this test's Redis."""
    app = create_app(fault_container.settings, fault_container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def start_worker(fault_settings: Settings, tmp_path: Path) -> Iterator[Any]:
    """Start `wxo worker` processes (real extractor); all are stopped after the test."""
    started: list[WorkerProcess] = []

    def start(**options: Any) -> WorkerProcess:
        worker = WorkerProcess(fault_settings, tmp_path / f"worker-{len(started)}.log", **options)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


async def _upload(
    client: httpx.AsyncClient, tenant: TenantUser, named: dict[str, bytes]
) -> dict[str, str]:
    collection = await client.post(
        "/v1/document-collections",
        json={"name": f"faults-{uuid.uuid4().hex[:8]}"},
        headers=tenant.headers,
    )
    assert collection.status_code == 201, collection.text
    uploaded = await client.post(
        f"/v1/document-collections/{collection.json()['id']}/documents",
        files=[("files", (name, data)) for name, data in named.items()],
        headers=tenant.headers,
    )
    assert uploaded.status_code == 202, uploaded.text
    return {one["filename"]: one["document"]["id"] for one in uploaded.json()["data"]}


async def _kill_mid_extraction(
    client: httpx.AsyncClient, tenant: TenantUser, document_id: str, kill: Any
) -> None:
    """Wait until the document is being extracted, let it run a second, then `kill()`."""
    await wait_for_status(client, tenant.headers, [document_id], statuses=["extracting"])
    await asyncio.sleep(1.0)
    kill()
    status = await document_status(client, tenant.headers, document_id)
    assert status["status"] == "extracting", "extraction finished before the kill: use more text"
    assert status["status_detail"]["attempts"] == 1


async def _assert_one_set_of_elements(
    client: httpx.AsyncClient, tenant: TenantUser, container: Container, document_id: str
) -> None:
    served = await client.get(
        f"/v1/documents/{document_id}/elements?limit=10000", headers=tenant.headers
    )
    assert served.status_code == 200
    data = served.json()["data"]
    async with container.sessionmaker() as session:
        rows = (
            await session.execute(
                select(DocumentElement.element_id, DocumentElement.ord)
                .where(DocumentElement.document_id == uuid.UUID(document_id))
                .order_by(DocumentElement.ord)
            )
        ).all()
    assert len(rows) == served.json()["total"] == LARGE_ELEMENTS
    assert [row.ord for row in rows] == list(range(LARGE_ELEMENTS))
    assert len({row.element_id for row in rows}) == LARGE_ELEMENTS
    assert [(e["id"], e["order"]) for e in data] == [(r.element_id, r.ord) for r in rows]


async def test_pool_process_killed_mid_extraction_is_redelivered_and_completes_once(
    start_worker: Any,
    fault_client: httpx.AsyncClient,
    fault_container: Container,
    live_tenant: TenantUser,
) -> None:
    worker = start_worker()
    ids = await _upload(
        fault_client,
        live_tenant,
        {"large.docx": files.docx_file(LARGE_PARAGRAPHS, heading_every=HEADING_EVERY)},
    )
    document_id = ids["large.docx"]

    def kill_pool_process() -> None:
        (pool_process,) = psutil.Process(worker.process.pid).children()  # concurrency 1
        pool_process.kill()

    await _kill_mid_extraction(fault_client, live_tenant, document_id, kill_pool_process)
    final = await wait_for_status(
        fault_client, live_tenant.headers, [document_id], within=READY_WITHIN, workers=[worker]
    )

    assert final[document_id]["status"] == "ready", final[document_id]["status_detail"]
    assert final[document_id]["status_detail"]["attempts"] == 2  # killed once, then completed
    await _assert_one_set_of_elements(fault_client, live_tenant, fault_container, document_id)


async def test_worker_killed_mid_extraction_is_recovered_by_the_sweeper_and_completes_once(
    start_worker: Any,
    fault_client: httpx.AsyncClient,
    fault_container: Container,
    live_tenant: TenantUser,
    broker: EmbeddedRedis,
) -> None:
    first = start_worker()
    ids = await _upload(
        fault_client,
        live_tenant,
        {"large.docx": files.docx_file(LARGE_PARAGRAPHS, heading_every=HEADING_EVERY)},
    )
    document_id = ids["large.docx"]

    await _kill_mid_extraction(fault_client, live_tenant, document_id, first.kill_group)
    broker_client = redis.Redis(unix_socket_path=str(broker.socket_path))
    try:
        # The job is not lost: it waits, unacknowledged, for the visibility timeout.
        ((parked_tag, parked),) = broker_client.hgetall("unacked").items()
        assert broker_client.llen("celery") == 0
    finally:
        broker_client.close()

    # The restarted worker runs beat; the sweeper (every second here) finds the document
    # `extracting` for longer than two seconds and enqueues it again.
    second = start_worker(
        beat=True,
        extra_env={
            "WXO_DOCUMENTS__SWEEP_INTERVAL_SECONDS": "1",
            "WXO_DOCUMENTS__SWEEP_STUCK_AFTER_SECONDS": "2",
        },
    )
    final = await wait_for_status(
        fault_client, live_tenant.headers, [document_id], within=READY_WITHIN, workers=[second]
    )

    assert final[document_id]["status"] == "ready", final[document_id]["status_detail"]
    assert final[document_id]["status_detail"]["attempts"] == 2
    await _assert_one_set_of_elements(fault_client, live_tenant, fault_container, document_id)

    # An hour later the broker would hand the parked message out again: do that now.
    broker_client = redis.Redis(unix_socket_path=str(broker.socket_path))
    try:
        message, _exchange, routing_key = json.loads(parked)
        assert broker_client.hdel("unacked", parked_tag) == 1  # still parked
        broker_client.zrem("unacked_index", parked_tag)
        broker_client.lpush(routing_key, json.dumps(message))
    finally:
        broker_client.close()
    done = f"{message['headers']['id']}] succeeded in"
    deadline = time.monotonic() + 90  # it waits behind the index jobs the sweeper repeated
    while True:
        lines = [line for line in second.log_path.read_text().splitlines() if done in line]
        if lines:
            break
        assert time.monotonic() < deadline, "the redelivered job did not run"
        assert second.alive, second.log_path.read_text()[-4000:]
        await asyncio.sleep(0.05)
    assert lines[0].endswith("'done_already'")
    again = await document_status(fault_client, live_tenant.headers, document_id)
    assert (again["status"], again["status_detail"]["attempts"]) == ("ready", 2)
    await _assert_one_set_of_elements(fault_client, live_tenant, fault_container, document_id)


async def test_redis_restart_during_a_batch_loses_no_document(
    start_worker: Any,
    fault_settings: Settings,
    fault_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    broker: EmbeddedRedis,
) -> None:
    # Extract jobs of two documents (the API reads the setting per request): when the first
    # job is done, two more wait in Redis.
    fault_settings.documents.extract_batch_documents = 2
    worker = start_worker()
    batch = {f"part-{i}.docx": files.docx_file(200, label=f"Part {i} paragraph") for i in range(6)}
    ids = await _upload(fault_client, live_tenant, batch)
    first = ids["part-0.docx"]
    # Extracted (its index job waits behind the other extractions), or already indexed.
    await wait_for_status(
        fault_client, live_tenant.headers, [first], statuses=["indexing", "ready"], within=60
    )

    statuses = {
        d: (await document_status(fault_client, live_tenant.headers, d))["status"]
        for d in ids.values()
    }
    assert "queued" in statuses.values(), "the batch finished before the restart: make it larger"
    broker.stop()  # SIGTERM: Redis writes its append-only file and exits
    await asyncio.sleep(1.0)
    broker.start()  # same socket and data folder: the queue is reloaded

    final = await wait_for_status(
        fault_client, live_tenant.headers, ids.values(), within=READY_WITHIN, workers=[worker]
    )
    assert {name: final[d]["status"] for name, d in ids.items()} == dict.fromkeys(batch, "ready")
    for i in range(len(batch)):
        text = await fault_client.get(
            f"/v1/documents/{ids[f'part-{i}.docx']}/text?format=text", headers=live_tenant.headers
        )
        assert f"Part {i} paragraph 199:" in text.json()["text"]
