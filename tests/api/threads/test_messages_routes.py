"""Contract tests for `/threads/{thread_id}/messages[/{message_id}[/logs]]`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import TenantUser
from wxo.threads.models import Message, Thread

MESSAGE_KEYS = {
    "id",
    "tenant_id",
    "thread_id",
    "role",
    "content",
    "mentions",
    "document_ids",
    "parent_message_id",
    "additional_properties",
    "context",
    "step_history",
    "message_state",
    "assistant",
    "created_by",
    "created_by_username",
    "created_on",
    "updated_at",
}

RICH_CONTENT: list[dict[str, Any]] = [
    {"response_type": "text", "text": "Here is what I found", "id": "c-1"},
    {
        "response_type": "conversational_search",
        "text": "Answer",
        "citations": [
            {
                "url": "https://example.com/a",
                "title": "A",
                "range_start": 0,
                "range_end": 6,
                "search_result_idx": 0,
            }
        ],
        "confidence_scores": {"response_confidence": 0.87, "retrieval_confidence": None},
    },
    {"response_type": "user_input", "json_schema": {"type": "object"}, "form_data": {}},
]


async def create_thread(client: httpx.AsyncClient, tenant: TenantUser) -> str:
    response = await client.post("/v1/threads", json={}, headers=tenant.headers)
    assert response.status_code == 201, response.text
    thread_id: str = response.json()["id"]
    return thread_id


async def post_message(
    client: httpx.AsyncClient, tenant: TenantUser, thread_id: str, **body: Any
) -> dict[str, Any]:
    body.setdefault("role", "user")
    body.setdefault("content", "hello")
    response = await client.post(
        f"/v1/threads/{thread_id}/messages", json=body, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()
    return message


async def list_messages(
    client: httpx.AsyncClient, tenant: TenantUser, thread_id: str, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/v1/threads/{thread_id}/messages", params=params, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()
    return messages


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["content"][0]["text"] for m in messages]


def parse_time(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value)


# --- create -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
async def test_create_message_with_string_content_stores_a_text_item(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser, prefix: str
) -> None:
    thread_id = await create_thread(client, tenant_a)

    response = await client.post(
        f"{prefix}/threads/{thread_id}/messages",
        json={"role": "user", "content": "Hi"},
        headers=tenant_a.headers,
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == MESSAGE_KEYS
    assert body["content"] == [{"response_type": "text", "text": "Hi"}]
    assert body["role"] == "user"
    assert body["thread_id"] == thread_id
    assert body["tenant_id"] == str(tenant_a.tenant_id)
    assert body["created_by"] == str(tenant_a.user_id)
    assert body["created_by_username"] == tenant_a.username
    assert body["created_on"] == body["updated_at"]
    assert (body["mentions"], body["document_ids"], body["step_history"]) == ([], [], [])
    assert body["additional_properties"] == {}
    assert (body["context"], body["message_state"], body["assistant"]) == (None, None, None)
    assert body["parent_message_id"] is None
    row = await session.get(Message, uuid.UUID(body["id"]))
    assert row is not None
    assert row.content == [{"response_type": "text", "text": "Hi"}]
    assert (row.seq, row.tenant_id) == (1, tenant_a.tenant_id)


async def test_create_message_round_trips_every_field(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)
    parent = await post_message(client, tenant_a, thread_id, content="question")
    assistant_id = str(uuid.uuid4())
    payload: dict[str, Any] = {
        "role": "assistant",
        "content": RICH_CONTENT,
        "mentions": [{"type": "agent", "id": str(uuid.uuid4()), "name": "HR agent"}],
        "document_ids": [str(uuid.uuid4()), str(uuid.uuid4())],
        "parent_message_id": parent["id"],
        "additional_properties": {
            "display_properties": {"skip_render": False, "is_async": True, "form_operation": ""},
            "tool_calls": [{"id": "call-1", "name": "lookup", "args": {"q": "x"}}],
            "wxa_message": {},
            "log_id": "L-1",
        },
        "assistant_id": assistant_id,
        "context": {"values": []},
        "step_history": [
            {
                "role": "assistant",
                "step_details": [
                    {"type": "tool_calls", "tool_calls": [{"id": "c1", "name": "f", "args": {}}]},
                    {"type": "tool_response", "name": "f", "tool_call_id": "c1", "content": "{}"},
                ],
            }
        ],
        "message_state": {"stage": 2, "flags": [True, False], "ratio": 0.5},
    }

    created = await post_message(client, tenant_a, thread_id, **payload)
    fetched = await client.get(
        f"/v1/threads/{thread_id}/messages/{created['id']}", headers=tenant_a.headers
    )
    listed = await list_messages(client, tenant_a, thread_id)

    for key in payload.keys() - {"assistant_id"}:
        assert created[key] == payload[key], key
    assert created["assistant"] == {
        "assistant_id": assistant_id,
        "assistant_name": None,
        "is_default": False,
    }
    assert fetched.json() == created
    assert listed[-1] == created


async def test_create_message_ignores_unknown_keys_and_treats_null_lists_as_empty(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)

    body = await post_message(
        client,
        tenant_a,
        thread_id,
        mentions=None,
        document_ids=None,
        step_history=None,
        additional_properties=None,
        log_id="top-level-extra",
    )

    assert (body["mentions"], body["document_ids"], body["step_history"]) == ([], [], [])
    assert body["additional_properties"] == {}
    assert "log_id" not in body


@pytest.mark.parametrize("role", ["user", "assistant", "system", "tool"])
async def test_create_message_accepts_each_known_role(
    client: httpx.AsyncClient, tenant_a: TenantUser, role: str
) -> None:
    thread_id = await create_thread(client, tenant_a)

    assert (await post_message(client, tenant_a, thread_id, role=role))["role"] == role


@pytest.mark.parametrize(
    "payload",
    [
        {"content": "no role"},
        {"role": "user"},
        {"role": "bot", "content": "x"},
        {"role": None, "content": "x"},
        {"role": "user", "content": None},
        {"role": "user", "content": 5},
        {"role": "user", "content": [{"text": "no response_type"}]},
        {"role": "user", "content": [{"response_type": 7, "text": "x"}]},
        {"role": "user", "content": ["plain string item"]},
        {"role": "user", "content": "x", "document_ids": ["not-a-uuid"]},
        {"role": "user", "content": "x", "mentions": "alice"},
        {"role": "user", "content": "x", "parent_message_id": "nope"},
        {"role": "user", "content": "x", "additional_properties": []},
        {"role": "user", "content": "x", "step_history": {"role": "assistant"}},
        {"role": "user", "content": "x", "context": "ctx"},
        {"role": "user", "content": "nul \u0000 char"},
        {"role": "user", "content": "x", "message_state": {"k": "nul\u0000"}},
    ],
)
async def test_create_message_rejects_invalid_bodies_with_422(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser, payload: dict[str, Any]
) -> None:
    thread_id = await create_thread(client, tenant_a)

    response = await client.post(
        f"/v1/threads/{thread_id}/messages", json=payload, headers=tenant_a.headers
    )

    assert response.status_code == 422
    assert all({"loc", "msg", "type"} <= set(e) for e in response.json()["detail"])
    stored = select(Message.id).where(Message.thread_id == uuid.UUID(thread_id))
    assert (await session.execute(stored)).first() is None


async def test_create_message_with_malformed_json_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)

    response = await client.post(
        f"/v1/threads/{thread_id}/messages",
        content=b'{"role": "user", "content": "x"',
        headers={**tenant_a.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(("depth", "status"), [(100, 422), (5000, 400)])
async def test_create_message_with_absurdly_deep_json_is_a_client_error(
    client: httpx.AsyncClient, tenant_a: TenantUser, depth: int, status: int
) -> None:
    thread_id = await create_thread(client, tenant_a)
    deep = "[" * depth + "]" * depth
    raw = '{"role": "user", "content": "x", "context": {"a": ' + deep + "}}"

    response = await client.post(
        f"/v1/threads/{thread_id}/messages",
        content=raw.encode(),
        headers={**tenant_a.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == status
    assert await list_messages(client, tenant_a, thread_id) == []


async def test_create_message_with_nan_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)

    response = await client.post(
        f"/v1/threads/{thread_id}/messages",
        content=b'{"role": "user", "content": "x", "context": {"score": NaN}}',
        headers={**tenant_a.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert "finite" in response.json()["detail"][0]["msg"]
    assert await list_messages(client, tenant_a, thread_id) == []


async def test_create_message_on_unknown_thread_is_404(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.post(
        f"/v1/threads/{uuid.uuid4()}/messages",
        json={"role": "user", "content": "x", "parent_message_id": str(uuid.uuid4())},
        headers=tenant_a.headers,
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Thread not found"}


@pytest.mark.parametrize("parent", ["other-thread", "unknown"])
async def test_create_message_with_parent_outside_the_thread_is_400(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser, parent: str
) -> None:
    thread_id = await create_thread(client, tenant_a)
    other_thread_id = await create_thread(client, tenant_a)
    foreign = await post_message(client, tenant_a, other_thread_id)
    parent_id = foreign["id"] if parent == "other-thread" else str(uuid.uuid4())

    response = await client.post(
        f"/v1/threads/{thread_id}/messages",
        json={"role": "user", "content": "reply", "parent_message_id": parent_id},
        headers=tenant_a.headers,
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"parent_message_id {parent_id} does not belong to this thread"
    }
    thread = await session.get(Thread, uuid.UUID(thread_id))
    assert thread is not None
    assert thread.message_count == 0


async def test_create_message_moves_thread_activity_times(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)
    path = f"/v1/threads/{thread_id}"
    created = (await client.get(path, headers=tenant_a.headers)).json()

    user_msg = await post_message(client, tenant_a, thread_id, role="user")
    after_user = (await client.get(path, headers=tenant_a.headers)).json()
    agent_msg = await post_message(client, tenant_a, thread_id, role="assistant")
    after_agent = (await client.get(path, headers=tenant_a.headers)).json()

    assert after_user["updated_at"] == user_msg["created_on"]
    assert parse_time(after_user["updated_at"]) > parse_time(created["updated_at"])
    assert after_user["last_agent_message_at"] is None
    assert after_agent["updated_at"] == agent_msg["created_on"]
    assert after_agent["last_agent_message_at"] == agent_msg["created_on"]
    thread = await session.get(Thread, uuid.UUID(thread_id))
    assert thread is not None
    assert thread.message_count == 2


# --- list and pagination ----------------------------------------------------------------------


async def test_list_messages_is_a_bare_array_oldest_first(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)
    for text in ["one", "two", "three"]:
        await post_message(client, tenant_a, thread_id, content=text)

    response = await client.get(f"/api/v1/threads/{thread_id}/messages", headers=tenant_a.headers)

    assert response.status_code == 200
    assert texts(response.json()) == ["one", "two", "three"]
    seqs = (
        await session.execute(
            select(Message.seq)
            .where(Message.thread_id == uuid.UUID(thread_id))
            .order_by(Message.created_at)
        )
    ).scalars()
    assert list(seqs) == [1, 2, 3]


async def test_list_messages_renders_times_as_get_does(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    # The list is rendered by PostgreSQL, a single message by pydantic: times must agree,
    # including whole seconds (pydantic then omits the fraction).
    thread_id = await create_thread(client, tenant_a)
    created = await post_message(client, tenant_a, thread_id, content="on the second")
    # The JSON stored at append time renders as GET does (the stored path)...
    stored = await list_messages(client, tenant_a, thread_id)
    first = await client.get(
        f"/v1/threads/{thread_id}/messages/{created['id']}", headers=tenant_a.headers
    )
    assert stored == [first.json()]
    assert stored == [created]
    # ... and so does the JSON built when a row has none (times set here, `rendered` cleared).
    whole = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    fraction = datetime(2030, 1, 2, 3, 4, 5, 120, tzinfo=UTC)
    await session.execute(
        update(Message)
        .where(Message.id == uuid.UUID(created["id"]))
        .values(created_at=whole, updated_at=fraction, rendered=None)
    )
    await session.commit()

    fetched = await client.get(
        f"/v1/threads/{thread_id}/messages/{created['id']}", headers=tenant_a.headers
    )
    listed = await list_messages(client, tenant_a, thread_id)

    assert fetched.json()["created_on"] == "2030-01-02T03:04:05Z"
    assert fetched.json()["updated_at"] == "2030-01-02T03:04:05.000120Z"
    assert listed == [fetched.json()]


async def test_list_messages_of_an_empty_thread_is_empty(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)

    assert await list_messages(client, tenant_a, thread_id) == []


async def test_list_messages_pages_with_limit_after_and_before(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)
    ids = [
        (await post_message(client, tenant_a, thread_id, content=f"m{i}"))["id"]
        for i in range(1, 8)
    ]

    async def page(**params: Any) -> list[str]:
        return texts(await list_messages(client, tenant_a, thread_id, **params))

    assert await page(limit=3) == ["m1", "m2", "m3"]
    assert await page(limit=3, after=ids[2]) == ["m4", "m5", "m6"]
    assert await page(after=ids[5]) == ["m7"]
    assert await page(after=ids[6]) == []
    assert await page(limit=2, before=ids[5]) == ["m4", "m5"]
    assert await page(before=ids[1]) == ["m1"]
    assert await page(before=ids[0]) == []
    assert await page(after=ids[1], before=ids[5]) == ["m3", "m4", "m5"]
    assert await page(after=ids[1], before=ids[5], limit=2) == ["m4", "m5"]
    assert await page(limit=1000) == [f"m{i}" for i in range(1, 8)]
    assert await page(limit=3, latest="true") == ["m5", "m6", "m7"]
    assert await page(limit=2, latest="true", before=ids[3]) == ["m2", "m3"]


async def test_list_messages_without_limit_returns_the_whole_thread(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    # IBM's ThreadsClient polls with no parameters and reads the newest message at the end.
    thread_id = await create_thread(client, tenant_a)
    for i in range(150):
        await post_message(client, tenant_a, thread_id, content=f"m{i}")

    everything = texts(await list_messages(client, tenant_a, thread_id))
    assert everything == [f"m{i}" for i in range(150)]


async def test_list_messages_walks_forward_page_by_page_without_gaps(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)
    for i in range(10):
        await post_message(client, tenant_a, thread_id, content=f"m{i}")

    seen: list[str] = []
    cursor: dict[str, Any] = {}
    while batch := await list_messages(client, tenant_a, thread_id, limit=4, **cursor):
        seen += texts(batch)
        cursor = {"after": batch[-1]["id"]}

    assert seen == [f"m{i}" for i in range(10)]


@pytest.mark.parametrize("cursor", ["after", "before"])
async def test_list_messages_with_a_cursor_outside_the_thread_is_400(
    client: httpx.AsyncClient, tenant_a: TenantUser, cursor: str
) -> None:
    thread_id = await create_thread(client, tenant_a)
    other = await post_message(client, tenant_a, await create_thread(client, tenant_a))

    for cursor_id in (other["id"], str(uuid.uuid4())):
        response = await client.get(
            f"/v1/threads/{thread_id}/messages",
            params={cursor: cursor_id},
            headers=tenant_a.headers,
        )
        assert response.status_code == 400
        assert response.json() == {
            "detail": f"'{cursor}' names no message of this thread: {cursor_id}"
        }


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"after": "x"}, {"before": "1"}])
async def test_list_messages_rejects_bad_query_with_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, params: dict[str, Any]
) -> None:
    thread_id = await create_thread(client, tenant_a)

    response = await client.get(
        f"/v1/threads/{thread_id}/messages", params=params, headers=tenant_a.headers
    )

    assert response.status_code == 422


async def test_list_messages_of_unknown_thread_is_404(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.get(f"/v1/threads/{uuid.uuid4()}/messages", headers=tenant_a.headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "Thread not found"}


# --- get --------------------------------------------------------------------------------------


async def test_get_message_returns_it(client: httpx.AsyncClient, tenant_a: TenantUser) -> None:
    thread_id = await create_thread(client, tenant_a)
    created = await post_message(client, tenant_a, thread_id, content=RICH_CONTENT)

    response = await client.get(
        f"/api/v1/threads/{thread_id}/messages/{created['id']}", headers=tenant_a.headers
    )

    assert response.status_code == 200
    assert response.json() == created


async def test_get_message_through_another_thread_is_404(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)
    other_thread_id = await create_thread(client, tenant_a)
    message = await post_message(client, tenant_a, other_thread_id)

    for message_id in (message["id"], str(uuid.uuid4())):
        response = await client.get(
            f"/v1/threads/{thread_id}/messages/{message_id}", headers=tenant_a.headers
        )
        assert response.status_code == 404
        assert response.json() == {"detail": "Message not found"}


async def test_get_message_with_malformed_id_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)

    response = await client.get(f"/v1/threads/{thread_id}/messages/12345", headers=tenant_a.headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "message_id"]


# --- patch ------------------------------------------------------------------------------------


async def test_patch_message_changes_only_the_given_fields(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)
    created = await post_message(
        client,
        tenant_a,
        thread_id,
        content="draft",
        mentions=[{"type": "user", "id": str(uuid.uuid4()), "name": "Ann"}],
        context={"values": [1]},
    )
    path = f"/v1/threads/{thread_id}/messages/{created['id']}"

    response = await client.patch(
        path,
        json={"content": "final", "message_state": {"done": True}},
        headers=tenant_a.headers,
    )

    assert response.status_code == 200
    body = response.json()
    assert body["content"] == [{"response_type": "text", "text": "final"}]
    assert body["message_state"] == {"done": True}
    unchanged = MESSAGE_KEYS - {"content", "message_state", "updated_at"}
    assert {k: body[k] for k in unchanged} == {k: created[k] for k in unchanged}
    assert parse_time(body["updated_at"]) > parse_time(created["updated_at"])
    assert (await client.get(path, headers=tenant_a.headers)).json() == body
    assert await list_messages(client, tenant_a, thread_id) == [body]  # not the stored draft
    row = await session.get(Message, uuid.UUID(created["id"]))
    assert row is not None
    assert row.content == [{"response_type": "text", "text": "final"}]


async def test_patch_message_sets_and_clears_every_patchable_field(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)
    parent = await post_message(client, tenant_a, thread_id)
    created = await post_message(client, tenant_a, thread_id)
    path = f"/v1/threads/{thread_id}/messages/{created['id']}"
    assistant_id, doc_id = str(uuid.uuid4()), str(uuid.uuid4())
    changes: dict[str, Any] = {
        "role": "assistant",
        "content": RICH_CONTENT,
        "mentions": [{"type": "agent", "id": str(uuid.uuid4()), "name": "x"}],
        "document_ids": [doc_id],
        "parent_message_id": parent["id"],
        "additional_properties": {"tool_name": "t"},
        "assistant_id": assistant_id,
        "message_state": {"s": 1},
        "context": {"values": ["v"]},
        "step_history": [{"role": "assistant", "step_details": []}],
    }

    set_body = (await client.patch(path, json=changes, headers=tenant_a.headers)).json()
    cleared = await client.patch(
        path, json=dict.fromkeys(changes.keys() - {"role", "content"}), headers=tenant_a.headers
    )

    for key in changes.keys() - {"assistant_id"}:
        assert set_body[key] == changes[key], key
    assert set_body["assistant"]["assistant_id"] == assistant_id
    assert cleared.status_code == 200
    body = cleared.json()
    assert (body["mentions"], body["document_ids"], body["step_history"]) == ([], [], [])
    assert body["additional_properties"] == {}
    assert (body["parent_message_id"], body["assistant"]) == (None, None)
    assert (body["message_state"], body["context"]) == (None, None)
    assert (body["role"], body["content"]) == ("assistant", RICH_CONTENT)


@pytest.mark.parametrize(
    "payload",
    [
        {"role": "robot"},
        {"role": None},
        {"content": None},
        {"content": [{"no": "type"}]},
        {"document_ids": ["x"]},
        {"parent_message_id": 3},
    ],
)
async def test_patch_message_rejects_bad_values_with_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, payload: dict[str, Any]
) -> None:
    thread_id = await create_thread(client, tenant_a)
    created = await post_message(client, tenant_a, thread_id)
    path = f"/v1/threads/{thread_id}/messages/{created['id']}"

    response = await client.patch(path, json=payload, headers=tenant_a.headers)

    assert response.status_code == 422
    assert (await client.get(path, headers=tenant_a.headers)).json() == created


async def test_patch_message_with_a_parent_outside_the_thread_or_itself_is_400(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)
    created = await post_message(client, tenant_a, thread_id)
    foreign = await post_message(client, tenant_a, await create_thread(client, tenant_a))
    path = f"/v1/threads/{thread_id}/messages/{created['id']}"

    outside = await client.patch(
        path, json={"parent_message_id": foreign["id"]}, headers=tenant_a.headers
    )
    itself = await client.patch(
        path, json={"parent_message_id": created["id"]}, headers=tenant_a.headers
    )

    assert outside.status_code == 400
    assert outside.json() == {
        "detail": f"parent_message_id {foreign['id']} does not belong to this thread"
    }
    assert itself.status_code == 400
    assert itself.json() == {"detail": "A message cannot be its own parent"}


async def test_patch_unknown_message_is_404(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)

    response = await client.patch(
        f"/v1/threads/{thread_id}/messages/{uuid.uuid4()}",
        json={"content": "x"},
        headers=tenant_a.headers,
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Message not found"}


# --- delete -----------------------------------------------------------------------------------


async def test_delete_message_removes_it_for_good(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)
    first = await post_message(client, tenant_a, thread_id, content="first")
    doomed = await post_message(client, tenant_a, thread_id, content="doomed")
    reply = await post_message(
        client, tenant_a, thread_id, content="reply", parent_message_id=doomed["id"]
    )
    path = f"/v1/threads/{thread_id}/messages/{doomed['id']}"

    response = await client.delete(path, headers=tenant_a.headers)

    assert response.status_code == 200
    assert response.json() == {"id": doomed["id"], "deleted": True}
    assert await session.get(Message, uuid.UUID(doomed["id"])) is None
    assert (await client.get(path, headers=tenant_a.headers)).status_code == 404
    again = await client.delete(path, headers=tenant_a.headers)
    assert again.status_code == 404
    assert again.json() == {"detail": "Message not found"}
    remaining = await list_messages(client, tenant_a, thread_id)
    assert [m["id"] for m in remaining] == [first["id"], reply["id"]]
    assert remaining[1]["parent_message_id"] == doomed["id"]
    latest = await post_message(client, tenant_a, thread_id, content="latest")
    row = await session.get(Message, uuid.UUID(latest["id"]))
    assert row is not None
    assert row.seq == 4  # seqs are never reused


# --- logs -------------------------------------------------------------------------------------


async def test_get_message_logs_is_404_without_captured_logs(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    thread_id = await create_thread(client, tenant_a)
    message = await post_message(client, tenant_a, thread_id)

    response = await client.get(
        f"/v1/threads/{thread_id}/messages/{message['id']}/logs", headers=tenant_a.headers
    )
    unknown = await client.get(
        f"/v1/threads/{thread_id}/messages/{uuid.uuid4()}/logs", headers=tenant_a.headers
    )

    assert response.status_code == 404
    assert response.json() == {"detail": f"No captured logs for message {message['id']}"}
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Message not found"}
