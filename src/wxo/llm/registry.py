"""The model registry: a tenant's virtual models (CRUD) and name resolution for the Model Proxy.

Providers: any name of IBM's list may be registered, only `SUPPORTED_PROVIDERS` can be called
(`resolve` answers `ProviderNotSupportedError`, 400, for the others); see `registry_rules`.

Defaults. The tag `default` marks the tenant's default chat model; on an embedding model it
(like `default_embedding`) marks the default embedding model, as IBM documents. Setting one moves
it off the tenant's other models in the same transaction. Without a tagged embedding model the
default is `local/all-minilm-l6-v2`; without a tagged chat model there is none.

Each writing use-case commits once, at its end. Secrets go through `wxo.llm.crypto` only.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.llm import crypto, repository
from wxo.llm.base import ModelTarget, ProviderConfig
from wxo.llm.exceptions import (
    ModelExistsError,
    ModelNotFoundError,
    NoDefaultModelError,
    ProviderNotSupportedError,
    SecretDecryptionError,
    UnknownModelError,
)
from wxo.llm.models import Model
from wxo.llm.registry_rules import (
    LOCAL_PREFIX,
    SUPPORTED_PROVIDERS,
    Kind,
    check_kind,
    is_default,
    model_columns,
    to_provider_config,
)
from wxo.llm.registry_schemas import VIRTUAL_PREFIX, CatalogEntry, ModelCreate, ModelPatch

_CONFIG_KEYS = ("fallbacks", "extra_headers")  # `config` keys that are not default parameters
NO_DEFAULT_CHAT = (
    "No default chat model is configured for this tenant; register one with tag 'default'"
)


@dataclass(frozen=True)
class BuiltinModel:
    """A model served in-process, needing no network or registration."""

    name: str
    model_type: str
    description: str
    dimensions: int | None = None
    requires: str | None = None  # an optional module the model needs

    @property
    def available(self) -> bool:
        """Whether this installation can run the model."""
        return self.requires is None or importlib.util.find_spec(self.requires) is not None

    def target(self) -> ModelTarget:
        """The resolved form (provider `local`)."""
        return ModelTarget(
            name=self.name,
            provider="local",
            upstream_model=self.name.removeprefix(LOCAL_PREFIX),
            model_type=self.model_type,
            config=ProviderConfig(provider="local"),
        )


BUILTIN_MODELS: tuple[BuiltinModel, ...] = (
    BuiltinModel(
        "local/all-minilm-l6-v2",
        "embedding",
        "all-MiniLM-L6-v2 sentence embeddings (384 dimensions), run in-process.",
        dimensions=384,
    ),
    BuiltinModel(
        "local/extractive",
        "chat",
        "Extractive responder: answers only with sentences from the supplied context.",
    ),
    BuiltinModel(
        "local/smollm2-135m-instruct",
        "chat",
        "SmolLM2-135M-Instruct run in-process by llama.cpp (optional extra 'local-llm').",
        requires="llama_cpp",
    ),
)
BUILTINS = {b.name: b for b in BUILTIN_MODELS}
DEFAULT_EMBEDDING_MODEL = "local/all-minilm-l6-v2"


def _model_not_found() -> ModelNotFoundError:
    return ModelNotFoundError("Model not found")


def _sealed(
    data: ModelCreate, box: crypto.SecretBox, stored: dict[str, Any] | None
) -> dict[str, Any]:
    pc = data.provider_config.model_dump(exclude_none=True) if data.provider_config else {}
    return {
        "name": data.name,
        "display_name": data.display_name,
        "description": data.description,
        "config": data.config or {},
        "provider_config": crypto.seal(pc, box, stored=stored),
        "tags": data.tags,
        "model_type": data.model_type,
        "connection_id": data.connection_id,
    }


async def _write(
    session: AsyncSession, tenant_id: uuid.UUID, values: dict[str, Any], model: Model | None
) -> Model:
    """Insert (or update `model`) after moving default tags; commits."""
    except_id = None if model is None else model.id
    await repository.lock_tenant_models(session, tenant_id=tenant_id)
    name = values["name"]
    if await repository.name_taken(session, tenant_id=tenant_id, name=name, except_id=except_id):
        raise ModelExistsError(f"Model '{name}' already exists")
    if is_default(values["model_type"], values["tags"]):
        embedding = values["model_type"] == "embedding"
        await repository.clear_default(
            session, tenant_id=tenant_id, embedding=embedding, except_id=except_id
        )
    try:
        if model is None:
            written = await repository.insert_model(session, tenant_id=tenant_id, values=values)
        else:
            updated = await repository.update_model(
                session, tenant_id=tenant_id, model_id=model.id, values=values
            )
            if updated is None:
                raise _model_not_found()
            written = updated
        await session.commit()
    except IntegrityError as exc:  # a concurrent write the lock did not cover
        await session.rollback()
        raise ModelExistsError(f"Model '{name}' conflicts with another model") from exc
    return written


async def create_model(
    session: AsyncSession, principal: TenantPrincipal, data: ModelCreate, *, key: str
) -> Model:
    """Register a virtual model in the caller's tenant; secrets are encrypted with `key`.

    Raises:
        ModelExistsError: the tenant has a model with this name.
        UnknownProviderError, InvalidModelConfigError: the configuration breaks a rule.
    """
    values = model_columns(_sealed(data, crypto.secret_box(key), None))
    values["created_by"] = principal.user_id
    return await _write(session, principal.tenant_id, values, None)


async def list_models(
    session: AsyncSession, principal: TenantPrincipal, *, names: Sequence[str] | None = None
) -> Sequence[Model]:
    """The tenant's virtual models by name (only those in `names`, when given)."""
    return await repository.list_models(session, tenant_id=principal.tenant_id, names=names)


async def get_model(
    session: AsyncSession, principal: TenantPrincipal, model_id: uuid.UUID
) -> Model:
    """A virtual model of the caller's tenant.

    Raises:
        ModelNotFoundError: no such model, or another tenant's.
    """
    model = await repository.get_model(session, tenant_id=principal.tenant_id, model_id=model_id)
    if model is None:
        raise _model_not_found()
    return model


async def replace_model(
    session: AsyncSession, model: Model, data: ModelCreate, *, key: str
) -> Model:
    """Replace every field of a model (`PUT`); a secret sent as `********` keeps the stored one.

    Raises:
        ModelExistsError: another model of the tenant has the new name.
        UnknownProviderError, InvalidModelConfigError: the configuration breaks a rule.
    """
    values = model_columns(_sealed(data, crypto.secret_box(key), model.provider_config))
    return await _write(session, model.tenant_id, values, model)


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = {k: v for k, v in old.items() if k not in new}
    merged.update({k: v for k, v in new.items() if v is not None})
    return merged


async def patch_model(session: AsyncSession, model: Model, data: ModelPatch, *, key: str) -> Model:
    """Change the fields sent (`PATCH`); `config` and `provider_config` merge key by key.

    Raises:
        ModelExistsError: another model of the tenant has the new name.
        UnknownProviderError, InvalidModelConfigError: the configuration breaks a rule.
    """
    sent = data.model_fields_set
    state: dict[str, Any] = {
        "name": data.name if "name" in sent and data.name else model.name,
        "display_name": data.display_name if "display_name" in sent else model.display_name,
        "description": data.description if "description" in sent else model.description,
        "config": model.config
        if "config" not in sent
        else _merged(model.config, data.config or {}),
        "tags": (data.tags or []) if "tags" in sent else model.tags,
        "model_type": data.model_type or model.model_type,
        "connection_id": data.connection_id if "connection_id" in sent else model.connection_id,
        "provider_config": model.provider_config,
    }
    if "provider_config" in sent:
        stored = model.provider_config
        changes = (
            data.provider_config.model_dump(exclude_unset=True) if data.provider_config else {}
        )
        kept = {k: v for k, v in stored.items() if k not in changes} if data.provider_config else {}
        state["provider_config"] = {
            **kept,
            **crypto.seal(changes, crypto.secret_box(key), stored=stored),
        }
    if "name" in sent and "display_name" not in sent and model.display_name == model.name:
        state["display_name"] = None  # it followed the name: keep following it
    return await _write(session, model.tenant_id, model_columns(state), model)


async def delete_model(session: AsyncSession, model: Model) -> None:
    """Delete a virtual model for good.

    Raises:
        ModelNotFoundError: the model was deleted meanwhile.
    """
    if not await repository.delete_model(session, tenant_id=model.tenant_id, model_id=model.id):
        raise _model_not_found()
    await session.commit()


async def list_catalog(
    session: AsyncSession,
    principal: TenantPrincipal,
    *,
    embeddings_only: bool = False,
    ids: Sequence[uuid.UUID] | None = None,
) -> list[CatalogEntry]:
    """Built-in models, then the tenant's virtual models (only `ids`, when given: no built-ins)."""
    models = await repository.list_models(
        session, tenant_id=principal.tenant_id, ids=ids, embedding_only=embeddings_only
    )
    entries = [
        CatalogEntry(
            id=m.id,
            name=m.name,
            display_name=m.display_name,
            description=m.description,
            is_custom=True,
            is_default=is_default(m.model_type, m.tags),
            model_type=m.model_type,
            provider=m.provider,
        )
        for m in models
    ]
    if ids is not None:
        return entries
    # `entries` holds every embedding model of the tenant, so it shows whether one is default.
    has_embedding_default = any(e.is_default and e.model_type == "embedding" for e in entries)
    builtins = [
        CatalogEntry(
            name=b.name,
            description=b.description,
            is_default=b.name == DEFAULT_EMBEDDING_MODEL and not has_embedding_default,
            recommended=b.available,
            model_type=b.model_type,
            provider="local",
            available=b.available,
            dimensions=b.dimensions,
        )
        for b in BUILTIN_MODELS
        if not embeddings_only or b.model_type == "embedding"
    ]
    return builtins + entries


def _unknown_model(name: str) -> UnknownModelError:
    builtins = ", ".join(BUILTINS)
    if name.startswith(LOCAL_PREFIX):
        return UnknownModelError(f"Unknown built-in model '{name}'; built-in models: {builtins}")
    example = name if name.startswith(VIRTUAL_PREFIX) else VIRTUAL_PREFIX + name
    return UnknownModelError(
        f"Model '{name}' is not registered for this tenant. Register it with POST /v1/models, "
        f'e.g. {{"name": "{example}", "provider_config": {{"provider": "<provider>", '
        f'"custom_host": "<url>", "api_key": "<key>"}}}}, or use a built-in model: {builtins}'
    )


def provider_config(model: Model, key: str) -> ProviderConfig:
    """The decrypted provider config of a model (internal only: never return or log it).

    Raises:
        SecretDecryptionError: the secrets were encrypted with another server key.
    """
    try:
        plain = crypto.unseal(model.provider_config, crypto.secret_box(key))
    except SecretDecryptionError as exc:
        raise SecretDecryptionError(f"Model '{model.name}': {exc}") from exc
    return to_provider_config(model.provider, plain, model.config)


def _target(model: Model, kind: Kind, key: str) -> ModelTarget:
    check_kind(model.name, model.model_type, kind)
    if model.provider not in SUPPORTED_PROVIDERS:
        raise ProviderNotSupportedError(
            f"Provider '{model.provider}' is not supported by this server yet (model "
            f"'{model.name}'); supported providers: {', '.join(SUPPORTED_PROVIDERS)}"
        )
    return ModelTarget(
        name=model.name,
        provider=model.provider,
        upstream_model=model.upstream_model,
        model_type=model.model_type,
        config=provider_config(model, key),
        fallbacks=list(model.config.get("fallbacks") or []),
        default_params={k: v for k, v in model.config.items() if k not in _CONFIG_KEYS},
    )


async def resolve(
    session: AsyncSession, tenant_id: uuid.UUID, name: str | None, *, kind: Kind, key: str
) -> ModelTarget:
    """The model a request names, ready for an adapter; `key` decrypts its secrets.

    `name` may be a built-in (`local/...`), a virtual model's name, or that name without its
    `virtual-model/` prefix; None (or blank) means the tenant's default of `kind`.

    Raises:
        NoDefaultModelError: no name, and no default chat model is tagged.
        UnknownModelError: neither built in nor registered (e.g. a bare `ollama/llama3.2`).
        ModelKindMismatchError: e.g. an embedding model asked for chat.
        ProviderNotSupportedError: the model's provider cannot be called by this server.
        SecretDecryptionError: its secrets were encrypted with another server key.
    """
    name = (name or "").strip()
    if not name:
        default = await repository.get_default(
            session, tenant_id=tenant_id, embedding=kind == "embedding"
        )
        if default is not None:
            return _target(default, kind, key)
        if kind == "chat":
            raise NoDefaultModelError(NO_DEFAULT_CHAT)
        return BUILTINS[DEFAULT_EMBEDDING_MODEL].target()
    builtin = BUILTINS.get(name)
    if builtin is not None:
        check_kind(name, builtin.model_type, kind)
        return builtin.target()
    if name.startswith(LOCAL_PREFIX):
        raise _unknown_model(name)
    names = [name] if name.startswith(VIRTUAL_PREFIX) else [name, VIRTUAL_PREFIX + name]
    model = await repository.get_model_by_name(session, tenant_id=tenant_id, names=names)
    if model is None:
        raise _unknown_model(name)
    return _target(model, kind, key)


async def model_exists(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> bool:
    """Whether `name` is a built-in model or one of the tenant's (as `resolve` would find it)."""
    if name in BUILTINS:
        return True
    if name.startswith(LOCAL_PREFIX):
        return False
    names = [name] if name.startswith(VIRTUAL_PREFIX) else [name, VIRTUAL_PREFIX + name]
    return await repository.get_model_by_name(session, tenant_id=tenant_id, names=names) is not None
