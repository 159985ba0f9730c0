"""Queries for tenants, users, memberships and tokens. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.models import ApiToken, AppUser, Tenant, TenantMember


async def get_user_by_username(session: AsyncSession, username: str) -> AppUser | None:
    """The user with this username, if any."""
    return (
        await session.execute(select(AppUser).where(AppUser.username == username))
    ).scalar_one_or_none()


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> AppUser | None:
    """The user with this id, if any."""
    return await session.get(AppUser, user_id)


async def insert_user(session: AsyncSession, *, username: str, password_hash: str) -> AppUser:
    """Add a user."""
    user = AppUser(username=username, password_hash=password_hash)
    session.add(user)
    await session.flush()
    return user


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    """The tenant with this id, if any."""
    return await session.get(Tenant, tenant_id)


async def get_tenant_by_name(session: AsyncSession, name: str) -> Tenant | None:
    """The tenant with this name, if any."""
    return (await session.execute(select(Tenant).where(Tenant.name == name))).scalar_one_or_none()


async def insert_tenant(
    session: AsyncSession,
    *,
    name: str,
    title: str | None,
    description: str | None,
    tags: list[str],
    created_by: uuid.UUID | None,
) -> Tenant:
    """Add a tenant."""
    tenant = Tenant(
        name=name,
        title=title,
        description=description,
        tags=tags,
        settings={},
        created_by=created_by,
    )
    session.add(tenant)
    await session.flush()
    await session.refresh(tenant)
    return tenant


async def update_tenant(
    session: AsyncSession, tenant: Tenant, changes: dict[str, Any], now: datetime
) -> Tenant:
    """Apply `changes` to `tenant`."""
    for key, value in changes.items():
        setattr(tenant, key, value)
    tenant.updated_at = now
    await session.flush()
    return tenant


async def add_member(session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Make `user_id` a member of `tenant_id` (no-op if already one)."""
    await session.execute(
        pg_insert(TenantMember)
        .values(tenant_id=tenant_id, user_id=user_id)
        .on_conflict_do_nothing()
    )


async def is_member(session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether the user belongs to the tenant."""
    row = await session.get(TenantMember, (tenant_id, user_id))
    return row is not None


async def list_tenants_for_user(session: AsyncSession, user_id: uuid.UUID) -> Sequence[Tenant]:
    """Tenants the user belongs to, oldest first."""
    stmt = (
        select(Tenant)
        .join(TenantMember, TenantMember.tenant_id == Tenant.id)
        .where(TenantMember.user_id == user_id)
        .order_by(Tenant.created_at, Tenant.name)
    )
    return (await session.execute(stmt)).scalars().all()


async def insert_token(
    session: AsyncSession, *, user_id: uuid.UUID, tenant_id: uuid.UUID | None, name: str | None
) -> ApiToken:
    """Record an issued token."""
    token = ApiToken(user_id=user_id, tenant_id=tenant_id, name=name)
    session.add(token)
    await session.flush()
    return token


async def get_token(session: AsyncSession, token_id: uuid.UUID) -> ApiToken | None:
    """The token record with this id, if any."""
    return await session.get(ApiToken, token_id)


async def revoke_token(session: AsyncSession, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark a token revoked; False if no such token."""
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(ApiToken.id)
    )
    if result.scalar_one_or_none() is not None:
        return True
    return await session.get(ApiToken, token_id) is not None
