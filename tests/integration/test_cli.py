"""The `wxo admin` commands against the test database, run as real subprocesses."""

import os
import subprocess
import sys
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.models import AppUser, Tenant, TenantMember
from wxo.container import Container
from wxo.core.config import Settings


def _wxo(
    settings: Settings, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXO_")}
    env["WXO_DATABASE_URL"] = settings.require_database_url()
    env["WXO_DATA_DIR"] = str(settings.data_dir)
    return subprocess.run(
        [sys.executable, "-m", "wxo", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_admin_create_tenant_and_user_make_a_member(container: Container) -> None:
    settings = container.settings
    tenant_name = f"cli-t-{uuid.uuid4().hex[:6]}"
    username = f"cli-u-{uuid.uuid4().hex[:6]}"
    tenant = _wxo(settings, "admin", "create-tenant", "--name", tenant_name)
    assert tenant.returncode == 0, tenant.stderr
    tenant_id = uuid.UUID(tenant.stdout.strip())
    user = _wxo(
        settings,
        "admin",
        "create-user",
        "--username",
        username,
        "--password",
        "pw",
        "--tenant",
        tenant_name,
    )
    assert user.returncode == 0, user.stderr
    user_id = uuid.UUID(user.stdout.strip())

    async with container.sessionmaker() as session:
        assert await session.get(Tenant, tenant_id) is not None
        assert (await session.get(AppUser, user_id)) is not None
        assert await session.get(TenantMember, (tenant_id, user_id)) is not None


async def test_admin_duplicate_user_fails_with_message_and_no_trace(container: Container) -> None:
    username = f"dup-{uuid.uuid4().hex[:6]}"
    first = _wxo(
        container.settings, "admin", "create-user", "--username", username, "--password", "a"
    )
    assert first.returncode == 0, first.stderr
    second = _wxo(
        container.settings, "admin", "create-user", "--username", username, "--password", "b"
    )
    assert second.returncode == 1
    assert f"User '{username}' already exists" in second.stderr
    assert "Traceback" not in second.stderr
    async with container.sessionmaker() as session:
        rows = (await session.execute(select(AppUser).where(AppUser.username == username))).all()
        assert len(rows) == 1


async def test_admin_revoke_unknown_token_id_fails(
    container: Container, session: AsyncSession
) -> None:
    result = _wxo(container.settings, "admin", "revoke-token", str(uuid.uuid4()))
    assert result.returncode == 1
    assert "Token not found" in result.stderr
