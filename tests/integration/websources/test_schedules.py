"""Refresh schedules: the beat tick claims a due schedule once, even from two ticks at a time."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, select, update

from tests.conftest import TenantUser
from tests.integration.websources.conftest import new_collection, put_source
from wxo.container import Container
from wxo.core.config import DocumentSettings
from wxo.queue.celery_app import create_celery
from wxo.retrieval.models import VectorIndexCollection
from wxo.websources import service, tasks
from wxo.websources.models import RefreshRun, RefreshSchedule

PAST = datetime(2020, 1, 1, 0, 0, tzinfo=UTC)
NOW = datetime(2020, 1, 1, 0, 2, tzinfo=UTC)  # a fixed "now" at which only our rows are due


async def _make_due(container: Container, owner_id: uuid.UUID) -> None:
    async with container.sessionmaker() as session:
        await session.execute(
            update(RefreshSchedule)
            .where(RefreshSchedule.owner_id == owner_id)
            .values(next_run_at=PAST)
        )
        await session.commit()


async def _tick(container: Container) -> service.Claimed:
    async with container.sessionmaker() as session:
        return await service.claim_due(session, NOW)


async def _runs(container: Container, collection_id: str) -> list[RefreshRun]:
    async with container.sessionmaker() as session:
        rows = await session.execute(
            select(RefreshRun).where(RefreshRun.collection_id == uuid.UUID(collection_id))
        )
        return list(rows.scalars())


async def test_two_concurrent_ticks_fire_a_due_schedule_once_and_advance_it(
    allowed_client: httpx.AsyncClient, allowed: Container, live_tenant: TenantUser
) -> None:
    collection_id = await new_collection(allowed_client, live_tenant)
    await put_source(
        allowed_client,
        live_tenant,
        collection_id,
        seed_urls=["https://docs.example.com/"],
        refresh_schedule="*/5 * * * *",
    )
    await _make_due(allowed, uuid.UUID(collection_id))

    first, second = await asyncio.gather(_tick(allowed), _tick(allowed))

    runs = await _runs(allowed, collection_id)
    assert len(runs) == 1
    assert runs[0].trigger == "schedule"
    assert runs[0].status == "queued"
    assert sorted([*first.run_ids, *second.run_ids]) == [runs[0].id]
    assert first.schedules + second.schedules == 1  # claimed by one tick only
    async with allowed.sessionmaker() as session:
        schedule = (
            await session.execute(
                select(RefreshSchedule).where(RefreshSchedule.owner_id == uuid.UUID(collection_id))
            )
        ).scalar_one()
    assert schedule.next_run_at == datetime(2020, 1, 1, 0, 5, tzinfo=UTC)
    assert schedule.last_run_at == NOW
    assert runs[0].schedule_id == schedule.id

    again = await _tick(allowed)  # not due any more at the same "now"
    assert runs[0].id not in again.run_ids
    assert len(await _runs(allowed, collection_id)) == 1
    async with allowed.sessionmaker() as session:  # due in real time: keep beat tests clear
        await session.execute(delete(RefreshSchedule).where(RefreshSchedule.id == schedule.id))
        await session.commit()


async def test_engine_schedule_refreshes_the_collections_of_its_indices(
    allowed_client: httpx.AsyncClient, allowed: Container, live_tenant: TenantUser
) -> None:
    collection_id = await new_collection(allowed_client, live_tenant)
    other_id = await new_collection(allowed_client, live_tenant)
    async with allowed.sessionmaker() as session:
        index_id = (
            await session.execute(
                select(VectorIndexCollection.index_id).where(
                    VectorIndexCollection.collection_id == uuid.UUID(collection_id)
                )
            )
        ).scalar_one()
    engine_id = uuid.uuid4()
    async with allowed.sessionmaker() as session:
        await service.set_engine_schedule(
            session, live_tenant.tenant_id, "query_engine", engine_id, "0 * * * *", [index_id]
        )
        await session.commit()
    await _make_due(allowed, engine_id)

    claimed = await _tick(allowed)

    runs = await _runs(allowed, collection_id)
    assert [r.id for r in runs] == [r for r in claimed.run_ids if r in {x.id for x in runs}]
    assert len(runs) == 1
    assert await _runs(allowed, other_id) == []  # not attached to the engine's index

    with pytest.raises(ValueError, match="cron"):
        async with allowed.sessionmaker() as session:
            await service.set_engine_schedule(
                session, live_tenant.tenant_id, "search_engine", engine_id, "bad", [index_id]
            )
    async with allowed.sessionmaker() as session:
        await service.set_engine_schedule(
            session, live_tenant.tenant_id, "query_engine", engine_id, None, []
        )
        await session.commit()
        left = await session.execute(
            select(RefreshSchedule).where(RefreshSchedule.owner_id == engine_id)
        )
        assert left.scalar_one_or_none() is None


async def test_sweep_fails_runs_whose_worker_died_and_resends_lost_ones(
    allowed_client: httpx.AsyncClient, allowed: Container, live_tenant: TenantUser
) -> None:
    dead_collection = await new_collection(allowed_client, live_tenant)
    lost_collection = await new_collection(allowed_client, live_tenant)
    fresh_collection = await new_collection(allowed_client, live_tenant)
    now = datetime.now(UTC)
    old = now - timedelta(hours=1)
    async with allowed.sessionmaker() as session:
        for collection_id, status, seen in [
            (dead_collection, "running", old),
            (lost_collection, "queued", old),
            (fresh_collection, "running", now),
        ]:
            session.add(
                RefreshRun(
                    tenant_id=live_tenant.tenant_id,
                    collection_id=uuid.UUID(collection_id),
                    trigger="manual",
                    status=status,
                    heartbeat_at=seen,
                )
            )
        await session.commit()
    async with allowed.sessionmaker() as session:
        resend = await service.sweep_runs(session, now, stuck_after_seconds=600)

    (dead,) = await _runs(allowed, dead_collection)
    (lost,) = await _runs(allowed, lost_collection)
    (fresh,) = await _runs(allowed, fresh_collection)
    assert dead.status == "failed"
    assert dead.finished_at is not None
    assert [e["code"] for e in dead.errors] == ["worker_lost"]
    assert lost.id in resend
    assert lost.status == "queued"
    assert fresh.status == "running"
    assert fresh.id not in resend


def test_beat_runs_the_refresh_tick_with_the_sweep_interval() -> None:
    app = create_celery(
        "redis://127.0.0.1:1/0",
        DocumentSettings(sweep_interval_seconds=30, sweep_stuck_after_seconds=120),
    )
    entry = app.conf.beat_schedule["refresh-tick"]
    assert entry["task"] == service.TICK_TASK
    assert entry["schedule"] == 30
    assert entry["kwargs"] == {"stuck_after_seconds": 120}
    assert "wxo.websources.tasks" in app.conf.include
    app.loader.import_default_modules()
    assert {service.TICK_TASK, service.REFRESH_TASK} <= set(app.tasks)
    assert app.tasks[service.TICK_TASK].run.__module__ == tasks.__name__


async def test_a_search_engines_schedule_refreshes_the_collections_of_its_indices(
    allowed_client: httpx.AsyncClient, allowed: Container, live_tenant: TenantUser
) -> None:
    collection_id = await new_collection(allowed_client, live_tenant)
    other_id = await new_collection(allowed_client, live_tenant)
    async with allowed.sessionmaker() as session:
        index_id = (
            await session.execute(
                select(VectorIndexCollection.index_id).where(
                    VectorIndexCollection.collection_id == uuid.UUID(collection_id)
                )
            )
        ).scalar_one()
    created = await allowed_client.post(
        "/v1/search-engines",
        json={
            "name": f"se-{uuid.uuid4().hex[:8]}",
            "index_ids": [str(index_id)],
            "data_management": {"refresh_schedule": "0 * * * *"},
        },
        headers=live_tenant.headers,
    )
    assert created.status_code == 201, created.text
    engine_id = uuid.UUID(created.json()["id"])
    await _make_due(allowed, engine_id)

    claimed = await _tick(allowed)

    runs = await _runs(allowed, collection_id)
    assert len(runs) == 1
    assert runs[0].id in claimed.run_ids
    assert runs[0].trigger == "schedule"
    async with allowed.sessionmaker() as session:
        schedule = (
            await session.execute(
                select(RefreshSchedule).where(RefreshSchedule.owner_id == engine_id)
            )
        ).scalar_one()
    assert schedule.owner_kind == "search_engine"
    assert runs[0].schedule_id == schedule.id
    assert schedule.next_run_at == datetime(2020, 1, 1, 1, 0, tzinfo=UTC)
    assert await _runs(allowed, other_id) == []  # not attached to the engine's index

    deleted = await allowed_client.delete(
        f"/v1/search-engines/{engine_id}", headers=live_tenant.headers
    )
    assert deleted.status_code == 204
    async with allowed.sessionmaker() as session:
        left = await session.execute(
            select(RefreshSchedule).where(RefreshSchedule.owner_id == engine_id)
        )
        assert left.scalar_one_or_none() is None
