"""Name resolution for the Model Proxy, and the registry's storage guarantees, on real Postgres."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import TenantUser
from wxo.auth.schemas import TenantPrincipal
from wxo.container import Container
from wxo.core.config import Settings
from wxo.core.errors import InvalidInputError, NotFoundError
from wxo.llm import registry, repository
from wxo.llm.exceptions import (
    ModelKindMismatchError,
    NoDefaultModelError,
    ProviderNotSupportedError,
    SecretDecryptionError,
    UnknownModelError,
)
from wxo.llm.models import Model
from wxo.llm.registry_schemas import ModelCreate

SECRET = "sk-resolve-" + "q" * 20


def principal(tenant: TenantUser) -> TenantPrincipal:
    return TenantPrincipal(
        user_id=tenant.user_id,
        username=tenant.username,
        token_id=uuid.uuid4(),
        tenant_id=tenant.tenant_id,
        tenant_name=tenant.tenant_name,
    )


async def register(
    session: AsyncSession, settings: Settings, tenant: TenantUser, **body: Any
) -> Model:
    data = ModelCreate.model_validate(body)
    return await registry.create_model(session, principal(tenant), data, key=settings.signing_key())


async def test_resolve_default_chat_without_one_raises_no_default(
    session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    with pytest.raises(NoDefaultModelError) as excinfo:
        await registry.resolve(
            session, tenant_a.tenant_id, None, kind="chat", key=settings.signing_key()
        )

    assert isinstance(excinfo.value, NotFoundError)
    assert str(excinfo.value) == (
        "No default chat model is configured for this tenant; register one with tag 'default'"
    )


async def test_resolve_default_embedding_is_minilm_until_one_is_tagged(
    session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    key = settings.signing_key()
    builtin = await registry.resolve(session, tenant_a.tenant_id, None, kind="embedding", key=key)
    assert builtin.name == "local/all-minilm-l6-v2"
    assert builtin.provider == "local"
    assert builtin.upstream_model == "all-minilm-l6-v2"
    assert builtin.model_type == "embedding"
    assert builtin.config.provider == "local"

    await register(
        session,
        settings,
        tenant_a,
        name="virtual-model/ollama/nomic-embed-text",
        model_type="embedding",
        tags=["default"],
    )
    tagged = await registry.resolve(session, tenant_a.tenant_id, "", kind="embedding", key=key)
    assert tagged.name == "virtual-model/ollama/nomic-embed-text"
    assert tagged.upstream_model == "nomic-embed-text"


async def test_resolve_default_chat_is_the_model_tagged_default(
    session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    await register(
        session,
        settings,
        tenant_a,
        name="virtual-model/openai/gpt-4o-mini",
        provider_config={"api_key": SECRET},
        tags=["default"],
    )

    target = await registry.resolve(
        session, tenant_a.tenant_id, None, kind="chat", key=settings.signing_key()
    )

    assert target.name == "virtual-model/openai/gpt-4o-mini"
    assert target.provider == "openai"
    assert target.upstream_model == "gpt-4o-mini"
    assert target.config.api_key is not None
    assert target.config.api_key.get_secret_value() == SECRET


@pytest.mark.parametrize(
    ("name", "model_type", "kind"),
    [
        ("local/extractive", "chat", "chat"),
        ("local/smollm2-135m-instruct", "chat", "chat"),
        ("local/all-minilm-l6-v2", "embedding", "embedding"),
    ],
)
async def test_resolve_built_in_models(
    session: AsyncSession,
    settings: Settings,
    tenant_a: TenantUser,
    name: str,
    model_type: str,
    kind: Any,
) -> None:
    target = await registry.resolve(
        session, tenant_a.tenant_id, name, kind=kind, key=settings.signing_key()
    )

    assert target.name == name
    assert target.provider == "local"
    assert target.upstream_model == name.removeprefix("local/")
    assert target.model_type == model_type
    assert target.config.provider == "local"


async def test_resolve_virtual_model_maps_ibm_provider_config(
    session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    await register(
        session,
        settings,
        tenant_a,
        name="virtual-model/watsonx/ibm/granite-3-8b-instruct",
        provider_config={
            "provider": "watsonx",
            "api_key": SECRET,
            "custom_host": "https://us-south.ml.cloud.ibm.com",
            "watsonx_project_id": "proj-1",
            "watsonx_version": "2024-05-01",
            "request_timeout": 45000,
            "forward_headers": ["x-request-id"],
            "aws_session_token": "not-really-aws",
        },
        config={
            "fallbacks": ["virtual-model/openai/gpt-4o-mini", "local/extractive"],
            "extra_headers": {"X-Team": "search"},
            "temperature": 0.2,
            "max_tokens": 256,
        },
    )

    target = await registry.resolve(
        session,
        tenant_a.tenant_id,
        "watsonx/ibm/granite-3-8b-instruct",  # the name without its `virtual-model/` prefix
        kind="chat",
        key=settings.signing_key(),
    )

    assert target.name == "virtual-model/watsonx/ibm/granite-3-8b-instruct"
    assert target.provider == "watsonx"
    assert target.upstream_model == "ibm/granite-3-8b-instruct"
    config = target.config
    assert config.provider == "watsonx"
    assert config.api_key is not None
    assert config.api_key.get_secret_value() == SECRET
    assert config.base_url == "https://us-south.ml.cloud.ibm.com"
    assert config.project_id == "proj-1"
    assert config.space_id is None
    assert config.api_version == "2024-05-01"
    assert config.request_timeout == 45.0
    assert config.extra_headers == {"X-Team": "search"}
    assert config.extra["forward_headers"] == ["x-request-id"]
    assert config.extra["aws_session_token"].get_secret_value() == "not-really-aws"
    assert target.fallbacks == ["virtual-model/openai/gpt-4o-mini", "local/extractive"]
    assert target.default_params == {"temperature": 0.2, "max_tokens": 256}
    assert SECRET not in repr(target)
    assert "not-really-aws" not in repr(target)


async def test_resolve_unregistered_provider_name_is_unknown_model_with_how_to(
    session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    with pytest.raises(UnknownModelError) as excinfo:
        await registry.resolve(
            session, tenant_a.tenant_id, "ollama/llama3.2", kind="chat", key=settings.signing_key()
        )

    message = str(excinfo.value)
    assert isinstance(excinfo.value, NotFoundError)
    assert "'ollama/llama3.2' is not registered" in message
    assert "POST /v1/models" in message
    assert '"name": "virtual-model/ollama/llama3.2"' in message
    assert "local/extractive" in message


async def test_resolve_unknown_built_in_is_unknown_model(
    session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    with pytest.raises(UnknownModelError, match="Unknown built-in model 'local/gpt-5'"):
        await registry.resolve(
            session, tenant_a.tenant_id, "local/gpt-5", kind="chat", key=settings.signing_key()
        )


async def test_resolve_registered_ollama_model_by_short_and_full_name(
    session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    await register(session, settings, tenant_a, name="virtual-model/ollama/llama3.2")
    key = settings.signing_key()

    short = await registry.resolve(
        session, tenant_a.tenant_id, "ollama/llama3.2", kind="chat", key=key
    )
    full = await registry.resolve(
        session, tenant_a.tenant_id, "virtual-model/ollama/llama3.2", kind="chat", key=key
    )

    assert short == full
    assert short.provider == "ollama"
    assert short.upstream_model == "llama3.2"
    assert short.config.api_key is None
    assert short.config.base_url is None


async def test_resolve_wrong_kind_is_a_kind_mismatch(
    session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    key = settings.signing_key()
    await register(
        session,
        settings,
        tenant_a,
        name="virtual-model/openai/text-embedding-3-small",
        model_type="embedding",
    )

    with pytest.raises(ModelKindMismatchError, match="is a embedding model") as excinfo:
        await registry.resolve(
            session,
            tenant_a.tenant_id,
            "virtual-model/openai/text-embedding-3-small",
            kind="chat",
            key=key,
        )
    assert isinstance(excinfo.value, InvalidInputError)
    with pytest.raises(ModelKindMismatchError):
        await registry.resolve(
            session, tenant_a.tenant_id, "local/all-minilm-l6-v2", kind="chat", key=key
        )
    with pytest.raises(ModelKindMismatchError):
        await registry.resolve(
            session, tenant_a.tenant_id, "local/extractive", kind="embedding", key=key
        )


async def test_resolve_registered_but_unsupported_provider_is_refused(
    session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    await register(
        session,
        settings,
        tenant_a,
        name="virtual-model/anthropic/claude-3-5-sonnet",
        provider_config={"api_key": SECRET},
    )

    with pytest.raises(ProviderNotSupportedError) as excinfo:
        await registry.resolve(
            session,
            tenant_a.tenant_id,
            "virtual-model/anthropic/claude-3-5-sonnet",
            kind="chat",
            key=settings.signing_key(),
        )

    assert isinstance(excinfo.value, InvalidInputError)
    assert str(excinfo.value).startswith("Provider 'anthropic' is not supported by this server yet")


async def test_resolve_mistral_alias_is_mistral_ai(
    session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    await register(session, settings, tenant_a, name="virtual-model/mistral/mistral-small-latest")

    target = await registry.resolve(
        session,
        tenant_a.tenant_id,
        "mistral/mistral-small-latest",
        kind="chat",
        key=settings.signing_key(),
    )

    assert target.provider == "mistral-ai"
    assert target.config.provider == "mistral-ai"


async def test_resolve_with_another_server_key_fails_clearly(
    session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    name = "virtual-model/openai/gpt-4o-mini"
    await register(session, settings, tenant_a, name=name, provider_config={"api_key": SECRET})

    with pytest.raises(SecretDecryptionError, match=f"Model '{name}'") as excinfo:
        await registry.resolve(session, tenant_a.tenant_id, name, kind="chat", key="other-key")

    assert SECRET not in str(excinfo.value)


async def test_resolve_never_sees_another_tenants_models(
    session: AsyncSession, settings: Settings, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    name = "virtual-model/openai/gpt-4o-mini"
    await register(session, settings, tenant_a, name=name, tags=["default"])
    key = settings.signing_key()

    with pytest.raises(UnknownModelError):
        await registry.resolve(session, tenant_b.tenant_id, name, kind="chat", key=key)
    with pytest.raises(NoDefaultModelError):
        await registry.resolve(session, tenant_b.tenant_id, None, kind="chat", key=key)


async def test_partial_unique_indexes_refuse_a_second_default(
    session: AsyncSession, tenant_a: TenantUser
) -> None:
    values = {"provider": "openai", "upstream_model": "m", "tags": ["default"]}
    await repository.insert_model(
        session, tenant_id=tenant_a.tenant_id, values={"name": "virtual-model/openai/a", **values}
    )
    # An embedding default does not collide with the chat default.
    await repository.insert_model(
        session,
        tenant_id=tenant_a.tenant_id,
        values={"name": "virtual-model/openai/e", **values, "model_type": "embedding"},
    )

    with pytest.raises(IntegrityError, match="uq_model_tenant_id_default_chat"):
        async with session.begin_nested():
            await repository.insert_model(
                session,
                tenant_id=tenant_a.tenant_id,
                values={"name": "virtual-model/openai/b", **values},
            )


async def test_concurrent_default_registrations_leave_exactly_one_default(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    bodies = [{"name": f"virtual-model/openai/race-{i}", "tags": ["default"]} for i in range(12)]

    responses = await asyncio.gather(
        *(live_client.post("/v1/models", json=b, headers=live_tenant.headers) for b in bodies)
    )

    assert [r.status_code for r in responses] == [201] * len(bodies)
    async with container.sessionmaker() as check:
        defaults = (
            await check.scalars(
                select(Model.name).where(
                    Model.tenant_id == live_tenant.tenant_id, Model.tags.contains(["default"])
                )
            )
        ).all()
        assert len(defaults) == 1


async def test_concurrent_creates_of_one_name_give_one_201_and_409s(
    live_client: httpx.AsyncClient, live_tenant: TenantUser
) -> None:
    body = {"name": f"virtual-model/openai/same-{uuid.uuid4().hex[:6]}"}

    responses = await asyncio.gather(
        *(live_client.post("/v1/models", json=body, headers=live_tenant.headers) for _ in range(8))
    )

    assert sorted(r.status_code for r in responses) == [201] + [409] * 7
