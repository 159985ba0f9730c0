"""First-start set-up for development: a default tenant, user and a ready-to-use token."""

from __future__ import annotations

import asyncio
import logging

from wxo.auth import service as auth_service
from wxo.auth.exceptions import InvalidTokenError
from wxo.auth.tokens import TokenCache
from wxo.core.config import Settings
from wxo.core.db import create_engine, create_sessionmaker

logger = logging.getLogger(__name__)


def dev_token(settings: Settings) -> str:
    """The development token kept in `data_dir/dev-token`, issued anew if missing or revoked."""
    path = settings.data_dir / "dev-token"
    stored = path.read_text().strip() if path.exists() else None
    token = asyncio.run(_ensure_dev_token(settings, stored))
    if token != stored:
        path.write_text(token)
        path.chmod(0o600)
    return token


async def _ensure_dev_token(settings: Settings, stored: str | None) -> str:
    """`stored` if still valid; otherwise a new token for the dev user and tenant.

    The dev user and tenant (`settings.auth.dev_*`) are created when missing, so IBM's ADK
    local bootstrap (`POST /api/v1/auth/token` with its default user) works too.
    """
    engine = create_engine(settings.require_database_url(), pool_size=1, max_overflow=0)
    key = settings.signing_key()
    try:
        async with create_sessionmaker(engine)() as session:
            if stored:
                try:
                    await auth_service.verify_token(
                        session, key=key, token=stored, cache=TokenCache(0)
                    )
                    return stored
                except InvalidTokenError:
                    logger.info("stored development token is no longer valid; issuing a new one")
            user = await auth_service.ensure_user(
                session,
                username=settings.auth.dev_username,
                password=settings.auth.dev_password.get_secret_value(),
            )
            tenant = await auth_service.ensure_tenant(
                session, name=settings.auth.dev_tenant, user_id=user.id
            )
            token, _ = await auth_service.issue_token(
                session, key=key, user=user, tenant_id=tenant.id, name="dev"
            )
            return token
    finally:
        await engine.dispose()
