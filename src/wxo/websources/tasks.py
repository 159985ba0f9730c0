"""Celery tasks of web sources: run a refresh run, and the beat tick that fires schedules.

They share the document pipeline's per-process runtime (`wxo.documents.tasks.get_runtime`):
one event loop and one container per worker process, built on first use.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from celery import Task

from wxo.documents import service as documents
from wxo.documents.tasks import get_runtime, run_in, task
from wxo.websources import refresh, service

REFRESH_TASK = service.REFRESH_TASK
TICK_TASK = service.TICK_TASK


@task(REFRESH_TASK)
def run_refresh(self: Task, run_id: str) -> str:
    """Run one refresh run (a redelivered message for a started run does nothing)."""
    runtime = get_runtime(self)
    container = runtime.container
    io = documents.document_io(container.settings.documents, container.blobs, container.queue)
    return run_in(runtime, refresh.run_refresh(container.sessionmaker, io, uuid.UUID(run_id)))


@task(TICK_TASK)
def tick(self: Task, stuck_after_seconds: float = 900.0) -> int:
    """Fire due schedules (new runs are sent), fail runs whose worker died, resend lost runs."""
    runtime = get_runtime(self)
    container = runtime.container
    now = datetime.now(UTC)

    async def work() -> list[uuid.UUID]:
        async with container.sessionmaker() as session:
            claimed = await service.claim_due(session, now)
        async with container.sessionmaker() as session:
            resend = await service.sweep_runs(session, now, stuck_after_seconds=stuck_after_seconds)
        return [*claimed.run_ids, *resend]

    to_send = run_in(runtime, work())
    for run_id in to_send:
        service.send_run(container.queue, run_id)
    return len(to_send)
