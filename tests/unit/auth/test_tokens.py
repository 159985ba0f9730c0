"""Token encoding, verification and the short cache."""

import time
import uuid

import jwt
import pytest

from wxo.auth.exceptions import InvalidTokenError
from wxo.auth.schemas import Principal
from wxo.auth.tokens import TokenCache, decode_token, encode_token

KEY = "k" * 40


def _principal() -> Principal:
    return Principal(
        user_id=uuid.uuid4(),
        username="u",
        token_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        tenant_name="t",
    )


def test_token_round_trips_and_carries_adk_tenant_claim() -> None:
    p = _principal()
    token = encode_token(
        KEY,
        token_id=p.token_id,
        user_id=p.user_id,
        username="u",
        tenant_id=p.tenant_id,
        tenant_name="t",
    )
    assert decode_token(KEY, token) == p
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["woTenantId"] == str(p.tenant_id)
    assert "exp" not in claims


def test_token_with_wrong_key_or_garbage_is_rejected() -> None:
    p = _principal()
    token = encode_token(
        KEY, token_id=p.token_id, user_id=p.user_id, username="u", tenant_id=None, tenant_name=None
    )
    with pytest.raises(InvalidTokenError):
        decode_token("o" * 40, token)
    with pytest.raises(InvalidTokenError):
        decode_token(KEY, "garbage")
    unsigned = jwt.encode({"jti": "not-a-uuid", "sub": "x"}, KEY, algorithm="HS256")
    with pytest.raises(InvalidTokenError):
        decode_token(KEY, unsigned)


def test_cache_expires_and_forgets_revoked_ids() -> None:
    p = _principal()
    cache = TokenCache(ttl=0.05)
    cache.put("t", p)
    assert cache.get("t") == p
    cache.forget(p.token_id)
    assert cache.get("t") is None
    cache.put("t", p)
    time.sleep(0.06)
    assert cache.get("t") is None


def test_cache_with_zero_ttl_stores_nothing() -> None:
    cache = TokenCache(ttl=0)
    cache.put("t", _principal())
    assert cache.get("t") is None
