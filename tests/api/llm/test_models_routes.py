"""Contract tests for `/models` (virtual-model CRUD) and `/models/list` (the catalog)."""

from __future__ import annotations

import importlib.util
import uuid
from typing import Any

import httpx
import pytest

# IBM's core package ships no type information (mypy: import-untyped).
from ibm_watsonx_orchestrate_core.types.models.types import (  # type: ignore[import-untyped,unused-ignore]
    ListVirtualModel,
    VirtualModel,
)
from ibm_watsonx_orchestrate_core.types.models.types import (
    ProviderConfig as IBMProviderConfig,
)
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import TenantUser
from wxo.core.config import Settings
from wxo.llm import registry
from wxo.llm.models import Model

SECRET = "sk-live-" + "s3cr3t" * 4
OPENAI = "virtual-model/openai/gpt-4o-mini"
READ_KEYS = {
    "id",
    "name",
    "display_name",
    "description",
    "provider",
    "provider_config",
    "tags",
    "model_type",
    "connection_id",
    "config",
    "created_by",
    "created_at",
    "updated_at",
}


def openai_body(name: str = OPENAI, **extra: Any) -> dict[str, Any]:
    return {"name": name, "provider_config": {"provider": "openai", "api_key": SECRET}, **extra}


async def create(
    client: httpx.AsyncClient, tenant: TenantUser, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post("/v1/models", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    assert SECRET not in response.text
    created: dict[str, Any] = response.json()
    return created


async def stored_api_key(session: AsyncSession, settings: Settings, model_id: str) -> str | None:
    model = (await session.scalars(select(Model).where(Model.id == uuid.UUID(model_id)))).one()
    api_key = registry.provider_config(model, settings.signing_key()).api_key
    return None if api_key is None else api_key.get_secret_value()


# --- create -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
async def test_create_model_returns_201_and_the_model_with_secrets_redacted(
    client: httpx.AsyncClient, tenant_a: TenantUser, prefix: str
) -> None:
    response = await client.post(f"{prefix}/models", json=openai_body(), headers=tenant_a.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == READ_KEYS
    assert body["name"] == OPENAI
    assert body["display_name"] == OPENAI
    assert body["provider"] == "openai"
    assert body["provider_config"] == {"provider": "openai", "api_key": "********"}
    assert body["model_type"] == "chat"
    assert body["tags"] == []
    assert body["config"] == {}
    assert body["created_by"] == str(tenant_a.user_id)
    assert SECRET not in response.text


async def test_create_model_stores_no_plaintext_secret(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    created = await create(client, tenant_a, openai_body())

    raw = (
        await session.execute(
            text("SELECT provider_config::text, tenant_id FROM model WHERE id = :id"),
            {"id": uuid.UUID(created["id"])},
        )
    ).one()
    assert SECRET not in raw[0]
    assert '"__enc__"' in raw[0]
    assert raw[1] == tenant_a.tenant_id
    assert await stored_api_key(session, settings, created["id"]) == SECRET


async def test_create_model_accepts_ibm_virtual_model_dump(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    ibm = VirtualModel(
        name="virtual-model/watsonx/ibm/granite-3-8b-instruct",
        display_name=None,
        description=None,
        provider_config=IBMProviderConfig(
            provider="watsonx",
            api_key=SECRET,
            watsonx_space_id="space-1",
            watsonx_version="2024-05-01",
            request_timeout=30000,
        ),
        tags=["default"],
        config={"fallbacks": ["local/extractive"], "temperature": 0.1},
        spec_version="v1",  # the CLI's model-spec keys ride along (extra="allow"): ignored
        kind="model",
    )

    created = await create(client, tenant_a, ibm.model_dump(mode="json", exclude_none=True))

    assert created["provider"] == "watsonx"
    assert created["display_name"] == ibm.name
    assert created["description"] == ibm.name  # IBM's client fills it in
    assert created["provider_config"]["api_key"] == "********"
    assert created["provider_config"]["watsonx_space_id"] == "space-1"
    assert created["config"] == {"fallbacks": ["local/extractive"], "temperature": 0.1}


async def test_create_model_accepts_camel_case_provider_config(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    body = {
        "name": "virtual-model/watsonx/ibm/granite-3-8b-instruct",
        "provider_config": {
            "provider": "watsonx",
            "apiKey": SECRET,
            "customHost": "https://us-south.ml.cloud.ibm.com",
            "watsonxSpaceId": "space-1",
            "requestTimeout": 1500,
        },
    }

    created = await create(client, tenant_a, body)

    assert created["provider_config"] == {
        "provider": "watsonx",
        "api_key": "********",
        "custom_host": "https://us-south.ml.cloud.ibm.com",
        "watsonx_space_id": "space-1",
        "request_timeout": 1500,
    }
    assert await stored_api_key(session, settings, created["id"]) == SECRET


async def test_create_model_duplicate_name_is_409(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    await create(client, tenant_a, openai_body())

    response = await client.post("/v1/models", json=openai_body(), headers=tenant_a.headers)

    assert response.status_code == 409
    assert response.json() == {"detail": f"Model '{OPENAI}' already exists"}


@pytest.mark.parametrize(
    "name", ["gpt-4o-mini", "/openai/gpt", "virtual-model/openai/", "a b/c", "-x/y", "x/y\u00e9"]
)
async def test_create_model_invalid_name_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, name: str
) -> None:
    response = await client.post("/v1/models", json=openai_body(name), headers=tenant_a.headers)

    assert response.status_code == 422


async def test_create_model_unknown_model_type_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    body = openai_body(model_type="speech")

    response = await client.post("/v1/models", json=body, headers=tenant_a.headers)

    assert response.status_code == 422


async def test_create_model_unknown_provider_config_key_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    body = {"name": OPENAI, "provider_config": {"provider": "openai", "token_url": "x"}}

    response = await client.post("/v1/models", json=body, headers=tenant_a.headers)

    assert response.status_code == 422


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"name": "virtual-model/openai-compatible/qwen2.5"},
            "Provider 'openai-compatible' needs provider_config.custom_host",
        ),
        ({"name": "virtual-model/acme/model-1"}, "Unknown provider 'acme'"),
        ({"name": "local/extractive"}, "Names starting with 'local/' are reserved"),
        ({"name": "virtual-model/openai"}, "must look like 'virtual-model/<provider>/<model>'"),
        ({"name": "virtual-model/watsonx/ibm/granite"}, "Provider 'watsonx' needs"),
        (
            {"name": OPENAI, "provider_config": {"custom_host": "localhost:8000"}},
            "custom_host must be an http:// or https:// URL",
        ),
        (
            {"name": OPENAI, "tags": ["default_embedding"]},
            "Tag 'default_embedding' is for embedding models only",
        ),
        (
            {"name": OPENAI, "config": {"fallbacks": [OPENAI]}},
            "A model cannot be its own fallback",
        ),
    ],
)
async def test_create_model_breaking_a_rule_is_400_with_a_clear_message(
    client: httpx.AsyncClient, tenant_a: TenantUser, body: dict[str, Any], message: str
) -> None:
    response = await client.post("/v1/models", json=body, headers=tenant_a.headers)

    assert response.status_code == 400, response.text
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": OPENAI, "config": {"fallbacks": "local/extractive"}},
        {"name": OPENAI, "config": {"extra_headers": {"X-A": 1}}},
        {"name": OPENAI, "description": "nul \u0000 char"},
        {"name": OPENAI, "tags": [""]},
    ],
)
async def test_create_model_malformed_fields_are_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, body: dict[str, Any]
) -> None:
    response = await client.post("/v1/models", json=body, headers=tenant_a.headers)

    assert response.status_code == 422


async def test_create_openai_compatible_model_derives_provider_and_upstream(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    body = {
        "name": "virtual-model/openai-compatible/Qwen/Qwen2.5-0.5B-Instruct",
        "provider_config": {"custom_host": "http://localhost:8000/v1"},
    }

    created = await create(client, tenant_a, body)

    assert created["provider"] == "openai-compatible"
    assert created["provider_config"]["provider"] == "openai-compatible"
    model = await session.get(Model, uuid.UUID(created["id"]))
    assert model is not None
    assert model.upstream_model == "Qwen/Qwen2.5-0.5B-Instruct"


async def test_models_routes_require_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/models")).status_code == 401
    assert (await client.post("/v1/models", json=openai_body())).status_code == 401
    assert (await client.get("/v1/models/list")).status_code == 401


# --- list and get -----------------------------------------------------------------------------


async def test_list_models_returns_a_bare_array_of_ibm_list_virtual_models(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    await create(client, tenant_a, openai_body())
    await create(
        client,
        tenant_a,
        {
            "name": "virtual-model/bedrock/anthropic.claude-3",
            "provider_config": {
                "provider": "bedrock",
                "aws_access_key_id": "AKIA1",
                "aws_secret_access_key": SECRET,
                "aws_region": "us-east-1",
            },
        },
    )

    response = await client.get("/v1/models", headers=tenant_a.headers)

    assert response.status_code == 200
    assert SECRET not in response.text
    items = response.json()
    assert [i["name"] for i in items] == ["virtual-model/bedrock/anthropic.claude-3", OPENAI]
    parsed = [ListVirtualModel.model_validate(item) for item in items]
    assert parsed[0].provider_config is not None
    assert parsed[0].provider_config.aws_secret_access_key == "********"
    assert parsed[1].provider_config is not None
    assert parsed[1].provider_config.api_key == "********"


async def test_list_models_empty_tenant_is_an_empty_array(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.get("/v1/models", headers=tenant_a.headers)

    assert response.status_code == 200
    assert response.json() == []


async def test_list_models_filters_by_name_and_names(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    names = [f"virtual-model/openai/m{i}" for i in range(4)]
    for name in names:
        await create(client, tenant_a, openai_body(name))

    by_name = await client.get(
        "/v1/models", params=[("name", names[0]), ("name", names[2])], headers=tenant_a.headers
    )
    by_names = await client.get(
        "/v1/models", params={"names": f"{names[1]},{names[3]}"}, headers=tenant_a.headers
    )
    none = await client.get("/v1/models", params={"name": "x/y"}, headers=tenant_a.headers)
    blank = await client.get("/v1/models", params={"names": ""}, headers=tenant_a.headers)

    assert [m["name"] for m in by_name.json()] == [names[0], names[2]]
    assert [m["name"] for m in by_names.json()] == [names[1], names[3]]
    assert none.json() == []
    assert [m["name"] for m in blank.json()] == names


async def test_get_model_returns_it_redacted(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    created = await create(client, tenant_a, openai_body())

    response = await client.get(f"/v1/models/{created['id']}", headers=tenant_a.headers)

    assert response.status_code == 200
    assert response.json() == created
    assert SECRET not in response.text


async def test_get_model_unknown_id_is_404_and_bad_id_422(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    missing = await client.get(f"/v1/models/{uuid.uuid4()}", headers=tenant_a.headers)
    bad = await client.get("/v1/models/not-a-uuid", headers=tenant_a.headers)

    assert missing.status_code == 404
    assert missing.json() == {"detail": "Model not found"}
    assert bad.status_code == 422


# --- update -----------------------------------------------------------------------------------


async def test_put_model_with_placeholder_keeps_the_stored_secret(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    created = await create(client, tenant_a, openai_body())
    # IBM's flow: read (redacted), change, send the whole model back.
    listed = ListVirtualModel.model_validate(
        (await client.get("/v1/models", headers=tenant_a.headers)).json()[0]
    )
    assert listed.provider_config is not None
    update = VirtualModel(
        name=OPENAI,
        display_name="GPT-4o mini",
        description="cheap",
        provider_config=listed.provider_config.update(
            IBMProviderConfig(custom_host="https://proxy.example.com/v1")
        ),
    )

    response = await client.put(
        f"/v1/models/{created['id']}",
        json=update.model_dump(mode="json", exclude_none=True),
        headers=tenant_a.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["display_name"] == "GPT-4o mini"
    assert body["provider_config"] == {
        "provider": "openai",
        "api_key": "********",
        "custom_host": "https://proxy.example.com/v1",
    }
    assert await stored_api_key(session, settings, created["id"]) == SECRET


async def test_put_model_replaces_fields_and_secrets(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    created = await create(client, tenant_a, openai_body(tags=["x"], description="d"))

    new_key = await client.put(
        f"/v1/models/{created['id']}",
        json={"name": OPENAI, "provider_config": {"api_key": "sk-new"}},
        headers=tenant_a.headers,
    )
    assert new_key.status_code == 200
    assert new_key.json()["tags"] == []
    assert new_key.json()["description"] is None
    assert await stored_api_key(session, settings, created["id"]) == "sk-new"

    no_key = await client.put(
        f"/v1/models/{created['id']}", json={"name": OPENAI}, headers=tenant_a.headers
    )
    assert no_key.status_code == 200
    assert no_key.json()["provider_config"] == {"provider": "openai"}
    assert await stored_api_key(session, settings, created["id"]) is None


async def test_put_model_to_a_taken_name_is_409(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    await create(client, tenant_a, openai_body())
    other = await create(client, tenant_a, openai_body("virtual-model/openai/gpt-4o"))

    response = await client.put(
        f"/v1/models/{other['id']}", json=openai_body(), headers=tenant_a.headers
    )

    assert response.status_code == 409


async def test_patch_model_changes_only_what_is_sent_and_merges_configs(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    created = await create(
        client, tenant_a, openai_body(description="d", config={"temperature": 0.2})
    )
    url = f"/v1/models/{created['id']}"

    response = await client.patch(
        url,
        json={
            "provider_config": {"customHost": "https://gw.example.com/v1"},
            "config": {"fallbacks": ["local/extractive"], "temperature": None},
            "tags": ["fast"],
        },
        headers=tenant_a.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["description"] == "d"
    assert body["tags"] == ["fast"]
    assert body["config"] == {"fallbacks": ["local/extractive"]}
    assert body["provider_config"] == {
        "provider": "openai",
        "api_key": "********",
        "custom_host": "https://gw.example.com/v1",
    }
    assert await stored_api_key(session, settings, created["id"]) == SECRET

    cleared = await client.patch(
        url, json={"provider_config": {"api_key": None}}, headers=tenant_a.headers
    )
    assert cleared.json()["provider_config"] == {
        "provider": "openai",
        "custom_host": "https://gw.example.com/v1",
    }
    assert await stored_api_key(session, settings, created["id"]) is None


async def test_patch_model_rename_keeps_display_name_following_the_name(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    created = await create(client, tenant_a, openai_body())

    response = await client.patch(
        f"/v1/models/{created['id']}",
        json={"name": "virtual-model/openai/gpt-4.1-mini"},
        headers=tenant_a.headers,
    )

    assert response.status_code == 200
    assert response.json()["display_name"] == "virtual-model/openai/gpt-4.1-mini"


async def test_patch_model_null_name_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    created = await create(client, tenant_a, openai_body())

    response = await client.patch(
        f"/v1/models/{created['id']}", json={"name": None}, headers=tenant_a.headers
    )

    assert response.status_code == 422


# --- delete -----------------------------------------------------------------------------------


async def test_delete_model_returns_200_and_removes_the_row(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    created = await create(client, tenant_a, openai_body())

    response = await client.delete(f"/v1/models/{created['id']}", headers=tenant_a.headers)

    assert response.status_code == 200
    assert response.json() == {"id": created["id"], "deleted": True}
    assert await session.get(Model, uuid.UUID(created["id"])) is None
    again = await client.delete(f"/v1/models/{created['id']}", headers=tenant_a.headers)
    assert again.status_code == 404


# --- default tags -----------------------------------------------------------------------------


async def test_default_tag_moves_to_the_newest_default_model(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    first = await create(client, tenant_a, openai_body(tags=["default", "fast"]))
    second = await create(
        client, tenant_a, openai_body("virtual-model/openai/gpt-4o", tags=["default"])
    )

    first_now = (await client.get(f"/v1/models/{first['id']}", headers=tenant_a.headers)).json()
    assert first_now["tags"] == ["fast"]
    assert second["tags"] == ["default"]

    await client.patch(
        f"/v1/models/{first['id']}", json={"tags": ["default"]}, headers=tenant_a.headers
    )
    rows = (
        await session.execute(
            text("SELECT name FROM model WHERE tenant_id = :t AND tags ? 'default'"),
            {"t": tenant_a.tenant_id},
        )
    ).all()
    assert [r[0] for r in rows] == [OPENAI]


async def test_default_chat_and_default_embedding_are_independent(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    chat = await create(client, tenant_a, openai_body(tags=["default"]))
    embed_1 = await create(
        client,
        tenant_a,
        openai_body(
            "virtual-model/openai/text-embedding-3-small", model_type="embedding", tags=["default"]
        ),
    )
    embed_2 = await create(
        client,
        tenant_a,
        openai_body(
            "virtual-model/openai/text-embedding-3-large",
            model_type="embedding",
            tags=["default_embedding"],
        ),
    )

    tags = {
        m["name"]: m["tags"]
        for m in (await client.get("/v1/models", headers=tenant_a.headers)).json()
    }
    assert tags[chat["name"]] == ["default"]
    assert tags[embed_1["name"]] == []  # IBM's `default` on an embedding model moved
    assert tags[embed_2["name"]] == ["default_embedding"]


# --- catalog ----------------------------------------------------------------------------------


async def test_list_catalog_has_built_ins_and_virtual_models(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    created = await create(client, tenant_a, openai_body(tags=["default"]))

    response = await client.get("/v1/models/list", headers=tenant_a.headers)

    assert response.status_code == 200
    entries = {e["name"]: e for e in response.json()["resources"]}
    assert {
        "local/all-minilm-l6-v2",
        "local/extractive",
        "local/smollm2-135m-instruct",
        OPENAI,
    } == set(entries)
    minilm = entries["local/all-minilm-l6-v2"]
    assert minilm["is_default"] is True
    assert minilm["model_type"] == "embedding"
    assert minilm["dimensions"] == 384
    assert minilm["provider"] == "local"
    assert minilm["is_custom"] is False
    assert entries["local/extractive"]["is_default"] is False
    smollm = entries["local/smollm2-135m-instruct"]
    assert smollm["available"] is (importlib.util.find_spec("llama_cpp") is not None)
    assert smollm["recommended"] is smollm["available"]
    custom = entries[OPENAI]
    assert custom["is_custom"] is True
    assert custom["is_default"] is True
    assert custom["id"] == created["id"]
    for entry in entries.values():
        assert {"is_custom", "is_default", "is_denied", "recommended", "is_premier"} <= set(entry)


async def test_list_catalog_without_a_default_chat_model_marks_no_chat_default(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    await create(client, tenant_a, openai_body())

    entries = (await client.get("/v1/models/list", headers=tenant_a.headers)).json()["resources"]

    assert [e["name"] for e in entries if e["is_default"]] == ["local/all-minilm-l6-v2"]


async def test_list_catalog_filters_by_id(client: httpx.AsyncClient, tenant_a: TenantUser) -> None:
    created = await create(client, tenant_a, openai_body())
    await create(client, tenant_a, openai_body("virtual-model/openai/gpt-4o"))

    response = await client.get(
        "/v1/models/list", params={"id": created["id"]}, headers=tenant_a.headers
    )

    assert [e["name"] for e in response.json()["resources"]] == [OPENAI]


async def test_list_embeddings_catalog_lists_embedding_models_only(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    await create(client, tenant_a, openai_body())
    embed = "virtual-model/ollama/nomic-embed-text"
    await create(
        client, tenant_a, {"name": embed, "model_type": "embedding", "tags": ["default_embedding"]}
    )

    response = await client.get("/v1/models/list/embeddings", headers=tenant_a.headers)

    assert response.status_code == 200
    entries = {e["name"]: e for e in response.json()["resources"]}
    assert set(entries) == {"local/all-minilm-l6-v2", embed}
    assert entries[embed]["is_default"] is True
    assert entries["local/all-minilm-l6-v2"]["is_default"] is False


# --- tenant isolation -------------------------------------------------------------------------


async def test_other_tenants_models_are_invisible_and_untouchable(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    created = await create(client, tenant_a, openai_body(tags=["default"]))
    url = f"/v1/models/{created['id']}"

    assert (await client.get("/v1/models", headers=tenant_b.headers)).json() == []
    assert (await client.get(url, headers=tenant_b.headers)).status_code == 404
    assert (await client.put(url, json=openai_body(), headers=tenant_b.headers)).status_code == 404
    assert (await client.patch(url, json={}, headers=tenant_b.headers)).status_code == 404
    assert (await client.delete(url, headers=tenant_b.headers)).status_code == 404
    catalog = (await client.get("/v1/models/list", headers=tenant_b.headers)).json()["resources"]
    assert OPENAI not in {e["name"] for e in catalog}

    same_name = await create(client, tenant_b, openai_body(tags=["default"]))
    assert same_name["id"] != created["id"]
    assert (await client.get(url, headers=tenant_a.headers)).json()["tags"] == ["default"]
