"""watsonx Assistant instance use-cases: register, read, change, delete.

Stored `config`: the WatsonAssistantConfigRequest keys with `api_key` encrypted and
`auth_config` a nested object whose secrets are encrypted (`external_agents.fields.seal`).
Each writing use-case commits once, at its end.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.assistants import repository
from wxo.assistants.exceptions import (
    AssistantNameTakenError,
    AssistantNotFoundError,
    InvalidAssistantError,
)
from wxo.assistants.models import WatsonxAssistant
from wxo.assistants.watsonx_client import DEFAULT_API_VERSION, WatsonxTarget
from wxo.assistants.watsonx_schemas import (
    WatsonAssistantConfig,
    WatsonxAssistantCreate,
    WatsonxAssistantUpdate,
)
from wxo.auth.schemas import TenantPrincipal
from wxo.core.db import commit_unique
from wxo.external_agents import fields
from wxo.external_agents.outbound import Outbound, check_target
from wxo.llm import crypto


def _checked(config: WatsonAssistantConfig, outbound: Outbound) -> None:
    if not config.service_instance_url:
        raise InvalidAssistantError("config.service_instance_url is required")
    if not (config.assistant_id or config.environment_id):
        raise InvalidAssistantError("config needs an assistant_id or an environment_id")
    check_target(config.service_instance_url, outbound)
    if config.authorization_url:
        check_target(config.authorization_url, outbound)


def _sealed(
    config: WatsonAssistantConfig, key: str, stored: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The stored form: hidden lives in its column; secrets encrypted."""
    plain = config.model_dump(mode="json", exclude={"hidden", "auth_config"})
    sealed = fields.seal(plain, key, stored)
    sealed["auth_config"] = fields.seal(
        config.auth_config, key, (stored or {}).get("auth_config") or {}
    )
    return sealed


async def create(
    session: AsyncSession,
    principal: TenantPrincipal,
    data: WatsonxAssistantCreate,
    *,
    key: str,
    outbound: Outbound,
) -> WatsonxAssistant:
    """Register an instance in the caller's tenant.

    Raises:
        InvalidAssistantError: config lacks the URL or the ids; no name, nickname or title.
        RefusedURLError: a URL is not one the server calls.
        AssistantNameTakenError: the name is taken.
    """
    _checked(data.config, outbound)
    name, nickname = fields.name_and_nickname(data.name, data.nickname, data.title)
    values: dict[str, Any] = {
        "name": name,
        "nickname": nickname,
        "title": data.title,
        "description": data.description,
        "tags": data.tags or [],
        "hidden": data.config.hidden,
        "config": _sealed(data.config, key, None),
        "created_by": principal.user_id,
        "created_by_username": principal.username or None,
    }
    return await commit_unique(
        session,
        lambda: repository.insert(session, WatsonxAssistant, principal.tenant_id, values),
        lambda: AssistantNameTakenError(name),
    )


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID
) -> WatsonxAssistant:
    """The tenant's instance. Raises `AssistantNotFoundError` (also for another tenant's)."""
    row = await repository.get(session, WatsonxAssistant, tenant_id, assistant_id)
    if row is None:
        raise AssistantNotFoundError
    return row


async def list_instances(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    include_hidden: bool,
    ids: Sequence[uuid.UUID] | None,
    names: Sequence[str] | None,
) -> Sequence[WatsonxAssistant]:
    """The tenant's instances (hidden ones only with `include_hidden`)."""
    return await repository.list_watsonx(
        session, tenant_id, include_hidden=include_hidden, ids=ids, names=names
    )


def _plain_config(row: WatsonxAssistant, key: str) -> dict[str, Any]:
    plain = fields.unseal({k: v for k, v in row.config.items() if k != "auth_config"}, key)
    plain["auth_config"] = fields.unseal(row.config.get("auth_config") or {}, key)
    return plain


def _merged_config(
    row: WatsonxAssistant, sent: Mapping[str, Any], key: str, outbound: Outbound
) -> dict[str, Any]:
    """The stored config with the sent keys over it (`********` keeps a stored secret)."""
    plain = _plain_config(row, key)
    merged = {**plain, "hidden": row.hidden, **sent}
    for name, value in sent.items():
        if name != "auth_config" and crypto.is_redacted(value):
            merged[name] = plain.get(name)
    if isinstance(sent.get("auth_config"), Mapping):
        stored_auth = plain.get("auth_config") or {}
        merged["auth_config"] = {
            k: stored_auth.get(k) if crypto.is_redacted(v) else v
            for k, v in sent["auth_config"].items()
        }
    try:
        config = WatsonAssistantConfig.model_validate(
            {k: v for k, v in merged.items() if v is not None}
        )
    except ValidationError as exc:
        raise InvalidAssistantError(f"Invalid config: {exc.errors()[0]['msg']}") from None
    _checked(config, outbound)
    return _sealed(config, key, None)


async def update(
    session: AsyncSession,
    row: WatsonxAssistant,
    data: WatsonxAssistantUpdate,
    *,
    key: str,
    outbound: Outbound,
) -> WatsonxAssistant:
    """Change the keys sent; `config` keys are merged over the stored ones.

    A secret sent as `********` keeps the stored one.

    Raises:
        InvalidAssistantError / RefusedURLError / AssistantNameTakenError: as for `create`.
    """
    sent = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {k: sent[k] for k in ("title", "nickname") if k in sent}
    if sent.get("description") is not None:
        changes["description"] = sent["description"]
    if "tags" in sent:
        changes["tags"] = sent["tags"] or []
    if sent.get("name"):
        changes["name"] = sent["name"].strip()
    if data.config is not None:
        patch = data.config.model_dump(mode="json", exclude_unset=True)
        changes["config"] = _merged_config(row, patch, key, outbound)
        if patch.get("hidden") is not None:
            changes["hidden"] = bool(patch["hidden"])
    if data.hidden is not None:
        changes["hidden"] = data.hidden
    if not changes:
        return row
    return await commit_unique(
        session,
        lambda: repository.update_row(session, row, changes),
        lambda: AssistantNameTakenError(changes.get("name", row.name)),
    )


async def delete(session: AsyncSession, row: WatsonxAssistant) -> None:
    """Delete the instance (its secrets with it)."""
    await repository.delete_row(session, row)
    await session.commit()


def target_of(row: WatsonxAssistant, key: str) -> WatsonxTarget:
    """What the client needs to call the instance, secrets decrypted (never log or return it)."""
    plain = _plain_config(row, key)
    return WatsonxTarget(
        name=row.name,
        service_instance_url=str(plain.get("service_instance_url") or ""),
        assistant_id=plain.get("assistant_id"),
        environment_id=plain.get("environment_id"),
        api_version=str(plain.get("api_version") or DEFAULT_API_VERSION),
        auth_type=str(plain.get("auth_type") or "BEARER_TOKEN"),
        api_key=plain.get("api_key"),
        auth_config=plain.get("auth_config") or {},
        authorization_url=plain.get("authorization_url"),
        message_context=plain.get("message_context") or {},
    )
