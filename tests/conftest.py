"""Test fixtures: real PostgreSQL (pgvector) and Redis started once per session, Alembic-migrated.

Per-test isolation follows SQLAlchemy's "join an external transaction" recipe: each test runs in
an outer transaction that is rolled back; service `commit()` calls release savepoints.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from wxo.api.deps import get_session
from wxo.auth import service as auth_service
from wxo.auth.schemas import TenantCreate
from wxo.container import Container, build_container
from wxo.core.config import AuthSettings, Settings
from wxo.core.migrate import upgrade as migrate_upgrade
from wxo.main import create_app
from wxo.runtime.services import backing_services


@dataclass(frozen=True)
class TenantUser:
    """A user with a tenant-scoped token, as tests need it."""

    tenant_id: uuid.UUID
    tenant_name: str
    user_id: uuid.UUID
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header for this user's token."""
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory for the session's embedded services."""
    return tmp_path_factory.mktemp("wxo-data")


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Iterator[Settings]:
    """Settings pointing at freshly started, migrated PostgreSQL and Redis servers."""
    base = Settings(
        environment="test",
        data_dir=data_dir,
        auth=AuthSettings(token_cache_seconds=0),
        _env_file=None,
    )
    base.database.url = None
    base.redis.url = None
    with backing_services(base) as resolved:
        migrate_upgrade(resolved.require_database_url())
        yield resolved


@pytest.fixture(scope="session")
async def container(settings: Settings) -> AsyncIterator[Container]:
    """The real composition root (engine, Redis client, Celery queue)."""
    built = build_container(settings)
    yield built
    await built.close()


@pytest.fixture(scope="session")
def engine(container: Container) -> AsyncEngine:
    """The session-wide async engine."""
    return container.engine


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        async_session = AsyncSession(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield async_session
        finally:
            await async_session.close()
            await outer.rollback()


@pytest.fixture
def app(container: Container, session: AsyncSession) -> FastAPI:
    """The app, every request using the test's rolled-back session."""
    application = create_app(container.settings, container)

    async def test_session() -> AsyncIterator[AsyncSession]:
        yield session

    application.dependency_overrides[get_session] = test_session
    return application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def make_tenant_user(session: AsyncSession, settings: Settings, label: str) -> TenantUser:
    """Create a tenant, a member user and a tenant-scoped token."""
    suffix = uuid.uuid4().hex[:8]
    user = await auth_service.create_user(
        session, username=f"{label}-{suffix}@example.com", password="pw-" + suffix
    )
    tenant = await auth_service.create_tenant(
        session, user_id=user.id, data=TenantCreate(name=f"{label}-{suffix}")
    )
    token, _ = await auth_service.issue_token(
        session, key=settings.signing_key(), user=user, tenant_id=tenant.id
    )
    return TenantUser(
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        user_id=user.id,
        username=user.username,
        token=token,
    )


@pytest.fixture
async def tenant_a(session: AsyncSession, settings: Settings) -> TenantUser:
    """A tenant with a member and a token (rolled back after the test)."""
    return await make_tenant_user(session, settings, "tenant-a")


@pytest.fixture
async def tenant_b(session: AsyncSession, settings: Settings) -> TenantUser:
    """A second, unrelated tenant."""
    return await make_tenant_user(session, settings, "tenant-b")


@pytest.fixture
async def live_client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests commit for real through the engine's pool (for concurrency)."""
    application = create_app(container.settings, container)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def live_tenant(container: Container) -> TenantUser:
    """A committed tenant with a unique name (tests using it must not assume an empty DB)."""
    async with container.sessionmaker() as live_session:
        return await make_tenant_user(live_session, container.settings, "live")
