"""Signed bearer tokens (HS256 JWTs, as the local ADK expects) and a short verification cache."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt

from wxo.auth.exceptions import InvalidTokenError
from wxo.auth.schemas import Principal

ALGORITHM = "HS256"


def encode_token(
    key: str,
    *,
    token_id: uuid.UUID,
    user_id: uuid.UUID,
    username: str,
    tenant_id: uuid.UUID | None,
    tenant_name: str | None,
) -> str:
    """A JWT naming the user and (optionally) the tenant; no `exp`: revocation is explicit."""
    claims: dict[str, Any] = {
        "jti": str(token_id),
        "sub": str(user_id),
        "username": username,
        "iat": int(time.time()),
    }
    if tenant_id is not None:
        claims["tenant_id"] = str(tenant_id)
        claims["woTenantId"] = str(tenant_id)
        claims["tenant_name"] = tenant_name
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode_token(key: str, token: str) -> Principal:
    """Check the signature and shape; raises `InvalidTokenError`."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["jti", "sub"]})
        tenant = claims.get("tenant_id")
        return Principal(
            user_id=uuid.UUID(claims["sub"]),
            username=str(claims.get("username", "")),
            token_id=uuid.UUID(claims["jti"]),
            tenant_id=uuid.UUID(tenant) if tenant else None,
            tenant_name=claims.get("tenant_name"),
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidTokenError("Invalid bearer token") from exc


@dataclass
class TokenCache:
    """Remembers tokens verified against the database for `ttl` seconds.

    A revoked token therefore stops working in other processes within `ttl` seconds.
    """

    ttl: float
    max_entries: int = 10_000
    _entries: dict[str, tuple[float, Principal]] = field(default_factory=dict)

    def get(self, token: str) -> Principal | None:
        """A cached principal for this token, if still fresh."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._entries.pop(token, None)
            return None
        return entry[1]

    def put(self, token: str, principal: Principal) -> None:
        """Cache a verified principal."""
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[token] = (time.monotonic() + self.ttl, principal)

    def forget(self, token_id: uuid.UUID) -> None:
        """Drop every cached entry of a token id (after a revoke in this process)."""
        for key in [k for k, (_, p) in self._entries.items() if p.token_id == token_id]:
            self._entries.pop(key, None)
