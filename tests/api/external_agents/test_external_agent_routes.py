"""External chat agent routes: contract, secrets at rest and on read, tenancy, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import TenantUser
from wxo.core.config import Settings
from wxo.external_agents.fields import unseal

TOKEN = "sk-agent-secret-123"
BASE = "/v1/agents/external-chat"


async def register(client: httpx.AsyncClient, tenant: TenantUser, **body: Any) -> dict[str, Any]:
    """Register an agent; assert 201."""
    payload = {
        "api_url": "https://agents.example.com/v1/chat/completions",
        "name": f"agent_{uuid.uuid4().hex[:6]}",
        "description": "Answers questions about invoices",
        "auth_scheme": "BEARER_TOKEN",
        "auth_config": {"token": TOKEN},
        **body,
    }
    response = await client.post(BASE, json=payload, headers=tenant.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def stored(session: AsyncSession, agent_id: str) -> dict[str, Any]:
    """The agent's row as the database holds it."""
    row = (
        (
            await session.execute(
                text("SELECT * FROM external_chat_agent WHERE id = :id"),
                {"id": uuid.UUID(agent_id)},
            )
        )
        .mappings()
        .first()
    )
    assert row is not None
    return dict(row)


async def test_register_returns_the_agent_with_its_secret_masked_and_stores_it_encrypted(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession, settings: Settings
) -> None:
    body = await register(
        client,
        tenant_a,
        name="invoices",
        title="Invoices",
        tags=["finance"],
        chat_params={"stream": True, "temperature": 0.1},
        config={"hidden": False, "enable_cot": True},
        workspace_id="ignored-by-us",
    )
    assert body["type"] == "external_chat"
    assert body["name"] == "invoices"
    assert body["nickname"] == "invoices"
    assert body["provider"] == "external_chat"
    assert body["tenant_id"] == str(tenant_a.tenant_id)
    assert body["tenant_name"] == tenant_a.tenant_name
    assert body["created_by_username"] == tenant_a.username
    assert body["auth_scheme"] == "BEARER_TOKEN"
    assert body["auth_config"] == {"token": "********"}
    assert body["chat_params"] == {"stream": True, "temperature": 0.1}
    assert body["enable_cot"] is True
    assert body["hidden"] is False
    assert body["context_access_enabled"] is True
    assert TOKEN not in str(body)

    row = await stored(session, body["id"])
    assert row["tenant_id"] == tenant_a.tenant_id
    assert TOKEN not in str(row)
    assert set(row["auth_config"]["token"]) == {"__enc__"}
    assert unseal(row["auth_config"], settings.signing_key()) == {"token": TOKEN}

    got = await client.get(f"{BASE}/{body['id']}", headers=tenant_a.headers)
    assert got.status_code == 200
    assert got.json() == body


async def test_only_a_nickname_generates_the_name_and_a_title_alone_gives_both(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    body = await register(client, tenant_a, name=None, nickname="Invoice Helper!")
    assert (body["name"], body["nickname"]) == ("invoice_helper", "Invoice Helper!")
    body = await register(client, tenant_a, name=None, title="Travel Desk")
    assert (body["name"], body["nickname"]) == ("travel_desk", "Travel Desk")
    response = await client.post(
        BASE, json={"api_url": "https://a.example.com/chat"}, headers=tenant_a.headers
    )
    assert response.status_code == 400
    assert "name" in response.json()["detail"]


async def test_bad_bodies_are_422_and_refused_urls_400(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    missing = await client.post(BASE, json={"name": "x"}, headers=tenant_a.headers)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "api_url"]
    scheme = await client.post(
        BASE,
        json={"api_url": "https://a.example.com/c", "name": "y", "auth_scheme": "OAUTH"},
        headers=tenant_a.headers,
    )
    assert scheme.status_code == 422
    for url in ("ftp://a.example.com/c", "http://10.1.2.3/chat", "http://127.0.0.1:9/c"):
        response = await client.post(
            BASE, json={"api_url": url, "name": "z"}, headers=tenant_a.headers
        )
        assert response.status_code == 400, url
        assert response.json()["detail"]
    count = await session.scalar(
        text("SELECT count(*) FROM external_chat_agent WHERE tenant_id = :t"),
        {"t": tenant_a.tenant_id},
    )
    assert count == 0


async def test_a_taken_name_is_409(client: httpx.AsyncClient, tenant_a: TenantUser) -> None:
    await register(client, tenant_a, name="dup")
    response = await client.post(
        BASE, json={"api_url": "https://b.example.com/c", "name": "dup"}, headers=tenant_a.headers
    )
    assert response.status_code == 409
    assert "dup" in response.json()["detail"]


async def test_list_is_a_bare_array_hiding_hidden_agents_and_filtering_by_ids_and_names(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    one = await register(client, tenant_a, name="one")
    two = await register(client, tenant_a, name="two")
    hidden = await register(client, tenant_a, name="hid", config={"hidden": True})
    await register(client, tenant_b, name="one")

    listed = await client.get(BASE, headers=tenant_a.headers)
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()] == [one["id"], two["id"]]
    everything = await client.get(BASE, params={"include_hidden": "true"}, headers=tenant_a.headers)
    assert [a["id"] for a in everything.json()] == [one["id"], two["id"], hidden["id"]]
    by_name = await client.get(
        BASE,
        params=[("names", "two"), ("names", "hid"), ("include_hidden", "true")],
        headers=tenant_a.headers,
    )
    assert [a["name"] for a in by_name.json()] == ["two", "hid"]
    by_id = await client.get(BASE, params={"ids": one["id"]}, headers=tenant_a.headers)
    assert [a["id"] for a in by_id.json()] == [one["id"]]
    assert all(a["auth_config"] == {"token": "********"} for a in everything.json())
    bad = await client.get(BASE, params={"ids": "not-a-uuid"}, headers=tenant_a.headers)
    assert bad.status_code == 422


async def test_another_tenants_agent_is_404_for_every_verb_and_untouched(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser, session: AsyncSession
) -> None:
    agent = await register(client, tenant_a, name="mine")
    url = f"{BASE}/{agent['id']}"
    assert (await client.get(url, headers=tenant_b.headers)).status_code == 404
    patched = await client.patch(url, json={"title": "stolen"}, headers=tenant_b.headers)
    assert patched.status_code == 404
    assert patched.json() == {"detail": "Assistant not found"}
    assert (await client.delete(url, headers=tenant_b.headers)).status_code == 404
    row = await stored(session, agent["id"])
    assert row["title"] is None
    assert (await client.get(url)).status_code == 401
    assert (await client.get(f"{BASE}/{uuid.uuid4()}", headers=tenant_a.headers)).status_code == 404


async def test_patch_changes_what_is_sent_and_a_masked_secret_keeps_the_stored_one(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession, settings: Settings
) -> None:
    agent = await register(client, tenant_a, name="patchme", title="Old")
    url = f"{BASE}/{agent['id']}"
    response = await client.patch(
        url,
        json={"title": "New", "auth_config": {"token": "********"}, "config": {"hidden": True}},
        headers=tenant_a.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["hidden"], body["description"]) == (
        "New",
        True,
        agent["description"],
    )
    row = await stored(session, agent["id"])
    assert unseal(row["auth_config"], settings.signing_key()) == {"token": TOKEN}
    assert row["hidden"] is True

    response = await client.patch(
        url,
        json={"auth_scheme": "API_KEY", "auth_config": {"api_key": "k-2", "header_name": "X-K"}},
        headers=tenant_a.headers,
    )
    assert response.status_code == 200
    assert response.json()["auth_config"] == {"api_key": "********", "header_name": "X-K"}
    row = await stored(session, agent["id"])
    assert unseal(row["auth_config"], settings.signing_key()) == {
        "api_key": "k-2",
        "header_name": "X-K",
    }
    refused = await client.patch(
        url, json={"api_url": "http://192.168.1.1/c"}, headers=tenant_a.headers
    )
    assert refused.status_code == 400
    assert (await stored(session, agent["id"]))["api_url"] == agent["api_url"]
    other = await register(client, tenant_a, name="other")
    clash = await client.patch(
        f"{BASE}/{other['id']}", json={"name": "patchme"}, headers=tenant_a.headers
    )
    assert clash.status_code == 409


async def test_delete_removes_the_row(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    agent = await register(client, tenant_a, name="bye")
    response = await client.delete(f"{BASE}/{agent['id']}", headers=tenant_a.headers)
    assert response.status_code == 204
    assert response.content == b""
    count = await session.scalar(
        text("SELECT count(*) FROM external_chat_agent WHERE id = :id"),
        {"id": uuid.UUID(agent["id"])},
    )
    assert count == 0
    again = await client.get(f"{BASE}/{agent['id']}", headers=tenant_a.headers)
    assert again.status_code == 404


async def test_the_api_prefix_serves_the_same_routes(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    agent = await register(client, tenant_a, name="prefixed")
    response = await client.get(f"/api{BASE}/{agent['id']}", headers=tenant_a.headers)
    assert response.status_code == 200
    assert response.json()["name"] == "prefixed"
