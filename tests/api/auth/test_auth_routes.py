"""Contract tests for `/auth/token` and `/tenants` (the ADK's local bootstrap)."""

import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import TenantUser
from wxo.auth import service as auth_service
from wxo.auth.models import ApiToken, Tenant, TenantMember
from wxo.core.config import Settings


@pytest.fixture
async def user_token(session: AsyncSession, settings: Settings) -> tuple[str, str, str]:
    """A user with no tenant: (username, password, unscoped token)."""
    username = f"user-{uuid.uuid4().hex[:8]}"
    user = await auth_service.create_user(session, username=username, password="s3cret")
    token, _ = await auth_service.issue_token(session, key=settings.signing_key(), user=user)
    return username, "s3cret", token


@pytest.mark.parametrize("prefix", ["/api/v1", "/v1"])
async def test_token_for_valid_password_is_a_jwt_without_tenant(
    client: httpx.AsyncClient, user_token: tuple[str, str, str], prefix: str
) -> None:
    username, password, _ = user_token
    response = await client.post(
        f"{prefix}/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["tenant_id"] is None
    assert body["access_token"].count(".") == 2


async def test_token_for_wrong_password_is_401_and_records_nothing(
    client: httpx.AsyncClient, session: AsyncSession, user_token: tuple[str, str, str]
) -> None:
    username, _, _ = user_token
    before = len((await session.execute(select(ApiToken))).scalars().all())
    response = await client.post(
        "/api/v1/auth/token", data={"username": username, "password": "wrong"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "Incorrect username or password"}
    assert len((await session.execute(select(ApiToken))).scalars().all()) == before


async def test_token_for_unknown_user_is_401_like_wrong_password(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect username or password"}


async def test_token_without_form_fields_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/token", data={"username": "x"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(item["loc"] == ["body", "password"] for item in detail)


async def test_adk_bootstrap_flow_creates_tenant_and_scoped_token(
    client: httpx.AsyncClient, session: AsyncSession, user_token: tuple[str, str, str]
) -> None:
    username, password, token = user_token
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/tenants", headers=headers)).json() == []

    name = f"wxo-dev-{uuid.uuid4().hex[:6]}"
    created = await client.post(
        "/api/v1/tenants",
        headers=headers,
        json={"name": name, "title": "WatsonX Orchestrate Development", "tags": ["test"]},
    )
    assert created.status_code == 201
    tenant = created.json()
    assert tenant["name"] == name
    assert tenant["tags"] == ["test"]
    assert tenant["created_by_username"] == username

    listed = (await client.get("/api/v1/tenants", headers=headers)).json()
    assert [t["id"] for t in listed] == [tenant["id"]]

    scoped = await client.post(
        f"/api/v1/auth/token?tenant_id={tenant['id']}",
        data={"username": username, "password": password},
    )
    assert scoped.status_code == 200
    assert scoped.json()["tenant_id"] == tenant["id"]
    row = (
        await session.execute(
            select(TenantMember).where(TenantMember.tenant_id == uuid.UUID(tenant["id"]))
        )
    ).scalar_one()
    assert row.user_id is not None

    threads = await client.get(
        "/v1/threads", headers={"Authorization": f"Bearer {scoped.json()['access_token']}"}
    )
    assert threads.status_code == 200


async def test_duplicate_tenant_name_is_409(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.post(
        "/api/v1/tenants", headers=tenant_a.headers, json={"name": tenant_a.tenant_name}
    )
    assert response.status_code == 409
    assert tenant_a.tenant_name in response.json()["detail"]


async def test_tenant_name_with_spaces_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    response = await client.post(
        "/api/v1/tenants", headers=tenant_a.headers, json={"name": "has spaces"}
    )
    assert response.status_code == 422
    found = await session.execute(select(Tenant).where(Tenant.name == "has spaces"))
    assert found.scalar_one_or_none() is None


async def test_token_for_tenant_user_is_not_member_of_is_404(
    client: httpx.AsyncClient, tenant_b: TenantUser, user_token: tuple[str, str, str]
) -> None:
    username, password, _ = user_token
    response = await client.post(
        f"/api/v1/auth/token?tenant_id={tenant_b.tenant_id}",
        data={"username": username, "password": password},
    )
    assert response.status_code == 404


async def test_unscoped_token_on_tenant_route_is_403_with_hint(
    client: httpx.AsyncClient, user_token: tuple[str, str, str]
) -> None:
    response = await client.get("/v1/threads", headers={"Authorization": f"Bearer {user_token[2]}"})
    assert response.status_code == 403
    assert "tenant_id" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer not-a-jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4Iiwic3ViIjoieCJ9.c2lnbmF0dXJl",
    ],
)
async def test_missing_or_bad_token_is_401_with_www_authenticate(
    client: httpx.AsyncClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    for path in ("/v1/threads", "/api/v1/threads", "/api/v1/tenants"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert isinstance(response.json()["detail"], str)


async def test_token_signed_with_another_key_is_401(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser
) -> None:
    user = await auth_service.ensure_user(session, username=tenant_a.username, password=None)
    forged, _ = await auth_service.issue_token(
        session, key="another-key-" + "x" * 40, user=user, tenant_id=tenant_a.tenant_id
    )
    response = await client.get("/v1/threads", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_revoked_token_stops_working(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, tenant_a: TenantUser
) -> None:
    assert (await client.get("/v1/threads", headers=tenant_a.headers)).status_code == 200
    token_id = auth_service.token_id_of(settings.signing_key(), tenant_a.token)
    await auth_service.revoke_token(session, token_id=token_id)
    response = await client.get("/v1/threads", headers=tenant_a.headers)
    assert response.status_code == 401
    record = await session.get(ApiToken, token_id)
    assert record is not None
    assert record.revoked_at is not None


async def test_get_and_patch_tenant(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    url = f"/v1/tenants/{tenant_a.tenant_id}"
    got = await client.get(url, headers=tenant_a.headers)
    assert got.status_code == 200
    assert got.json()["name"] == tenant_a.tenant_name

    patched = await client.patch(
        url,
        headers=tenant_a.headers,
        json={"title": "New title", "settings": {"user_settings": {"confirm_routing": True}}},
    )
    assert patched.status_code == 200
    assert patched.json()["title"] == "New title"
    stored = await session.get(Tenant, tenant_a.tenant_id)
    assert stored is not None
    await session.refresh(stored)
    assert stored.settings == {"user_settings": {"confirm_routing": True}}

    other = await client.get(url, headers=tenant_b.headers)
    assert other.status_code == 404
    assert (
        await client.patch(url, headers=tenant_b.headers, json={"title": "x"})
    ).status_code == 404


async def test_patch_tenant_with_unknown_field_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.patch(
        f"/v1/tenants/{tenant_a.tenant_id}", headers=tenant_a.headers, json={"name": "rename"}
    )
    assert response.status_code == 422
