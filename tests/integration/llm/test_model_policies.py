"""Model policies over real HTTP: IBM's client writes them, the proxy routes through them.

Upstreams are scripted fake OpenAI-compatible servers (see `peers.FakeOpenAI`); the built-in
extractive model answers when a policy moves on to it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from ibm_watsonx_orchestrate_clients.model_policies.model_policies_client import (
    ModelPoliciesClient,
)
from ibm_watsonx_orchestrate_core.types.model_policies.types import (
    ModelPolicy,
    ModelPolicyInner,
    ModelPolicyRetry,
    ModelPolicyStrategy,
    ModelPolicyStrategyMode,
    ModelPolicyTarget,
)

from tests.conftest import TenantUser
from tests.integration.llm.peers import AppServer, FakeOpenAI, Reply, completion, register

EXTRACTIVE = "local/extractive"
UNAVAILABLE = Reply(status=503, json={"error": {"message": "overloaded"}})
QUESTION = [
    {"role": "system", "content": "[kb-1]\nThe Eiffel Tower is in Paris. It opened in 1889."},
    {"role": "user", "content": "Where is the Eiffel Tower?"},
]


async def fake_model(http: httpx.AsyncClient, tenant: TenantUser, fake: FakeOpenAI) -> str:
    return await register(
        http, tenant, provider="openai-compatible", base_url=fake.base_url, model="fake"
    )


async def add_policy(
    http: httpx.AsyncClient, tenant: TenantUser, name: str, policy: dict[str, Any]
) -> dict[str, Any]:
    response = await http.post(
        "/v1/model_policy", json={"name": name, "policy": policy}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def ask(http: httpx.AsyncClient, tenant: TenantUser, model: str) -> httpx.Response:
    return await http.post(
        "/v1/chat/completions", json={"model": model, "messages": QUESTION}, headers=tenant.headers
    )


async def test_ibm_client_creates_lists_updates_and_deletes_a_policy(
    served: AppServer, http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    target = await fake_model(http, live_tenant, fake)
    client = ModelPoliciesClient(base_url=served.url, api_key=live_tenant.token, is_local=True)
    policy = ModelPolicy(
        name="virtual-policy/ibm-made",
        display_name="IBM made",
        description="made by IBM's client",
        policy=ModelPolicyInner(
            strategy=ModelPolicyStrategy(mode=ModelPolicyStrategyMode.FALL_BACK),
            retry=ModelPolicyRetry(attempts=1, on_status_codes=[503]),
            targets=[
                ModelPolicyTarget(model_name=target),
                ModelPolicyTarget(model_name=EXTRACTIVE),
            ],
        ),
    )

    await asyncio.to_thread(client.create, policy)
    listed = await asyncio.to_thread(client.get_draft_by_name, "virtual-policy/ibm-made")
    policy_id = (await http.get("/v1/model_policy", headers=live_tenant.headers)).json()[0]["id"]
    policy.description = "changed"
    await asyncio.to_thread(client.update, policy_id, policy)
    changed = await http.get(f"/v1/model_policy/{policy_id}", headers=live_tenant.headers)
    await asyncio.to_thread(client.delete, policy_id)
    after = await asyncio.to_thread(client.list)

    assert [p.name for p in listed] == ["virtual-policy/ibm-made"]
    assert listed[0].policy.strategy is not None
    assert listed[0].policy.strategy.mode == ModelPolicyStrategyMode.FALL_BACK
    assert changed.json()["description"] == "changed"
    assert after == []


async def test_a_fallback_policy_moves_on_when_the_first_model_fails(
    http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    fake.script(UNAVAILABLE, UNAVAILABLE)
    target = await fake_model(http, live_tenant, fake)
    await add_policy(
        http,
        live_tenant,
        "virtual-policy/ha",
        {
            "strategy": {"mode": "fallback"},
            "retry": {"attempts": 1},
            "targets": [{"model_name": target}, {"model_name": EXTRACTIVE}],
        },
    )

    response = await ask(http, live_tenant, "virtual-policy/ha")

    assert response.status_code == 200, response.text
    assert response.json()["model"] == EXTRACTIVE
    assert len(fake.seen) == 2  # the first try and the policy's one retry


async def test_a_policy_is_called_with_or_without_its_prefix(
    http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    fake.script(Reply(json=completion("from the fake")))
    target = await fake_model(http, live_tenant, fake)
    await add_policy(
        http,
        live_tenant,
        "virtual-policy/short",
        {"strategy": {"mode": "single"}, "targets": [{"model_name": target}]},
    )

    response = await ask(http, live_tenant, "short")

    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "from the fake"
    assert response.json()["model"] == target


async def test_strategy_status_codes_limit_when_the_policy_falls_back(
    http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    fake.script(UNAVAILABLE)
    target = await fake_model(http, live_tenant, fake)
    await add_policy(
        http,
        live_tenant,
        "virtual-policy/only-on-500",
        {
            "strategy": {"mode": "fallback", "on_status_codes": [500]},
            "retry": {"attempts": 0},
            "targets": [{"model_name": target}, {"model_name": EXTRACTIVE}],
        },
    )

    response = await ask(http, live_tenant, "virtual-policy/only-on-500")

    assert response.status_code == 502, response.text
    assert "openai-compatible" in response.json()["detail"]
    assert len(fake.seen) == 1


async def test_retry_status_codes_limit_what_is_retried(
    http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    fake.script(Reply(status=429, json={"error": {"message": "slow down"}}))
    target = await fake_model(http, live_tenant, fake)
    await add_policy(
        http,
        live_tenant,
        "virtual-policy/retry-503-only",
        {
            "strategy": {"mode": "single"},
            "retry": {"attempts": 3, "on_status_codes": [503]},
            "targets": [{"model_name": target}],
        },
    )

    response = await ask(http, live_tenant, "virtual-policy/retry-503-only")

    assert response.status_code == 429, response.text
    assert len(fake.seen) == 1


async def test_a_loadbalance_policy_spreads_calls_over_its_targets(
    http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    fake.script(*[Reply(json=completion("fake")) for _ in range(40)])
    target = await fake_model(http, live_tenant, fake)
    await add_policy(
        http,
        live_tenant,
        "virtual-policy/spread",
        {
            "strategy": {"mode": "loadbalance"},
            "targets": [{"model_name": target, "weight": 1}, {"model_name": EXTRACTIVE}],
        },
    )

    answered_by = [
        (await ask(http, live_tenant, "virtual-policy/spread")).json()["model"] for _ in range(24)
    ]

    # Each of 24 calls picks either target with probability 1/2: both appear (p > 1 - 1e-7).
    assert set(answered_by) == {target, EXTRACTIVE}
    assert len(fake.seen) == answered_by.count(target)
