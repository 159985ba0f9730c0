"""Contract of `/v1/model_policy`: bodies, errors, tenancy, side effects in the database."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import TenantUser
from wxo.llm.models import ModelPolicy

EXTRACTIVE = "local/extractive"
READ_KEYS = {
    "id",
    "name",
    "display_name",
    "description",
    "policy",
    "created_by",
    "created_at",
    "updated_at",
}


def body(name: str = "virtual-policy/p", **policy: Any) -> dict[str, Any]:
    return {
        "name": name,
        "policy": {
            "strategy": {"mode": "fallback"},
            "targets": [{"model_name": EXTRACTIVE}],
            **policy,
        },
    }


async def create(client: httpx.AsyncClient, tenant: TenantUser, data: dict[str, Any]) -> str:
    response = await client.post("/v1/model_policy", json=data, headers=tenant.headers)
    assert response.status_code == 201, response.text
    policy_id: str = response.json()["id"]
    return policy_id


@pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
async def test_create_returns_201_and_stores_the_policy(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantUser,
    prefix: str,
) -> None:
    data = body(retry={"attempts": 2, "on_status_codes": [503]}, cache={"mode": "simple"})

    response = await client.post(f"{prefix}/model_policy", json=data, headers=tenant_a.headers)

    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == READ_KEYS
    assert created["name"] == "virtual-policy/p"
    assert created["display_name"] == "virtual-policy/p"  # IBM's client needs a string
    assert created["description"] == ""
    assert created["policy"] == {
        "strategy": {"mode": "fallback"},
        "retry": {"attempts": 2, "on_status_codes": [503]},
        "targets": [{"model_name": EXTRACTIVE}],
        "cache": {"mode": "simple"},
    }
    row = await session.scalar(
        select(ModelPolicy).where(ModelPolicy.id == uuid.UUID(created["id"]))
    )
    assert row is not None
    assert row.tenant_id == tenant_a.tenant_id


async def test_duplicate_name_is_409(client: httpx.AsyncClient, tenant_a: TenantUser) -> None:
    await create(client, tenant_a, body())

    response = await client.post("/v1/model_policy", json=body(), headers=tenant_a.headers)

    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        ({"targets": [{"model_name": "virtual-model/openai/nope"}]}, "not a model of this tenant"),
        ({"targets": [{"model_name": EXTRACTIVE}, {"model_name": EXTRACTIVE}]}, "at most once"),
        (
            {
                "strategy": {"mode": "single"},
                "targets": [{"model_name": EXTRACTIVE}, {"model_name": "local/all-minilm-l6-v2"}],
            },
            "exactly one target",
        ),
    ],
)
async def test_a_policy_breaking_a_rule_is_400_and_not_stored(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantUser,
    policy: dict[str, Any],
    words: str,
) -> None:
    response = await client.post("/v1/model_policy", json=body(**policy), headers=tenant_a.headers)

    assert response.status_code == 400, response.text
    assert words in response.json()["detail"]
    stored = await session.scalars(
        select(ModelPolicy).where(ModelPolicy.tenant_id == tenant_a.tenant_id)
    )
    assert stored.all() == []


@pytest.mark.parametrize(
    "policy",
    [
        {"strategy": {"mode": "round-robin"}},
        {"targets": []},
        {"targets": [{"model_name": EXTRACTIVE, "weight": 0}]},
        {"retry": {"attempts": -1}},
        {"strategy": {"mode": "fallback", "on_status_codes": [42]}},
        {"targets": [{"strategy": {"mode": "single"}, "targets": []}]},
    ],
)
async def test_malformed_policies_are_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, policy: dict[str, Any]
) -> None:
    response = await client.post("/v1/model_policy", json=body(**policy), headers=tenant_a.headers)

    assert response.status_code == 422, response.text


async def test_list_filters_by_name_and_hides_other_tenants(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    await create(client, tenant_a, body("virtual-policy/a1"))
    await create(client, tenant_a, body("virtual-policy/a2"))
    await create(client, tenant_b, body("virtual-policy/b1"))

    everything = await client.get("/v1/model_policy", headers=tenant_a.headers)
    named = await client.get(
        "/v1/model_policy", params={"name": "virtual-policy/a2"}, headers=tenant_a.headers
    )

    assert [p["name"] for p in everything.json()] == ["virtual-policy/a1", "virtual-policy/a2"]
    assert [p["name"] for p in named.json()] == ["virtual-policy/a2"]


async def test_put_replaces_and_delete_removes(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    policy_id = await create(client, tenant_a, body())
    before = (await client.get(f"/v1/model_policy/{policy_id}", headers=tenant_a.headers)).json()

    replaced = await client.put(
        f"/v1/model_policy/{policy_id}",
        json={**body("virtual-policy/renamed"), "description": "now described"},
        headers=tenant_a.headers,
    )
    deleted = await client.delete(f"/v1/model_policy/{policy_id}", headers=tenant_a.headers)
    gone = await client.get(f"/v1/model_policy/{policy_id}", headers=tenant_a.headers)

    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["name"] == "virtual-policy/renamed"
    assert replaced.json()["description"] == "now described"
    assert replaced.json()["created_at"] == before["created_at"]
    assert replaced.json()["updated_at"] >= before["updated_at"]
    assert deleted.json() == {"id": policy_id, "deleted": True}
    assert gone.status_code == 404
    assert await session.get(ModelPolicy, uuid.UUID(policy_id)) is None


async def test_another_tenants_policy_is_404_everywhere(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    policy_id = await create(client, tenant_a, body())
    path = f"/v1/model_policy/{policy_id}"

    responses = [
        await client.get(path, headers=tenant_b.headers),
        await client.put(path, json=body(), headers=tenant_b.headers),
        await client.delete(path, headers=tenant_b.headers),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert (await client.get(path, headers=tenant_a.headers)).status_code == 200


async def test_a_policy_routes_chat_like_a_model(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    await create(client, tenant_a, body("virtual-policy/answers"))
    question = [
        {"role": "system", "content": "[kb-1]\nRust is a programming language."},
        {"role": "user", "content": "What is Rust?"},
    ]

    response = await client.post(
        "/v1/chat/completions",
        json={"model": "virtual-policy/answers", "messages": question},
        headers=tenant_a.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["model"] == EXTRACTIVE
    assert (
        "Rust is a programming language. [kb-1]"
        in response.json()["choices"][0]["message"]["content"]
    )
