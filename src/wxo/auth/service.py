"""Use-cases for users, tenants and tokens. Each writing use-case commits once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth import repository
from wxo.auth.exceptions import (
    InvalidCredentialsError,
    InvalidTokenError,
    TenantExistsError,
    TenantNotFoundError,
    TenantScopeRequiredError,
    TokenNotFoundError,
    UserExistsError,
    UserNotFoundError,
)
from wxo.auth.models import AppUser, Tenant
from wxo.auth.schemas import Principal, TenantCreate, TenantPrincipal, TenantUpdate
from wxo.auth.tokens import TokenCache, decode_token, encode_token
from wxo.core.time import utcnow

# A hash computed once so that unknown usernames cost as much as wrong passwords.
_DUMMY_PASSWORD = "not-a-real-password"  # noqa: S105


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(_DUMMY_PASSWORD)


def _verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_user(session: AsyncSession, *, username: str, password: str) -> AppUser:
    """Create a user with an Argon2id password hash.

    Raises:
        UserExistsError: the username is taken.
    """
    if await repository.get_user_by_username(session, username) is not None:
        raise UserExistsError(f"User '{username}' already exists")
    password_hash = await asyncio.to_thread(_hasher().hash, password)
    user = await repository.insert_user(session, username=username, password_hash=password_hash)
    await session.commit()
    return user


async def ensure_user(session: AsyncSession, *, username: str, password: str | None) -> AppUser:
    """The user named `username`, created (with `password` or a random one) when missing."""
    user = await repository.get_user_by_username(session, username)
    if user is not None:
        return user
    return await create_user(session, username=username, password=password or uuid.uuid4().hex)


async def authenticate(session: AsyncSession, *, username: str, password: str) -> AppUser:
    """The user if the password matches.

    Raises:
        InvalidCredentialsError: unknown user or wrong password (indistinguishable).
    """
    user = await repository.get_user_by_username(session, username)
    stored = user.password_hash if user is not None else _dummy_hash()
    ok = await asyncio.to_thread(_verify_password, stored, password)
    if user is None or not ok:
        raise InvalidCredentialsError("Incorrect username or password")
    return user


async def create_tenant(
    session: AsyncSession, *, user_id: uuid.UUID | None, data: TenantCreate
) -> Tenant:
    """Create a tenant; its creator becomes a member.

    Raises:
        TenantExistsError: the name is taken.
    """
    if await repository.get_tenant_by_name(session, data.name) is not None:
        raise TenantExistsError(f"Tenant '{data.name}' already exists")
    try:
        tenant = await repository.insert_tenant(
            session,
            name=data.name,
            title=data.title,
            description=data.description,
            tags=data.tags,
            created_by=user_id,
        )
        if user_id is not None:
            await repository.add_member(session, tenant_id=tenant.id, user_id=user_id)
        await session.commit()
    except IntegrityError as exc:  # a concurrent create of the same name
        await session.rollback()
        raise TenantExistsError(f"Tenant '{data.name}' already exists") from exc
    return tenant


async def ensure_tenant(session: AsyncSession, *, name: str, user_id: uuid.UUID) -> Tenant:
    """The tenant named `name` (created when missing) with `user_id` as a member."""
    tenant = await repository.get_tenant_by_name(session, name)
    if tenant is None:
        return await create_tenant(session, user_id=user_id, data=TenantCreate(name=name))
    await repository.add_member(session, tenant_id=tenant.id, user_id=user_id)
    await session.commit()
    return tenant


async def add_member(session: AsyncSession, *, tenant_name: str, username: str) -> None:
    """Give an existing user access to an existing tenant."""
    tenant = await repository.get_tenant_by_name(session, tenant_name)
    if tenant is None:
        raise TenantNotFoundError(f"Tenant '{tenant_name}' not found")
    user = await repository.get_user_by_username(session, username)
    if user is None:
        raise UserNotFoundError(f"User '{username}' not found")
    await repository.add_member(session, tenant_id=tenant.id, user_id=user.id)
    await session.commit()


async def list_tenants(session: AsyncSession, principal: Principal) -> Sequence[Tenant]:
    """Tenants the caller belongs to."""
    return await repository.list_tenants_for_user(session, principal.user_id)


async def get_tenant(session: AsyncSession, principal: Principal, tenant_id: uuid.UUID) -> Tenant:
    """A tenant the caller belongs to.

    Raises:
        TenantNotFoundError: no such tenant, or the caller is not a member.
    """
    tenant = await repository.get_tenant(session, tenant_id)
    if tenant is None or not await repository.is_member(
        session, tenant_id=tenant_id, user_id=principal.user_id
    ):
        raise TenantNotFoundError("Tenant not found")
    return tenant


async def update_tenant(
    session: AsyncSession, principal: Principal, tenant_id: uuid.UUID, data: TenantUpdate
) -> Tenant:
    """Change a tenant's title, description, tags or settings."""
    tenant = await get_tenant(session, principal, tenant_id)
    tenant = await repository.update_tenant(
        session, tenant, data.model_dump(exclude_unset=True), utcnow()
    )
    await session.commit()
    return tenant


async def issue_token(
    session: AsyncSession,
    *,
    key: str,
    user: AppUser,
    tenant_id: uuid.UUID | None = None,
    name: str | None = None,
) -> tuple[str, Tenant | None]:
    """Issue a token for `user`, scoped to `tenant_id` when given.

    Raises:
        TenantNotFoundError: no such tenant, or the user is not a member.
    """
    tenant: Tenant | None = None
    if tenant_id is not None:
        tenant = await repository.get_tenant(session, tenant_id)
        if tenant is None or not await repository.is_member(
            session, tenant_id=tenant_id, user_id=user.id
        ):
            raise TenantNotFoundError("Tenant not found")
    record = await repository.insert_token(session, user_id=user.id, tenant_id=tenant_id, name=name)
    await session.commit()
    token = encode_token(
        key,
        token_id=record.id,
        user_id=user.id,
        username=user.username,
        tenant_id=tenant.id if tenant else None,
        tenant_name=tenant.name if tenant else None,
    )
    return token, tenant


async def create_token_for(
    session: AsyncSession, *, key: str, tenant_name: str, username: str, name: str | None = None
) -> str:
    """Create the tenant and the user when missing, then issue a tenant-scoped token."""
    user = await ensure_user(session, username=username, password=None)
    tenant = await ensure_tenant(session, name=tenant_name, user_id=user.id)
    token, _ = await issue_token(session, key=key, user=user, tenant_id=tenant.id, name=name)
    return token


async def verify_token(
    session: AsyncSession, *, key: str, token: str, cache: TokenCache
) -> Principal:
    """The principal behind a bearer token.

    Raises:
        InvalidTokenError: bad signature, unknown or revoked token.
    """
    cached = cache.get(token)
    if cached is not None:
        return cached
    principal = decode_token(key, token)
    record = await repository.get_token(session, principal.token_id)
    if record is None or record.revoked_at is not None or record.user_id != principal.user_id:
        raise InvalidTokenError("Token is unknown or revoked")
    cache.put(token, principal)
    return principal


def require_tenant(principal: Principal) -> TenantPrincipal:
    """Narrow to a tenant-scoped principal.

    Raises:
        TenantScopeRequiredError: the token names no tenant.
    """
    if principal.tenant_id is None:
        raise TenantScopeRequiredError(
            "This token is not scoped to a tenant; get one with "
            "POST /api/v1/auth/token?tenant_id=<tenant id>"
        )
    return TenantPrincipal(
        user_id=principal.user_id,
        username=principal.username,
        token_id=principal.token_id,
        tenant_id=principal.tenant_id,
        tenant_name=principal.tenant_name or "",
    )


async def revoke_token(
    session: AsyncSession, *, token_id: uuid.UUID, cache: TokenCache | None = None
) -> None:
    """Revoke a token by id (idempotent).

    Raises:
        TokenNotFoundError: no such token.
    """
    if not await repository.revoke_token(session, token_id, utcnow()):
        raise TokenNotFoundError("Token not found")
    await session.commit()
    if cache is not None:
        cache.forget(token_id)


def token_id_of(key: str, token: str) -> uuid.UUID:
    """The id (`jti`) inside a token string, after checking its signature."""
    return decode_token(key, token).token_id
