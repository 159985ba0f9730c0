"""Model policy routes (`/v1/model_policy`, IBM's `ModelPoliciesClient`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status

from wxo.api.deps import ContainerDep, CurrentTenant, SessionDep
from wxo.llm import policies
from wxo.llm.models import ModelPolicy
from wxo.llm.policy_schemas import ModelPolicyCreate, ModelPolicyDeleted, ModelPolicyRead

router = APIRouter(prefix="/model_policy", tags=["Models"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such model policy in the caller's tenant"}
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A target is not a model of the tenant, or the strategy's rules break"},
    409: {"description": "The tenant already has a model policy with this name"},
}

PolicyIdPath = Annotated[uuid.UUID, Path(description="Id of the model policy.")]


async def valid_owned_policy(
    session: SessionDep, principal: CurrentTenant, model_policy_id: PolicyIdPath
) -> ModelPolicy:
    """The policy named in the path, if it belongs to the caller's tenant (404 otherwise)."""
    return await policies.get_policy(session, principal, model_policy_id)


OwnedPolicy = Annotated[ModelPolicy, Depends(valid_owned_policy)]


@router.post(
    "", response_model=ModelPolicyRead, status_code=status.HTTP_201_CREATED, responses=_WRITE_ERRORS
)
async def create_policy(
    session: SessionDep, container: ContainerDep, principal: CurrentTenant, body: ModelPolicyCreate
) -> ModelPolicyRead:
    """Add a model policy: a name that routes to several models, called like a model.

    Strategies: `fallback` (in order), `loadbalance` (one target drawn by weight), `single`.
    """
    row = await policies.create_policy(session, principal, body)
    container.models.resolutions.forget(principal.tenant_id)
    return ModelPolicyRead.of(row)


@router.get("", response_model=list[ModelPolicyRead])
async def list_policies(
    session: SessionDep,
    principal: CurrentTenant,
    name: Annotated[list[str] | None, Query(description="Only policies with these names.")] = None,
) -> list[ModelPolicyRead]:
    """List the tenant's model policies (bare array)."""
    rows = await policies.list_policies(session, principal, names=[n for n in name or [] if n])
    return [ModelPolicyRead.of(r) for r in rows]


@router.get("/{model_policy_id}", response_model=ModelPolicyRead, responses=_NOT_FOUND)
async def get_policy(policy: OwnedPolicy) -> ModelPolicyRead:
    """Get a model policy by id."""
    return ModelPolicyRead.of(policy)


@router.put(
    "/{model_policy_id}", response_model=ModelPolicyRead, responses={**_NOT_FOUND, **_WRITE_ERRORS}
)
async def replace_policy(
    session: SessionDep, container: ContainerDep, policy: OwnedPolicy, body: ModelPolicyCreate
) -> ModelPolicyRead:
    """Replace a model policy (IBM's client sends the whole policy)."""
    row = await policies.replace_policy(session, policy, body)
    container.models.resolutions.forget(row.tenant_id)
    return ModelPolicyRead.of(row)


@router.delete("/{model_policy_id}", response_model=ModelPolicyDeleted, responses=_NOT_FOUND)
async def delete_policy(
    session: SessionDep, container: ContainerDep, policy: OwnedPolicy
) -> ModelPolicyDeleted:
    """Delete a model policy for good: 200 `{"id", "deleted": true}`."""
    await policies.delete_policy(session, policy)
    container.models.resolutions.forget(policy.tenant_id)
    return ModelPolicyDeleted(id=policy.id)
