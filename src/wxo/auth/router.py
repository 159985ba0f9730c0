"""Tokens and tenants (the routes the ADK's local bootstrap calls)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, status

from wxo.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from wxo.auth import service
from wxo.auth.models import Tenant
from wxo.auth.schemas import TenantCreate, TenantRead, TenantUpdate, TokenRead

router = APIRouter(tags=["Auth and tenants"])


def _tenant_read(tenant: Tenant, username: str | None = None) -> TenantRead:
    return TenantRead(
        id=tenant.id,
        name=tenant.name,
        title=tenant.title,
        description=tenant.description,
        tags=tenant.tags,
        settings=tenant.settings,
        created_on=tenant.created_at,
        created_by=str(tenant.created_by) if tenant.created_by else None,
        created_by_username=username,
        updated_at=tenant.updated_at,
    )


@router.post("/auth/token", response_model=TokenRead)
async def create_token(
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(min_length=1, max_length=256)],
    password: Annotated[str, Form(max_length=1024)],
    tenant_id: Annotated[uuid.UUID | None, Query()] = None,
) -> TokenRead:
    """Exchange a username and password for a token; with `tenant_id`, a tenant-scoped one."""
    user = await service.authenticate(session, username=username, password=password)
    token, tenant = await service.issue_token(
        session, key=settings.signing_key(), user=user, tenant_id=tenant_id
    )
    return TokenRead(access_token=token, tenant_id=tenant.id if tenant else None)


@router.get("/tenants", response_model=list[TenantRead])
async def list_tenants(session: SessionDep, principal: CurrentPrincipal) -> list[TenantRead]:
    """Tenants the caller belongs to (bare array)."""
    return [_tenant_read(t) for t in await service.list_tenants(session, principal)]


@router.post("/tenants", response_model=TenantRead, status_code=status.HTTP_201_CREATED)
async def create_tenant(
    session: SessionDep, principal: CurrentPrincipal, body: TenantCreate
) -> TenantRead:
    """Create a tenant; the caller becomes a member."""
    tenant = await service.create_tenant(session, user_id=principal.user_id, data=body)
    return _tenant_read(tenant, principal.username)


@router.get("/tenants/{tenant_id}", response_model=TenantRead)
async def get_tenant(
    session: SessionDep, principal: CurrentPrincipal, tenant_id: uuid.UUID
) -> TenantRead:
    """One tenant the caller belongs to."""
    return _tenant_read(await service.get_tenant(session, principal, tenant_id))


@router.patch("/tenants/{tenant_id}", response_model=TenantRead)
async def update_tenant(
    session: SessionDep, principal: CurrentPrincipal, tenant_id: uuid.UUID, body: TenantUpdate
) -> TenantRead:
    """Update a tenant's title, description, tags or settings."""
    return _tenant_read(await service.update_tenant(session, principal, tenant_id, body))
