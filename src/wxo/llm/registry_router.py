"""Model registry routes (`/v1/models`): virtual models of the tenant, and the model catalog."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status

from wxo.api.deps import ContainerDep, CurrentTenant, SessionDep, SettingsDep
from wxo.llm import registry
from wxo.llm.models import Model
from wxo.llm.registry_schemas import (
    CatalogPage,
    ModelCreate,
    ModelDeleted,
    ModelPatch,
    ModelRead,
)

router = APIRouter(prefix="/models", tags=["Models"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such model in the caller's tenant"}
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Unknown provider, reserved name, or a configuration rule broken"},
    409: {"description": "The tenant already has a model with this name"},
}

ModelIdPath = Annotated[uuid.UUID, Path(description="Id of the model.")]


async def valid_owned_model(
    session: SessionDep, principal: CurrentTenant, model_id: ModelIdPath
) -> Model:
    """The model named in the path, if it belongs to the caller's tenant (404 otherwise)."""
    return await registry.get_model(session, principal, model_id)


OwnedModel = Annotated[Model, Depends(valid_owned_model)]


# The catalog routes come first, so that `/models/list` is never read as a model id.
@router.get("/list", response_model=CatalogPage)
async def list_catalog(
    session: SessionDep,
    principal: CurrentTenant,
    ids: Annotated[
        list[uuid.UUID] | None,
        Query(alias="id", description="Only the registered models with these ids."),
    ] = None,
) -> CatalogPage:
    """List built-in models and the tenant's virtual models (`{"resources": [...]}`)."""
    return CatalogPage(resources=await registry.list_catalog(session, principal, ids=ids))


@router.get("/list/embeddings", response_model=CatalogPage)
async def list_embedding_catalog(session: SessionDep, principal: CurrentTenant) -> CatalogPage:
    """List the embedding models: built-in and the tenant's virtual ones."""
    entries = await registry.list_catalog(session, principal, embeddings_only=True)
    return CatalogPage(resources=entries)


@router.post(
    "",
    response_model=ModelRead,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE_ERRORS,
)
async def create_model(
    session: SessionDep,
    container: ContainerDep,
    principal: CurrentTenant,
    settings: SettingsDep,
    body: ModelCreate,
) -> ModelRead:
    """Register a virtual model (IBM's `VirtualModel`); secrets are stored encrypted."""
    model = await registry.create_model(session, principal, body, key=settings.signing_key())
    container.models.resolutions.forget(model.tenant_id)  # e.g. a new tenant default
    return ModelRead.of(model)


@router.get("", response_model=list[ModelRead])
async def list_models(
    session: SessionDep,
    principal: CurrentTenant,
    name: Annotated[list[str] | None, Query(description="Only models with these names.")] = None,
    names: Annotated[
        list[str] | None,
        Query(description="Only models with these names (repeated, or comma-separated)."),
    ] = None,
) -> list[ModelRead]:
    """List the tenant's virtual models (bare array; secrets read `********`)."""
    wanted = [n for n in name or [] if n]
    wanted += [part.strip() for n in names or [] for part in n.split(",") if part.strip()]
    models = await registry.list_models(session, principal, names=wanted or None)
    return [ModelRead.of(m) for m in models]


@router.get("/{model_id}", response_model=ModelRead, responses=_NOT_FOUND)
async def get_model(model: OwnedModel) -> ModelRead:
    """Get a virtual model by id (secrets read `********`)."""
    return ModelRead.of(model)


@router.put("/{model_id}", response_model=ModelRead, responses={**_NOT_FOUND, **_WRITE_ERRORS})
async def replace_model(
    session: SessionDep,
    container: ContainerDep,
    settings: SettingsDep,
    model: OwnedModel,
    body: ModelCreate,
) -> ModelRead:
    """Replace a virtual model; a secret sent as `********` keeps the stored one."""
    updated = await registry.replace_model(session, model, body, key=settings.signing_key())
    container.models.resolutions.forget(model.tenant_id)
    return ModelRead.of(updated)


@router.patch("/{model_id}", response_model=ModelRead, responses={**_NOT_FOUND, **_WRITE_ERRORS})
async def patch_model(
    session: SessionDep,
    container: ContainerDep,
    settings: SettingsDep,
    model: OwnedModel,
    body: ModelPatch,
) -> ModelRead:
    """Update the fields sent; `config` and `provider_config` merge key by key."""
    updated = await registry.patch_model(session, model, body, key=settings.signing_key())
    container.models.resolutions.forget(model.tenant_id)
    return ModelRead.of(updated)


@router.delete("/{model_id}", response_model=ModelDeleted, responses=_NOT_FOUND)
async def delete_model(
    session: SessionDep, container: ContainerDep, model: OwnedModel
) -> ModelDeleted:
    """Delete a virtual model for good: 200 `{"id", "deleted": true}`."""
    await registry.delete_model(session, model)
    container.models.resolutions.forget(model.tenant_id)
    return ModelDeleted(id=model.id)
