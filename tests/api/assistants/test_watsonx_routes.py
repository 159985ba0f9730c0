"""watsonx Assistant instance routes: config, name rule, secrets at rest and on read, tenancy."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import TenantUser
from wxo.core.config import Settings
from wxo.external_agents.fields import unseal

BASE = "/v1/assistants/watsonx"
API_KEY = "wa-api-key-secret-42"
BEARER = "wa-bearer-secret-7"


def config(**over: Any) -> dict[str, Any]:
    """A WatsonAssistantConfigRequest."""
    return {
        "assistant_id": "asst-1",
        "environment_id": "env-1",
        "service_instance_url": "https://api.us-south.assistant.watson.cloud.ibm.com/instances/i1",
        "api_key": API_KEY,
        "auth_type": "BEARER_TOKEN",
        "auth_config": {"token": BEARER},
        **over,
    }


async def register(client: httpx.AsyncClient, tenant: TenantUser, **body: Any) -> dict[str, Any]:
    """Register an instance; assert 201."""
    payload = {"description": "HR questions", "config": config(), **body}
    response = await client.post(BASE, json=payload, headers=tenant.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def stored_config(session: AsyncSession, assistant_id: str) -> dict[str, Any]:
    """The `config` column as the database holds it."""
    value = await session.scalar(
        text("SELECT config FROM watsonx_assistant WHERE id = :i"), {"i": uuid.UUID(assistant_id)}
    )
    assert isinstance(value, dict)
    return value


async def test_register_masks_and_encrypts_the_secrets(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession, settings: Settings
) -> None:
    body = await register(client, tenant_a, name="hr", title="HR", tags=["people"])
    assert body["type"] == "watsonx"
    assert (body["name"], body["nickname"], body["title"]) == ("hr", "hr", "HR")
    assert body["api_key"] == "********"
    assert body["auth_config"] == {"token": "********"}
    assert body["assistant_id"] == "asst-1"
    assert body["environment_id"] == "env-1"
    assert body["api_version"] == "2023-06-15"
    assert body["auth_type"] == "BEARER_TOKEN"
    assert (body["search_stickiness"], body["shareable_context"], body["hidden"]) == (
        False,
        True,
        False,
    )
    assert API_KEY not in str(body)
    assert BEARER not in str(body)
    stored = await stored_config(session, body["id"])
    assert API_KEY not in str(stored)
    assert BEARER not in str(stored)
    assert set(stored["api_key"]) == {"__enc__"}
    assert unseal(stored["auth_config"], settings.signing_key()) == {"token": BEARER}
    got = await client.get(f"{BASE}/{body['id']}", headers=tenant_a.headers)
    assert got.json() == body


async def test_one_of_name_and_nickname_generates_the_other(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    only_name = await register(client, tenant_a, name="payroll_bot")
    assert only_name["nickname"] == "payroll_bot"
    only_nick = await register(client, tenant_a, nickname="Payroll Helper")
    assert (only_nick["name"], only_nick["nickname"]) == ("payroll_helper", "Payroll Helper")
    both = await register(client, tenant_a, name="n", nickname="Nick")
    assert (both["name"], both["nickname"]) == ("n", "Nick")


async def test_bad_registrations(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    no_config = await client.post(BASE, json={"description": "d"}, headers=tenant_a.headers)
    assert no_config.status_code == 422
    assert no_config.json()["detail"][0]["loc"] == ["body", "config"]
    bad_auth = await client.post(
        BASE,
        json={"description": "d", "name": "a", "config": config(auth_type="SECRET_HANDSHAKE")},
        headers=tenant_a.headers,
    )
    assert bad_auth.status_code == 422
    for broken in (
        config(service_instance_url=None),
        config(assistant_id=None, environment_id=None),
        config(service_instance_url="http://169.254.169.254/latest"),
        config(authorization_url="http://127.0.0.1:1/token"),
        config(service_instance_url="file:///etc/passwd"),
    ):
        response = await client.post(
            BASE, json={"description": "d", "name": "b", "config": broken}, headers=tenant_a.headers
        )
        assert response.status_code == 400, broken
    nameless = await client.post(
        BASE, json={"description": "d", "config": config()}, headers=tenant_a.headers
    )
    assert nameless.status_code == 400
    count = await session.scalar(
        text("SELECT count(*) FROM watsonx_assistant WHERE tenant_id = :t"),
        {"t": tenant_a.tenant_id},
    )
    assert count == 0
    await register(client, tenant_a, name="taken")
    again = await client.post(
        BASE,
        json={"description": "d", "name": "taken", "config": config()},
        headers=tenant_a.headers,
    )
    assert again.status_code == 409


async def test_list_filters_hidden_ids_and_names(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    one = await register(client, tenant_a, name="one")
    hidden = await register(client, tenant_a, name="hidden", config=config(hidden=True))
    await register(client, tenant_b, name="one")
    visible = await client.get(BASE, headers=tenant_a.headers)
    assert [a["id"] for a in visible.json()] == [one["id"]]
    every = await client.get(BASE, params={"include_hidden": "true"}, headers=tenant_a.headers)
    assert [a["id"] for a in every.json()] == [one["id"], hidden["id"]]
    assert every.json()[1]["hidden"] is True
    named = await client.get(
        BASE, params={"names": "hidden", "include_hidden": "true"}, headers=tenant_a.headers
    )
    assert [a["id"] for a in named.json()] == [hidden["id"]]
    by_ids = await client.get(
        BASE,
        params=[("ids", one["id"]), ("ids", hidden["id"]), ("include_hidden", "true")],
        headers=tenant_a.headers,
    )
    assert len(by_ids.json()) == 2


async def test_patch_merges_config_and_keeps_masked_secrets(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession, settings: Settings
) -> None:
    body = await register(client, tenant_a, name="merge")
    url = f"{BASE}/{body['id']}"
    response = await client.patch(
        url,
        json={
            "title": "Merged",
            "config": {"api_key": "********", "environment_id": "env-2", "auth_type": "API_KEY"},
        },
        headers=tenant_a.headers,
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["title"], patched["environment_id"], patched["assistant_id"]) == (
        "Merged",
        "env-2",
        "asst-1",
    )
    assert patched["auth_type"] == "API_KEY"
    assert patched["api_key"] == "********"
    assert patched["auth_config"] == {"token": "********"}
    stored = await stored_config(session, body["id"])
    key = settings.signing_key()
    assert unseal({"api_key": stored["api_key"]}, key) == {"api_key": API_KEY}
    assert unseal(stored["auth_config"], key) == {"token": BEARER}

    replaced = await client.patch(
        url, json={"config": {"api_key": "new-key"}, "hidden": True}, headers=tenant_a.headers
    )
    assert replaced.json()["hidden"] is True
    stored = await stored_config(session, body["id"])
    assert unseal({"api_key": stored["api_key"]}, key) == {"api_key": "new-key"}
    refused = await client.patch(
        url, json={"config": {"service_instance_url": "http://10.0.0.5/"}}, headers=tenant_a.headers
    )
    assert refused.status_code == 400
    assert (await stored_config(session, body["id"]))["service_instance_url"].startswith("https://")


async def test_other_tenant_gets_404_and_delete_removes_the_row(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser, session: AsyncSession
) -> None:
    body = await register(client, tenant_a, name="private")
    url = f"{BASE}/{body['id']}"
    assert (await client.get(url, headers=tenant_b.headers)).status_code == 404
    assert (
        await client.patch(url, json={"title": "x"}, headers=tenant_b.headers)
    ).status_code == 404
    assert (await client.delete(url, headers=tenant_b.headers)).status_code == 404
    assert (await client.get(url, headers=tenant_a.headers)).json()["title"] is None
    assert (await client.delete(url, headers=tenant_a.headers)).status_code == 204
    count = await session.scalar(
        text("SELECT count(*) FROM watsonx_assistant WHERE id = :i"), {"i": uuid.UUID(body["id"])}
    )
    assert count == 0
