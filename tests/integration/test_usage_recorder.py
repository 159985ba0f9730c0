"""Usage counters written in batches: what a flush writes, and what it survives."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.conftest import TenantUser
from wxo.container import Container
from wxo.usage.models import ModelUsage
from wxo.usage.recorder import UsageRecorder


async def test_a_flush_adds_up_calls_and_survives_a_vanished_tenant(
    container: Container, live_tenant: TenantUser
) -> None:
    recorder = UsageRecorder(container.sessionmaker, interval=3600)
    model = f"virtual-model/test/{uuid.uuid4().hex[:8]}"
    for tokens in (3, 4):
        recorder.add(
            tenant_id=live_tenant.tenant_id,
            model=model,
            prompt_tokens=tokens,
            completion_tokens=1,
            latency_ms=10,
            error=False,
        )
    recorder.add(
        tenant_id=live_tenant.tenant_id,
        model=model,
        prompt_tokens=0,
        completion_tokens=0,
        latency_ms=5,
        error=True,
    )
    recorder.add(  # no such tenant: its row breaks the foreign key
        tenant_id=uuid.uuid4(),
        model=model,
        prompt_tokens=1,
        completion_tokens=1,
        latency_ms=1,
        error=False,
    )

    await recorder.aclose()

    async with container.sessionmaker() as session:
        rows = (await session.scalars(select(ModelUsage).where(ModelUsage.model == model))).all()
    assert len(rows) == 1
    row = rows[0]
    assert row.tenant_id == live_tenant.tenant_id
    assert (row.requests, row.errors) == (3, 1)
    assert (row.prompt_tokens, row.completion_tokens, row.latency_ms_total) == (7, 2, 25)
