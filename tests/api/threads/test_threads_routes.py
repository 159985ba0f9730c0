"""Contract tests for `/threads` and `/threads/{thread_id}` (create, list, get, patch, delete)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import TenantUser
from wxo.threads.models import Thread, ThreadStatus

THREAD_KEYS = {
    "id",
    "thread_id",
    "tenant_id",
    "tenant_name",
    "status",
    "title",
    "assistant_id",
    "agent_id",
    "context",
    "knowledge_base_id",
    "created_by",
    "created_by_username",
    "created_on",
    "updated_at",
    "deleted_at",
    "deleted_by",
    "last_read_at",
    "last_agent_message_at",
}


async def create_thread(
    client: httpx.AsyncClient, tenant: TenantUser, prefix: str = "/v1", **body: Any
) -> dict[str, Any]:
    response = await client.post(f"{prefix}/threads", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    thread: dict[str, Any] = response.json()
    return thread


async def post_message(
    client: httpx.AsyncClient, tenant: TenantUser, thread_id: str, text: str, role: str = "user"
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/threads/{thread_id}/messages",
        json={"role": role, "content": text},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()
    return message


def parse_time(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value)


# --- create -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
async def test_create_thread_returns_201_and_the_full_thread(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser, prefix: str
) -> None:
    response = await client.post(f"{prefix}/threads", json={}, headers=tenant_a.headers)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == THREAD_KEYS
    assert body["thread_id"] == body["id"]
    assert body["tenant_id"] == str(tenant_a.tenant_id)
    assert body["tenant_name"] == tenant_a.tenant_name
    assert body["status"] == "ready"
    assert body["title"] == "Untitled"
    assert body["created_by"] == str(tenant_a.user_id)
    assert body["created_by_username"] == tenant_a.username
    assert parse_time(body["created_on"]) == parse_time(body["updated_at"])
    for key in ("assistant_id", "agent_id", "context", "knowledge_base_id", "deleted_at"):
        assert body[key] is None
    for key in ("deleted_by", "last_read_at", "last_agent_message_at"):
        assert body[key] is None
    row = await session.get(Thread, uuid.UUID(body["id"]))
    assert row is not None
    assert row.tenant_id == tenant_a.tenant_id
    assert row.message_count == 0


async def test_create_thread_stores_every_given_field(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    agent_id, assistant_id = str(uuid.uuid4()), str(uuid.uuid4())
    context = {"channel": "web", "nested": {"list": [1, "two", None, 3.5, True]}}

    body = await create_thread(
        client,
        tenant_a,
        agent_id=agent_id,
        assistant_id=assistant_id,
        title="Order status",
        context=context,
    )

    assert (body["agent_id"], body["assistant_id"]) == (agent_id, assistant_id)
    assert body["title"] == "Order status"
    assert body["context"] == context
    fetched = await client.get(f"/v1/threads/{body['id']}", headers=tenant_a.headers)
    assert fetched.json() == body


async def test_create_thread_without_a_body_is_untitled(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.post("/v1/threads", headers=tenant_a.headers)

    assert response.status_code == 201
    assert response.json()["title"] == "Untitled"


async def test_create_thread_ignores_unknown_keys_and_null_title(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    body = await create_thread(client, tenant_a, title=None, surprise={"x": 1})

    assert body["title"] == "Untitled"
    assert "surprise" not in body


@pytest.mark.parametrize(
    "payload",
    [
        {"agent_id": "not-a-uuid"},
        {"assistant_id": 42},
        {"title": 5},
        {"title": ["a"]},
        {"context": [1, 2]},
        {"context": "text"},
    ],
)
async def test_create_thread_rejects_wrong_types_with_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, payload: dict[str, Any]
) -> None:
    response = await client.post("/v1/threads", json=payload, headers=tenant_a.headers)

    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert {"loc", "msg", "type"} <= set(error)
    assert error["loc"][0] == "body"


async def test_create_thread_with_malformed_json_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.post(
        "/v1/threads",
        content=b'{"title": "x",',
        headers={**tenant_a.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_create_thread_with_nul_character_is_422_not_500(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.post(
        "/v1/threads", json={"title": "a\u0000b"}, headers=tenant_a.headers
    )

    assert response.status_code == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/threads"),
        ("GET", "/v1/threads"),
        ("GET", f"/v1/threads/{uuid.uuid4()}"),
        ("GET", f"/v1/threads/{uuid.uuid4()}/messages"),
        ("GET", "/v1/threads/logs/abc"),
    ],
)
async def test_threads_routes_require_a_bearer_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={})

    assert response.status_code == 401


# --- get --------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
async def test_get_thread_returns_the_thread(
    client: httpx.AsyncClient, tenant_a: TenantUser, prefix: str
) -> None:
    created = await create_thread(client, tenant_a, prefix=prefix, title="Hello")

    response = await client.get(f"{prefix}/threads/{created['id']}", headers=tenant_a.headers)

    assert response.status_code == 200
    assert response.json() == created


async def test_get_thread_unknown_id_is_404(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.get(f"/v1/threads/{uuid.uuid4()}", headers=tenant_a.headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "Thread not found"}


async def test_get_thread_with_malformed_id_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.get("/v1/threads/not-a-uuid", headers=tenant_a.headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "thread_id"]


# --- tenant isolation -------------------------------------------------------------------------


async def test_thread_of_another_tenant_is_404_for_every_route(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    thread = await create_thread(client, tenant_a, title="Private")
    message = await post_message(client, tenant_a, thread["id"], "secret")
    base = f"/v1/threads/{thread['id']}"
    attempts = [
        ("GET", base, None),
        ("PATCH", base, {"title": "Hacked"}),
        ("DELETE", base, None),
        ("GET", f"{base}/messages", None),
        ("POST", f"{base}/messages", {"role": "user", "content": "intrusion"}),
        ("GET", f"{base}/messages/{message['id']}", None),
        ("PATCH", f"{base}/messages/{message['id']}", {"content": "Hacked"}),
        ("DELETE", f"{base}/messages/{message['id']}", None),
        ("GET", f"{base}/messages/{message['id']}/logs", None),
    ]

    for method, path, payload in attempts:
        response = await client.request(method, path, json=payload, headers=tenant_b.headers)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"detail": "Thread not found"}, (method, path)

    row = await session.get(Thread, uuid.UUID(thread["id"]))
    assert row is not None
    assert (row.title, row.deleted_at, row.message_count) == ("Private", None, 1)
    own = await client.get(f"{base}/messages", headers=tenant_a.headers)
    assert [m["content"][0]["text"] for m in own.json()] == ["secret"]


async def test_list_threads_shows_only_the_callers_tenant(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    mine = await create_thread(client, tenant_a)
    theirs = await create_thread(client, tenant_b)

    listed_a = (await client.get("/v1/threads", headers=tenant_a.headers)).json()
    listed_b = (await client.get("/v1/threads", headers=tenant_b.headers)).json()

    assert [t["id"] for t in listed_a] == [mine["id"]]
    assert [t["id"] for t in listed_b] == [theirs["id"]]


# --- list -------------------------------------------------------------------------------------


async def test_list_threads_is_a_bare_array_newest_activity_first(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    first = await create_thread(client, tenant_a, title="first")
    second = await create_thread(client, tenant_a, title="second")
    third = await create_thread(client, tenant_a, title="third")
    await post_message(client, tenant_a, first["id"], "bump")

    response = await client.get("/api/v1/threads", headers=tenant_a.headers)

    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    assert [t["id"] for t in body] == [first["id"], third["id"], second["id"]]
    assert all(set(t) == THREAD_KEYS for t in body)


async def test_list_threads_filters_by_agent_and_assistant(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    agent, other_agent, assistant = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a1 = await create_thread(client, tenant_a, agent_id=str(agent))
    a2 = await create_thread(client, tenant_a, agent_id=str(agent), assistant_id=str(assistant))
    await create_thread(client, tenant_a, agent_id=str(other_agent))
    await create_thread(client, tenant_a)

    by_agent = await client.get(
        "/v1/threads", params={"agent_id": str(agent)}, headers=tenant_a.headers
    )
    by_both = await client.get(
        "/v1/threads",
        params={"agent_id": str(agent), "assistant_id": str(assistant)},
        headers=tenant_a.headers,
    )

    assert {t["id"] for t in by_agent.json()} == {a1["id"], a2["id"]}
    assert [t["id"] for t in by_both.json()] == [a2["id"]]


async def test_list_threads_pages_with_limit_and_offset(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    created = [await create_thread(client, tenant_a, title=f"t{i}") for i in range(5)]
    newest_first = [t["id"] for t in reversed(created)]

    page1 = await client.get("/v1/threads", params={"limit": 2}, headers=tenant_a.headers)
    page2 = await client.get(
        "/v1/threads", params={"limit": 2, "offset": 2}, headers=tenant_a.headers
    )
    page3 = await client.get(
        "/v1/threads", params={"limit": 2, "offset": 4}, headers=tenant_a.headers
    )
    beyond = await client.get("/v1/threads", params={"offset": 10}, headers=tenant_a.headers)

    assert [t["id"] for t in page1.json() + page2.json() + page3.json()] == newest_first
    assert len(page3.json()) == 1
    assert beyond.json() == []


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "many"}, {"agent_id": "x"}],
)
async def test_list_threads_rejects_bad_query_with_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, params: dict[str, Any]
) -> None:
    response = await client.get("/v1/threads", params=params, headers=tenant_a.headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


# --- patch ------------------------------------------------------------------------------------


async def test_patch_thread_changes_only_the_given_fields(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    agent_id = str(uuid.uuid4())
    created = await create_thread(
        client, tenant_a, title="Before", agent_id=agent_id, context={"a": 1}
    )

    response = await client.patch(
        f"/v1/threads/{created['id']}",
        json={"status": "async_wait", "knowledge_base_id": "kb-1"},
        headers=tenant_a.headers,
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "async_wait"
    assert body["knowledge_base_id"] == "kb-1"
    assert (body["title"], body["agent_id"], body["context"]) == ("Before", agent_id, {"a": 1})
    assert parse_time(body["updated_at"]) > parse_time(created["updated_at"])
    assert body["created_on"] == created["created_on"]
    row = await session.get(Thread, uuid.UUID(created["id"]))
    assert row is not None
    assert row.status is ThreadStatus.ASYNC_WAIT
    assert row.knowledge_base_id == "kb-1"


async def test_patch_thread_sets_and_clears_every_patchable_field(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    created = await create_thread(client, tenant_a, agent_id=str(uuid.uuid4()))
    assistant_id = str(uuid.uuid4())

    set_response = await client.patch(
        f"/v1/threads/{created['id']}",
        json={
            "title": "Renamed",
            "assistant_id": assistant_id,
            "status": "async_a2a_slot_request",
            "context": {"k": [1]},
            "updated_at": "2030-01-02T03:04:05+02:00",
        },
        headers=tenant_a.headers,
    )
    clear_response = await client.patch(
        f"/v1/threads/{created['id']}",
        json={"agent_id": None, "assistant_id": None, "context": None},
        headers=tenant_a.headers,
    )

    updated = set_response.json()
    assert updated["title"] == "Renamed"
    assert updated["assistant_id"] == assistant_id
    assert updated["status"] == "async_a2a_slot_request"
    assert updated["context"] == {"k": [1]}
    assert updated["updated_at"] == "2030-01-02T01:04:05Z"
    cleared = clear_response.json()
    assert (cleared["agent_id"], cleared["assistant_id"], cleared["context"]) == (None, None, None)
    assert cleared["title"] == "Renamed"


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "sleeping"},
        {"status": None},
        {"title": None},
        {"updated_at": None},
        {"updated_at": "yesterday"},
        {"agent_id": "nope"},
        {"context": 3},
    ],
)
async def test_patch_thread_rejects_bad_values_with_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, payload: dict[str, Any]
) -> None:
    created = await create_thread(client, tenant_a)

    response = await client.patch(
        f"/v1/threads/{created['id']}", json=payload, headers=tenant_a.headers
    )

    assert response.status_code == 422
    after = await client.get(f"/v1/threads/{created['id']}", headers=tenant_a.headers)
    assert after.json() == created


async def test_patch_unknown_thread_is_404(client: httpx.AsyncClient, tenant_a: TenantUser) -> None:
    response = await client.patch(
        f"/v1/threads/{uuid.uuid4()}", json={"title": "x"}, headers=tenant_a.headers
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Thread not found"}


# --- delete -----------------------------------------------------------------------------------


async def test_delete_thread_is_a_soft_delete(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    thread = await create_thread(client, tenant_a)
    message = await post_message(client, tenant_a, thread["id"], "hello")
    kept = await create_thread(client, tenant_a)
    base = f"/v1/threads/{thread['id']}"

    response = await client.delete(base, headers=tenant_a.headers)

    assert response.status_code == 200
    assert response.json() == {"id": thread["id"], "deleted": True}
    row = (
        await session.execute(select(Thread).where(Thread.id == uuid.UUID(thread["id"])))
    ).scalar_one()
    assert row.deleted_at is not None
    assert row.deleted_by == tenant_a.username
    listed = (await client.get("/v1/threads", headers=tenant_a.headers)).json()
    assert [t["id"] for t in listed] == [kept["id"]]
    for method, path, payload in [
        ("GET", base, None),
        ("PATCH", base, {"title": "zombie"}),
        ("DELETE", base, None),
        ("GET", f"{base}/messages", None),
        ("POST", f"{base}/messages", {"role": "user", "content": "late"}),
        ("GET", f"{base}/messages/{message['id']}", None),
        ("PATCH", f"{base}/messages/{message['id']}", {"content": "late"}),
        ("DELETE", f"{base}/messages/{message['id']}", None),
    ]:
        gone = await client.request(method, path, json=payload, headers=tenant_a.headers)
        assert gone.status_code == 404, (method, path)
        assert gone.json() == {"detail": "Thread not found"}


# --- logs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("log_id", ["abc123", "messages", str(uuid.uuid4())])
async def test_get_logs_by_log_id_is_404_without_captured_logs(
    client: httpx.AsyncClient, tenant_a: TenantUser, log_id: str
) -> None:
    response = await client.get(f"/v1/threads/logs/{log_id}", headers=tenant_a.headers)

    assert response.status_code == 404
    assert response.json() == {"detail": f"No captured logs for log_id {log_id}"}
