"""The runs sweep, called directly: stale running runs fail, lost pending runs are re-sent."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text

from tests.api.documents.conftest import RecordingQueue
from tests.conftest import TenantUser
from wxo.auth.schemas import TenantPrincipal
from wxo.container import Container
from wxo.runs import service
from wxo.runs.models import Run, RunEvent
from wxo.runs.schemas import RunMessage, RunOrchestrate


async def _pending_run(container: Container, tenant: TenantUser, queue: RecordingQueue) -> Run:
    principal = TenantPrincipal(
        user_id=tenant.user_id,
        username=tenant.username,
        token_id=uuid.uuid4(),
        tenant_id=tenant.tenant_id,
        tenant_name=tenant.tenant_name,
    )
    async with container.sessionmaker() as session:
        return await service.start_run(
            session, principal, RunOrchestrate(message=RunMessage(content="hi")), queue=queue
        )


async def _age(container: Container, run_id: uuid.UUID, **columns: str) -> None:
    sets = ", ".join(f"{name} = {value}" for name, value in columns.items())
    async with container.sessionmaker() as session:
        await session.execute(text(f"UPDATE run SET {sets} WHERE id = :id"), {"id": run_id})  # noqa: S608
        await session.commit()


async def test_sweep_fails_stale_running_runs_and_resends_lost_pending_ones(
    container: Container, live_tenant: TenantUser
) -> None:
    queue = RecordingQueue()
    stale = await _pending_run(container, live_tenant, queue)
    fresh = await _pending_run(container, live_tenant, queue)
    lost = await _pending_run(container, live_tenant, queue)
    unsent = await _pending_run(container, live_tenant, queue)
    old = "now() - interval '1 hour'"
    await _age(container, stale.id, status="'running'", heartbeat_at=old, started_at=old)
    await _age(container, fresh.id, status="'running'", heartbeat_at="now()")
    await _age(container, lost.id, updated_at=old)
    await _age(container, unsent.id, updated_at=old, task_id="NULL")
    queue.sent.clear()

    # A backlog in the broker: only the never-sent run is sent again.
    failed, resent = await service.sweep(
        container.sessionmaker, container.redis, queue, stale_after_seconds=30, backlog=5
    )
    assert stale.id in failed
    assert fresh.id not in failed
    assert unsent.id in resent
    assert lost.id not in resent
    # No backlog: the pending run whose message may be lost is sent again too (once: touched).
    _, resent_now = await service.sweep(
        container.sessionmaker, container.redis, queue, stale_after_seconds=30
    )
    assert lost.id in resent_now
    assert unsent.id not in resent_now
    _, resent_later = await service.sweep(
        container.sessionmaker, container.redis, queue, stale_after_seconds=30
    )
    assert lost.id not in resent_later
    sent_ids = [payload["run_id"] for _, payload in queue.sent]
    assert sent_ids.count(str(unsent.id)) == 1
    assert sent_ids.count(str(lost.id)) == 1

    async with container.sessionmaker() as session:
        failed_run = await session.get(Run, stale.id)
        assert failed_run is not None
        assert failed_run.status == "failed"
        assert failed_run.failed_at is not None
        assert "no heartbeat for more than 30 s" in (failed_run.last_error or "")
        healthy = await session.get(Run, fresh.id)
        assert healthy is not None
        assert healthy.status == "running"
        resent_run = await session.get(Run, unsent.id)
        assert resent_run is not None
        assert resent_run.task_id is not None
        rows = await session.execute(
            select(RunEvent.event, RunEvent.data).where(RunEvent.run_id == stale.id)
        )
        events = rows.all()
    assert [e for e, _ in events] == ["run.failed", "done"]
    assert events[0][1]["error"] == failed_run.last_error
    assert events[0][1]["thread_id"] == str(stale.thread_id)
