"""Storage behaviour of threads: concurrent appends, keyset paging at scale, constraints."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, event, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.conftest import TenantUser
from wxo.auth.models import Tenant
from wxo.threads.models import Message, Thread

BIG_THREAD = 100_000


async def test_append_message_concurrent_appends_get_one_total_order(
    live_client: httpx.AsyncClient, live_tenant: TenantUser
) -> None:
    headers = live_tenant.headers
    created = await live_client.post("/v1/threads", json={"title": "race"}, headers=headers)
    thread_id = created.json()["id"]
    sent = [f"message {i}" for i in range(50)]

    responses = await asyncio.gather(
        *(
            live_client.post(
                f"/v1/threads/{thread_id}/messages",
                json={"role": "user", "content": text_},
                headers=headers,
            )
            for text_ in sent
        )
    )

    assert [r.status_code for r in responses] == [201] * 50
    listed = await live_client.get(
        f"/v1/threads/{thread_id}/messages", params={"limit": 1000}, headers=headers
    )
    messages = listed.json()
    assert sorted(m["content"][0]["text"] for m in messages) == sorted(sent)
    assert len({m["id"] for m in messages}) == 50
    # Oldest first and times follow the order in which the thread row was locked.
    created_on = [m["created_on"] for m in messages]
    assert created_on == sorted(created_on)
    thread = (await live_client.get(f"/v1/threads/{thread_id}", headers=headers)).json()
    assert thread["updated_at"] == messages[-1]["created_on"]


async def test_append_message_concurrent_appends_get_gapless_seqs(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, engine: AsyncEngine
) -> None:
    headers = live_tenant.headers
    thread_id = (await live_client.post("/v1/threads", headers=headers)).json()["id"]

    responses = await asyncio.gather(
        *(
            live_client.post(
                f"/v1/threads/{thread_id}/messages",
                json={"role": "assistant" if i % 2 else "user", "content": f"m{i}"},
                headers=headers,
            )
            for i in range(50)
        )
    )

    assert all(r.status_code == 201 for r in responses)
    async with AsyncSession(engine) as check:
        rows = (
            await check.execute(
                select(Message.id, Message.seq)
                .where(Message.thread_id == uuid.UUID(thread_id))
                .order_by(Message.seq)
            )
        ).all()
        thread = await check.get(Thread, uuid.UUID(thread_id))
    assert [seq for _, seq in rows] == list(range(1, 51))
    listed = await live_client.get(
        f"/v1/threads/{thread_id}/messages", params={"limit": 1000}, headers=headers
    )
    messages = listed.json()
    assert [m["id"] for m in messages] == [str(id_) for id_, _ in rows]
    assert thread is not None
    assert thread.message_count == 50
    last_agent = next(m for m in reversed(messages) if m["role"] == "assistant")
    shown = (await live_client.get(f"/v1/threads/{thread_id}", headers=headers)).json()
    assert shown["last_agent_message_at"] == last_agent["created_on"]
    assert shown["updated_at"] == messages[-1]["created_on"]


@contextmanager
def captured_statements(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement (with parameters) the engine sends while the block runs."""
    seen: list[tuple[str, Any]] = []

    def record(
        conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


async def test_list_messages_pages_a_huge_thread_by_index_without_sorting(
    client: httpx.AsyncClient,
    session: AsyncSession,
    engine: AsyncEngine,
    tenant_a: TenantUser,
) -> None:
    thread_id = (await client.post("/v1/threads", headers=tenant_a.headers)).json()["id"]
    await session.execute(
        text(
            """
            INSERT INTO thread_message (id, tenant_id, thread_id, seq, role, content)
            SELECT gen_random_uuid(), :tenant_id, :thread_id, n, 'user',
                   jsonb_build_array(jsonb_build_object('response_type', 'text', 'text', 'm' || n))
            FROM generate_series(1, :n) AS n
            """
        ),
        {"tenant_id": tenant_a.tenant_id, "thread_id": uuid.UUID(thread_id), "n": BIG_THREAD},
    )
    await session.execute(
        text("UPDATE thread SET message_count = :n WHERE id = :id"),
        {"n": BIG_THREAD, "id": uuid.UUID(thread_id)},
    )
    await session.execute(text("ANALYZE thread_message"))
    near_end = (
        await session.execute(
            select(Message.id).where(
                Message.thread_id == uuid.UUID(thread_id), Message.seq == BIG_THREAD - 10
            )
        )
    ).scalar_one()
    path = f"/v1/threads/{thread_id}/messages"

    cases: list[tuple[dict[str, str | int], list[str]]] = [
        ({"after": str(near_end), "limit": 5}, [f"m{n}" for n in range(99_991, 99_996)]),
        ({"before": str(near_end), "limit": 3}, ["m99987", "m99988", "m99989"]),
    ]
    for params, expected in cases:
        with captured_statements(engine) as statements:
            response = await client.get(path, params=params, headers=tenant_a.headers)
        assert response.status_code == 200
        assert [m["content"][0]["text"] for m in response.json()] == expected
        page_sql = [(sql, args) for sql, args in statements if "ORDER BY thread_message.seq" in sql]
        assert len(page_sql) == 1
        sql, args = page_sql[0]
        conn = await session.connection()
        raw: Any = (
            await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", args)
        ).scalar()
        plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
        nodes = list(plan_nodes(plan))
        # The only sort allowed is the one that puts the page itself in order for rendering.
        sorts = [n for n in nodes if n["Node Type"] == "Sort"]
        assert all(n["Actual Rows"] <= params["limit"] for n in sorts), plan
        scans = [n for n in nodes if n.get("Index Name") == "uq_thread_message_thread_id_seq"]
        assert scans, plan
        assert scans[0]["Actual Rows"] <= params["limit"], plan


async def test_thread_status_check_constraint_rejects_unknown_values(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    thread_id = (await client.post("/v1/threads", headers=tenant_a.headers)).json()["id"]

    with pytest.raises(IntegrityError, match="ck_thread_status"):
        async with session.begin_nested():
            await session.execute(
                text("UPDATE thread SET status = 'sleeping' WHERE id = :id"),
                {"id": uuid.UUID(thread_id)},
            )


async def test_message_seq_is_unique_per_thread(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    thread_id = (await client.post("/v1/threads", headers=tenant_a.headers)).json()["id"]
    await client.post(
        f"/v1/threads/{thread_id}/messages",
        json={"role": "user", "content": "x"},
        headers=tenant_a.headers,
    )

    duplicate = insert(Message).values(
        id=uuid.uuid4(),
        tenant_id=tenant_a.tenant_id,
        thread_id=uuid.UUID(thread_id),
        seq=1,
        role="user",
        content=[],
    )

    with pytest.raises(IntegrityError, match="uq_thread_message_thread_id_seq"):
        async with session.begin_nested():
            await session.execute(duplicate)


async def test_deleting_a_tenant_deletes_its_threads_and_messages(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    ids: dict[str, uuid.UUID] = {}
    for name, tenant in (("a", tenant_a), ("b", tenant_b)):
        thread_id = (await client.post("/v1/threads", headers=tenant.headers)).json()["id"]
        await client.post(
            f"/v1/threads/{thread_id}/messages",
            json={"role": "user", "content": "x"},
            headers=tenant.headers,
        )
        ids[name] = uuid.UUID(thread_id)

    await session.execute(delete(Tenant).where(Tenant.id == tenant_a.tenant_id))

    both = [tenant_a.tenant_id, tenant_b.tenant_id]
    threads = (await session.execute(select(Thread.id).where(Thread.tenant_id.in_(both)))).all()
    messages = (
        await session.execute(select(Message.thread_id).where(Message.tenant_id.in_(both)))
    ).all()
    assert threads == [(ids["b"],)]
    assert messages == [(ids["b"],)]
