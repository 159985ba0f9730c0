"""Model policies: CRUD, and turning a policy into a `Route` for the proxy.

A policy's name is called like a model name (`model` of a chat or embedding request). When a
name is both a model and a policy, the model wins. Every target must be a model the tenant can
call when the policy is written; a target deleted later makes calls through the policy fail
with the usual unknown-model error.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.llm import registry
from wxo.llm.exceptions import (
    InvalidModelPolicyError,
    ModelPolicyExistsError,
    ModelPolicyNotFoundError,
)
from wxo.llm.models import ModelPolicy
from wxo.llm.policy_schemas import ModelPolicyCreate, PolicyConfig
from wxo.llm.routing import Route

POLICY_PREFIX = "virtual-policy/"


def _not_found() -> ModelPolicyNotFoundError:
    return ModelPolicyNotFoundError("Model policy not found")


async def _check_targets(session: AsyncSession, tenant_id: uuid.UUID, config: PolicyConfig) -> None:
    names = [t.model_name for t in config.targets]
    if len(set(names)) != len(names):
        raise InvalidModelPolicyError("A policy names each target model at most once")
    for name in names:
        if not await registry.model_exists(session, tenant_id, name):
            raise InvalidModelPolicyError(
                f"Policy target '{name}' is not a model of this tenant: register it with "
                "POST /v1/models first (policies route only to virtual or built-in models)"
            )
    if config.strategy.mode == "single" and len(names) != 1:
        raise InvalidModelPolicyError("A 'single' policy has exactly one target")


async def _save(session: AsyncSession, row: ModelPolicy, data: ModelPolicyCreate) -> ModelPolicy:
    await _check_targets(session, row.tenant_id, data.policy)
    row.name = data.name
    row.display_name = data.display_name
    row.description = data.description
    row.policy = data.policy.model_dump(exclude_none=True)
    row.updated_at = func.statement_timestamp()
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise ModelPolicyExistsError(
            f"A model policy named '{data.name}' already exists in this tenant"
        ) from None
    await session.commit()
    await session.refresh(row)
    return row


async def create_policy(
    session: AsyncSession, principal: TenantPrincipal, data: ModelPolicyCreate
) -> ModelPolicy:
    """Add a policy to the caller's tenant.

    Raises:
        ModelPolicyExistsError: the name is taken.
        InvalidModelPolicyError: a target is unknown, repeated, or `single` has several.
    """
    row = ModelPolicy(id=uuid.uuid4(), tenant_id=principal.tenant_id, created_by=principal.user_id)
    return await _save(session, row, data)


async def list_policies(
    session: AsyncSession, principal: TenantPrincipal, *, names: Sequence[str] | None = None
) -> Sequence[ModelPolicy]:
    """The tenant's policies by name (all, or those named)."""
    stmt = select(ModelPolicy).where(ModelPolicy.tenant_id == principal.tenant_id)
    if names:
        stmt = stmt.where(ModelPolicy.name.in_(list(names)))
    return (await session.scalars(stmt.order_by(ModelPolicy.name))).all()


async def get_policy(
    session: AsyncSession, principal: TenantPrincipal, policy_id: uuid.UUID
) -> ModelPolicy:
    """One policy of the caller's tenant.

    Raises:
        ModelPolicyNotFoundError: no such policy, or another tenant's.
    """
    row = await session.scalar(
        select(ModelPolicy).where(
            ModelPolicy.id == policy_id, ModelPolicy.tenant_id == principal.tenant_id
        )
    )
    if row is None:
        raise _not_found()
    return row


async def replace_policy(
    session: AsyncSession, row: ModelPolicy, data: ModelPolicyCreate
) -> ModelPolicy:
    """Replace every field of a policy (IBM's client sends the whole policy).

    Raises:
        ModelPolicyExistsError, InvalidModelPolicyError: as for `create_policy`.
    """
    return await _save(session, row, data)


async def delete_policy(session: AsyncSession, row: ModelPolicy) -> None:
    """Delete a policy for good."""
    await session.execute(
        delete(ModelPolicy).where(ModelPolicy.id == row.id, ModelPolicy.tenant_id == row.tenant_id)
    )
    await session.commit()


async def route(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    name: str,
    *,
    kind: Literal["chat", "embedding"],
    key: str,
) -> Route | None:
    """The route of the tenant's policy called `name` (with or without `virtual-policy/`).

    None when there is no such policy.

    Raises:
        NotFoundError, ModelKindMismatchError, ...: a target cannot be resolved (see
            `registry.resolve`).
    """
    names = [name] if name.startswith(POLICY_PREFIX) else [name, POLICY_PREFIX + name]
    rows = (
        await session.scalars(
            select(ModelPolicy).where(
                ModelPolicy.tenant_id == tenant_id, ModelPolicy.name.in_(names)
            )
        )
    ).all()
    row = next((r for n in names for r in rows if r.name == n), None)
    if row is None:
        return None
    config = PolicyConfig.model_validate(row.policy)
    targets = [
        await registry.resolve(session, tenant_id, t.model_name, kind=kind, key=key)
        for t in config.targets
    ]
    retry = config.retry
    return Route(
        targets=tuple(targets),
        mode=config.strategy.mode,
        weights=tuple(t.weight or 1.0 for t in config.targets),
        retry_attempts=retry.attempts if retry else None,
        retry_on=frozenset(retry.on_status_codes) if retry and retry.on_status_codes else None,
        fallback_on=(
            frozenset(config.strategy.on_status_codes) if config.strategy.on_status_codes else None
        ),
    )
