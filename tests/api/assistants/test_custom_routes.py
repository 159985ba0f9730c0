"""Custom assistant routes: fields, `select`, llm_name checked by the Model Proxy, tenancy."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.assistants.conftest import chat_model, create_custom
from tests.conftest import TenantUser

BASE = "/v1/assistants/custom"
FIELDS = {
    "type", "id", "tenant_id", "tenant_name", "title", "description", "created_on",
    "updated_at", "created_by", "created_by_username", "tags", "name", "nickname",
    "instructions", "user_start_messages", "llm_name", "llm_id", "context_access_enabled",
    "context_variables",
}  # fmt: skip


async def test_create_returns_every_documented_field_and_stores_the_row(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    model = await chat_model(client, tenant_a)
    llm_id = str(uuid.uuid4())
    body = await create_custom(
        client,
        tenant_a,
        name="helper",
        title="Helper",
        description="Helps",
        tags=["t1"],
        user_start_messages=["Hi", "What can you do?"],
        llm_name=model,
        llm_id=llm_id,
        context_access_enabled=False,
        context_variables=["user_name"],
    )
    assert set(body) >= FIELDS
    assert body["type"] == "custom"
    assert (body["name"], body["nickname"], body["title"]) == ("helper", "helper", "Helper")
    assert body["llm_name"] == model
    assert body["llm_id"] == llm_id
    assert body["user_start_messages"] == ["Hi", "What can you do?"]
    assert body["context_access_enabled"] is False
    assert body["context_variables"] == ["user_name"]
    assert body["tenant_name"] == tenant_a.tenant_name
    assert body["created_by"] == str(tenant_a.user_id)
    assert body["created_by_username"] == tenant_a.username
    assert body["collection_id"] is None
    row = (
        await session.execute(
            text(
                "SELECT tenant_id, name, instructions, llm_name FROM custom_assistant WHERE id = :i"
            ),
            {"i": uuid.UUID(body["id"])},
        )
    ).one()
    assert tuple(row) == (tenant_a.tenant_id, "helper", "Be brief.", model)
    got = await client.get(f"{BASE}/{body['id']}", headers=tenant_a.headers)
    assert got.status_code == 200
    assert got.json() == body


async def test_an_llm_name_the_model_proxy_does_not_know_is_400_and_nothing_is_stored(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser, session: AsyncSession
) -> None:
    other_tenants = await chat_model(client, tenant_b)
    for name in ("virtual-model/none/such", other_tenants):
        response = await client.post(
            BASE, json={"name": "x", "llm_name": name}, headers=tenant_a.headers
        )
        assert response.status_code == 400, name
        assert name in response.json()["detail"]
    count = await session.scalar(
        text("SELECT count(*) FROM custom_assistant WHERE tenant_id = :t"),
        {"t": tenant_a.tenant_id},
    )
    assert count == 0
    without = await create_custom(client, tenant_a, name="default-model")
    assert without["llm_name"] is None


async def test_bad_bodies(client: httpx.AsyncClient, tenant_a: TenantUser) -> None:
    wrong_type = await client.post(
        BASE, json={"name": "x", "tags": "not-a-list"}, headers=tenant_a.headers
    )
    assert wrong_type.status_code == 422
    assert wrong_type.json()["detail"][0]["loc"] == ["body", "tags"]
    nameless = await client.post(BASE, json={"instructions": "hi"}, headers=tenant_a.headers)
    assert nameless.status_code == 400
    await create_custom(client, tenant_a, name="same")
    taken = await client.post(BASE, json={"name": "same"}, headers=tenant_a.headers)
    assert taken.status_code == 409
    generated = await create_custom(client, tenant_a, name=None, nickname="My Buddy")
    assert (generated["name"], generated["nickname"]) == ("my_buddy", "My Buddy")


async def test_list_is_a_bare_array_and_select_picks_fields(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    first = await create_custom(client, tenant_a, name="first")
    second = await create_custom(client, tenant_a, name="second")
    await create_custom(client, tenant_b, name="theirs")
    listed = await client.get(BASE, headers=tenant_a.headers)
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()] == [first["id"], second["id"]]
    assert listed.json()[0] == first
    picked = await client.get(BASE, params={"select": "name, llm_name"}, headers=tenant_a.headers)
    assert picked.json() == [
        {"type": "custom", "name": "first", "llm_name": None},
        {"type": "custom", "name": "second", "llm_name": None},
    ]
    star = await client.get(BASE, params={"select": "*"}, headers=tenant_a.headers)
    assert star.json() == listed.json()
    one = await client.get(
        f"{BASE}/{first['id']}", params={"select": "id"}, headers=tenant_a.headers
    )
    assert one.json() == {"type": "custom", "id": first["id"]}
    unknown = await client.get(BASE, params={"select": "name,secret"}, headers=tenant_a.headers)
    assert unknown.status_code == 400
    assert "secret" in unknown.json()["detail"]


async def test_patch_changes_sent_fields_and_checks_the_new_llm(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    assistant = await create_custom(client, tenant_a, name="p", title="T", description="D")
    url = f"{BASE}/{assistant['id']}"
    bad = await client.patch(url, json={"llm_name": "virtual-model/x/y"}, headers=tenant_a.headers)
    assert bad.status_code == 400
    model = await chat_model(client, tenant_a)
    response = await client.patch(
        url,
        json={"llm_name": model, "description": None, "tags": ["a"], "workspace_id": "w"},
        headers=tenant_a.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["llm_name"], body["description"], body["title"], body["tags"]) == (
        model,
        None,
        "T",
        ["a"],
    )
    assert body["updated_at"] >= assistant["updated_at"]
    row = (
        await session.execute(
            text("SELECT llm_name, description FROM custom_assistant WHERE id = :i"),
            {"i": uuid.UUID(assistant["id"])},
        )
    ).one()
    assert tuple(row) == (model, None)


async def test_other_tenants_assistant_is_404_and_delete_removes_the_row(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser, session: AsyncSession
) -> None:
    assistant = await create_custom(client, tenant_a, name="mine")
    url = f"{BASE}/{assistant['id']}"
    for method in ("GET", "PATCH", "DELETE"):
        body = {"title": "x"} if method == "PATCH" else None
        response = await client.request(method, url, headers=tenant_b.headers, json=body)
        assert response.status_code == 404, method
    files = await client.get(f"{url}/files", headers=tenant_b.headers)
    assert files.status_code == 404
    untouched = await client.get(url, headers=tenant_a.headers)
    assert untouched.json()["title"] is None
    assert (await client.get(url)).status_code == 401
    deleted = await client.delete(url, headers=tenant_a.headers)
    assert deleted.status_code == 204
    count = await session.scalar(
        text("SELECT count(*) FROM custom_assistant WHERE id = :i"),
        {"i": uuid.UUID(assistant["id"])},
    )
    assert count == 0
    assert (await client.get(url, headers=tenant_a.headers)).status_code == 404
