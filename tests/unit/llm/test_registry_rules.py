"""Pure registry rules: provider and model names, config checks, mapping to `ProviderConfig`."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from wxo.llm.exceptions import (
    InvalidModelConfigError,
    ModelKindMismatchError,
    UnknownProviderError,
)
from wxo.llm.registry_rules import (
    check_kind,
    is_default,
    model_columns,
    normalise_provider,
    split_name,
    to_provider_config,
)


@pytest.mark.parametrize(
    ("name", "provider", "expected"),
    [
        ("virtual-model/openai/gpt-4o-mini", None, ("openai", "gpt-4o-mini")),
        (
            "virtual-model/watsonx/ibm/granite-3-8b-instruct",
            None,
            ("watsonx", "ibm/granite-3-8b-instruct"),
        ),
        (
            "virtual-model/mistral/mistral-small-latest",
            None,
            ("mistral-ai", "mistral-small-latest"),
        ),
        ("ollama/llama3.2", None, ("ollama", "llama3.2")),
        (
            "virtual-model/vllm/Qwen/Qwen2.5-7B",
            "openai-compatible",
            ("openai-compatible", "Qwen/Qwen2.5-7B"),
        ),
        ("virtual-model/groq/openai/gpt-oss-120b", "GROQ", ("groq", "openai/gpt-oss-120b")),
    ],
)
def test_split_name_gives_provider_and_upstream_model(
    name: str, provider: str | None, expected: tuple[str, str]
) -> None:
    assert split_name(name, provider) == expected


def test_split_name_refuses_unknown_providers_and_reserved_names() -> None:
    with pytest.raises(UnknownProviderError, match="Unknown provider 'acme'"):
        split_name("virtual-model/acme/x", None)
    with pytest.raises(InvalidModelConfigError, match="reserved"):
        split_name("local/extractive", None)
    with pytest.raises(InvalidModelConfigError, match="must look like"):
        split_name("virtual-model/openai", None)


def test_normalise_provider_maps_mistral_alias() -> None:
    assert normalise_provider(" Mistral ") == "mistral-ai"
    assert normalise_provider("openai") == "openai"


@pytest.mark.parametrize(
    ("model_type", "tags", "expected"),
    [
        ("chat", ["default"], True),
        ("chat", ["default_embedding"], False),
        ("embedding", ["default"], True),
        ("embedding", ["default_embedding"], True),
        ("completion", ["x"], False),
    ],
)
def test_is_default_per_kind(model_type: str, tags: list[str], expected: bool) -> None:
    assert is_default(model_type, tags) is expected


def _state(**overrides: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "name": "virtual-model/openai/gpt-4o-mini",
        "display_name": None,
        "description": None,
        "config": {},
        "provider_config": {},
        "tags": [],
        "model_type": "chat",
        "connection_id": None,
    }
    return {**state, **overrides}


def test_model_columns_derive_provider_upstream_and_display_name() -> None:
    values = model_columns(_state(provider_config={"provider": ""}))

    assert values["provider"] == "openai"
    assert values["upstream_model"] == "gpt-4o-mini"
    assert values["display_name"] == "virtual-model/openai/gpt-4o-mini"
    assert values["provider_config"] == {"provider": "openai"}


def test_model_columns_provider_config_provider_wins_over_the_name() -> None:
    values = model_columns(
        _state(
            name="virtual-model/local-vllm/llama-3",
            provider_config={"provider": "openai-compatible", "custom_host": "http://h:8000/v1"},
        )
    )

    assert values["provider"] == "openai-compatible"
    assert values["upstream_model"] == "llama-3"


def test_model_columns_accept_watsonx_with_a_space_id() -> None:
    state = _state(
        name="virtual-model/watsonx/ibm/granite",
        provider_config={"watsonx_space_id": "s"},
    )

    assert model_columns(state)["provider"] == "watsonx"


def test_to_provider_config_maps_ibm_keys() -> None:
    plain = {
        "provider": "openai-compatible",
        "api_key": "k",
        "custom_host": "http://localhost:8080/v1",
        "request_timeout": 2500,
        "azure_api_version": "2024-02-01",
        "azure_deployment_id": "dep",
        "watsonx_space_id": "space",
        "openai_organization": "org",
        "azure_ad_token": "ad-token-value",
    }

    config = to_provider_config("openai-compatible", plain, {"extra_headers": {"X-A": "1"}})

    assert config.provider == "openai-compatible"
    assert config.api_key == SecretStr("k")
    assert config.base_url == "http://localhost:8080/v1"
    assert config.request_timeout == 2.5
    assert config.api_version == "2024-02-01"
    assert config.deployment_id == "dep"
    assert config.space_id == "space"
    assert config.extra_headers == {"X-A": "1"}
    assert config.extra["openai_organization"] == "org"
    assert isinstance(config.extra["azure_ad_token"], SecretStr)
    assert "ad-token-value" not in repr(config)


def test_to_provider_config_without_timeout_or_key() -> None:
    config = to_provider_config("ollama", {"provider": "ollama", "request_timeout": 0}, {})

    assert config.api_key is None
    assert config.request_timeout is None
    assert config.extra == {}


def test_check_kind() -> None:
    check_kind("m", "chat_vision", "chat")
    check_kind("m", "completion", "chat")
    check_kind("m", "embedding", "embedding")
    with pytest.raises(ModelKindMismatchError, match="use it for chat or completions"):
        check_kind("m", "chat", "embedding")
