"""Pure rules of the model registry: provider names, model names, config checks and mapping.

No database and no secrets handling here (`wxo.llm.registry` decrypts, then maps with
`to_provider_config`).

Providers. Any name of IBM's provider list may be registered (so model specs written for IBM's
service import unchanged), but only `SUPPORTED_PROVIDERS` can be called: resolution answers
`ProviderNotSupportedError` (400) for the others. `mistral` is taken as `mistral-ai`;
`openai-compatible` is any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, ...) and needs
`custom_host`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import SecretStr

from wxo.llm.base import ProviderConfig
from wxo.llm.crypto import is_secret
from wxo.llm.exceptions import (
    InvalidModelConfigError,
    ModelKindMismatchError,
    UnknownProviderError,
)
from wxo.llm.registry_schemas import VIRTUAL_PREFIX

SUPPORTED_PROVIDERS: tuple[str, ...] = (
    "openai",
    "watsonx",
    "mistral-ai",
    "ollama",
    "openai-compatible",
)
IBM_PROVIDERS: tuple[str, ...] = (
    "openai", "openai-oauth2-client-creds", "a21", "anthropic", "anyscale", "azure-openai",
    "azure-ai", "bedrock", "cerebras", "cohere", "google", "vertex-ai", "groq", "huggingface",
    "mistral-ai", "jina", "ollama", "openrouter", "stability-ai", "together-ai", "watsonx",
    "x-ai", "redhat-ai",
)  # fmt: skip
PROVIDER_ALIASES = {"mistral": "mistral-ai"}
KNOWN_PROVIDERS = frozenset(IBM_PROVIDERS) | frozenset(SUPPORTED_PROVIDERS)
LOCAL_PREFIX = "local/"
Kind = Literal["chat", "embedding"]
_TYPES_OF_KIND: dict[Kind, frozenset[str]] = {
    "chat": frozenset({"chat", "chat_vision", "completion"}),
    "embedding": frozenset({"embedding"}),
}
# Provider-config keys mapped onto `ProviderConfig` fields; the rest go to `extra`.
_MAPPED_KEYS = frozenset(
    {
        "provider", "api_key", "custom_host", "request_timeout", "watsonx_version",
        "azure_api_version", "watsonx_project_id", "watsonx_space_id", "watsonx_deployment_id",
        "azure_deployment_id",
    }
)  # fmt: skip


def normalise_provider(provider: str) -> str:
    """The canonical provider name (`mistral` → `mistral-ai`), lower-cased."""
    lowered = provider.strip().lower()
    return PROVIDER_ALIASES.get(lowered, lowered)


def split_name(name: str, provider: str | None) -> tuple[str, str]:
    """The provider and upstream model id of a model name (`virtual-model/<provider>/<model>`).

    The provider is `provider` when given (from `provider_config`), else the name's first
    segment after `virtual-model/`; the upstream id is what follows that segment.

    Raises:
        InvalidModelConfigError: a reserved `local/` name, or no model part.
        UnknownProviderError: a provider neither IBM nor this server knows.
    """
    if name.startswith(LOCAL_PREFIX):
        raise InvalidModelConfigError(f"Names starting with '{LOCAL_PREFIX}' are reserved")
    head, _, upstream = name.removeprefix(VIRTUAL_PREFIX).partition("/")
    if not upstream:
        raise InvalidModelConfigError(
            f"Model name '{name}' must look like '{VIRTUAL_PREFIX}<provider>/<model>'"
        )
    resolved = normalise_provider(provider or head)
    if resolved not in KNOWN_PROVIDERS:
        known = ", ".join(sorted(KNOWN_PROVIDERS))
        raise UnknownProviderError(f"Unknown provider '{resolved}'; known providers: {known}")
    return resolved, upstream


def validate(values: Mapping[str, Any]) -> None:
    """Rules on a model's column values that the schema cannot express.

    Raises:
        InvalidModelConfigError: e.g. `openai-compatible` without `custom_host`.
    """
    provider, pc, name = values["provider"], values["provider_config"], values["name"]
    host = pc.get("custom_host")
    if host is not None and not str(host).startswith(("http://", "https://")):
        raise InvalidModelConfigError("custom_host must be an http:// or https:// URL")
    if provider == "openai-compatible" and not host:
        raise InvalidModelConfigError(
            "Provider 'openai-compatible' needs provider_config.custom_host, the server's base "
            "URL (e.g. http://localhost:8000/v1)"
        )
    ids = ("watsonx_project_id", "watsonx_space_id", "watsonx_deployment_id")
    if provider == "watsonx" and not any(pc.get(k) for k in ids):
        raise InvalidModelConfigError(
            "Provider 'watsonx' needs provider_config.watsonx_project_id or watsonx_space_id "
            "(or watsonx_deployment_id)"
        )
    if "default_embedding" in values["tags"] and values["model_type"] != "embedding":
        raise InvalidModelConfigError("Tag 'default_embedding' is for embedding models only")
    if name in values["config"].get("fallbacks", ()):
        raise InvalidModelConfigError("A model cannot be its own fallback")


def to_provider_config(
    provider: str, plain: Mapping[str, Any], config: Mapping[str, Any]
) -> ProviderConfig:
    """Map IBM's (decrypted) provider-config keys onto our internal `ProviderConfig`.

    `custom_host` → `base_url`; `request_timeout` (milliseconds, Portkey's unit) → seconds;
    `watsonx_version` or `azure_api_version` → `api_version`; `watsonx_project_id`,
    `watsonx_space_id`, `watsonx_deployment_id` (or `azure_deployment_id`) → the ids;
    `config.extra_headers` → `extra_headers`. Every other key goes to `extra`, secret ones
    (`wxo.llm.crypto.is_secret`) wrapped in `SecretStr` so that a repr never shows them.
    """
    api_key, timeout_ms = plain.get("api_key"), plain.get("request_timeout")
    return ProviderConfig(
        provider=provider,
        api_key=SecretStr(api_key) if api_key else None,
        base_url=plain.get("custom_host"),
        api_version=plain.get("watsonx_version") or plain.get("azure_api_version"),
        project_id=plain.get("watsonx_project_id"),
        space_id=plain.get("watsonx_space_id"),
        deployment_id=plain.get("watsonx_deployment_id") or plain.get("azure_deployment_id"),
        request_timeout=timeout_ms / 1000 if timeout_ms and timeout_ms > 0 else None,
        extra_headers=dict(config.get("extra_headers") or {}),
        extra={
            k: SecretStr(v) if is_secret(k) and isinstance(v, str) else v
            for k, v in plain.items()
            if k not in _MAPPED_KEYS
        },
    )


def is_default(model_type: str, tags: Sequence[str]) -> bool:
    """Whether a model with these tags is its tenant's default of its kind."""
    if model_type == "embedding":
        return bool({"default", "default_embedding"} & set(tags))
    return "default" in tags


def model_columns(state: dict[str, Any]) -> dict[str, Any]:
    """Column values of a model from its fields (provider config already sealed)."""
    pc = dict(state["provider_config"])
    provider, upstream = split_name(state["name"], pc.get("provider") or None)
    pc["provider"] = provider
    values = {
        **state,
        "display_name": state["display_name"] or state["name"],
        "provider": provider,
        "upstream_model": upstream,
        "provider_config": pc,
    }
    validate(values)
    return values


def check_kind(name: str, model_type: str, kind: Kind) -> None:
    """Refuse a model of the wrong kind (`ModelKindMismatchError`)."""
    if model_type not in _TYPES_OF_KIND[kind]:
        use = "embeddings" if model_type == "embedding" else "chat or completions"
        raise ModelKindMismatchError(
            f"Model '{name}' is a {model_type} model: use it for {use}, not {kind}"
        )
