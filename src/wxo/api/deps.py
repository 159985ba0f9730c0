"""Request dependencies shared by every router (Annotated aliases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth import service as auth_service
from wxo.auth.exceptions import InvalidTokenError
from wxo.auth.schemas import Principal, TenantPrincipal
from wxo.auth.tokens import TokenCache
from wxo.container import Container
from wxo.core.config import Settings


async def get_container(request: Request) -> Container:
    """The container built at start-up (async: FastAPI runs sync dependencies in a thread)."""
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def get_settings_dep(container: ContainerDep) -> Settings:
    """The settings the app was built with."""
    return container.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; closing it rolls back anything not committed."""
    container: Container = request.app.state.container
    async with container.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


bearer_scheme = HTTPBearer(
    auto_error=False,
    description="Bearer authentication header of the form Bearer <token>, where <token> is your auth token.",
)


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def _verify(
    request: Request, session: AsyncSession, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    # The auth chain is three dependencies (session, bearer header, this): FastAPI's dependency
    # solving is a measurable share of the cheapest routes' time (bench/threads.py, list-50).
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise InvalidTokenError("Not authenticated: send 'Authorization: Bearer <token>'")
    container: Container = request.app.state.container
    cache: TokenCache = request.app.state.token_cache
    return await auth_service.verify_token(
        session, key=container.settings.signing_key(), token=credentials.credentials, cache=cache
    )


async def get_principal(
    request: Request, session: SessionDep, credentials: Credentials
) -> Principal:
    """The caller behind the bearer token (401 without a valid one)."""
    return await _verify(request, session, credentials)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_tenant_principal(
    request: Request, session: SessionDep, credentials: Credentials
) -> TenantPrincipal:
    """The caller, whose token must be scoped to a tenant (401 without a valid one, else 403)."""
    return auth_service.require_tenant(await _verify(request, session, credentials))


CurrentTenant = Annotated[TenantPrincipal, Depends(get_tenant_principal)]
