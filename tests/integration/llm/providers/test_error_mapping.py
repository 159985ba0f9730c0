"""The translation machinery itself: classes, status table, scrubbing, stream wrapper."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from wxo.api.errors import status_for
from wxo.core.errors import AppError
from wxo.llm.providers.errors import (
    ErrorContext,
    ProviderAuthError,
    ProviderCallError,
    ProviderError,
    ProviderInvalidRequestError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    UpstreamModelNotFoundError,
    body_detail,
    from_status,
    map_exceptions,
    map_stream_exceptions,
    scrub,
)

CTX = ErrorContext(provider="acme", model="big-1", host="api.acme.test", secret="s3cr3t-value")


@pytest.mark.parametrize(
    ("error_type", "status", "code"),
    [
        (ProviderError, 502, "upstream_error"),
        (ProviderTimeoutError, 504, "upstream_timeout"),
        (ProviderAuthError, 401, "upstream_unauthorized"),
        (UpstreamModelNotFoundError, 404, "not_found"),
        (ProviderRateLimitedError, 429, "rate_limited"),
        (ProviderInvalidRequestError, 400, "invalid_input"),
    ],
)
def test_http_status_and_code_of_each_class(
    error_type: type[ProviderCallError], status: int, code: str
) -> None:
    exc = error_type("acme: x", provider="acme")

    assert status_for(exc) == status
    assert exc.code == code
    assert isinstance(exc, AppError)


@pytest.mark.parametrize(
    ("status", "error_type", "retryable"),
    [
        (200, ProviderError, False),
        (408, ProviderTimeoutError, True),
        (409, ProviderError, False),
        (413, ProviderInvalidRequestError, False),
        (422, ProviderInvalidRequestError, False),
        (502, ProviderError, True),
        (529, ProviderError, True),
    ],
)
def test_from_status(status: int, error_type: type[ProviderCallError], retryable: bool) -> None:
    exc = from_status(CTX, status)

    assert type(exc) is error_type
    assert exc.retryable is retryable


def test_scrub_removes_the_secret_and_keylike_strings() -> None:
    text = (
        "bad s3cr3t-value; Authorization: Bearer abc.def.ghi; sk-proj-AbCdEf123456; "
        "api_key=zzzzzzzz; id 0123456789abcdef0123456789abcdef42 ok"
    )

    cleaned = scrub(text, "s3cr3t-value")

    for leaked in ("s3cr3t", "abc.def", "AbCdEf123456", "zzzzzzzz", "0123456789abcdef"):
        assert leaked not in cleaned
    assert cleaned.startswith("bad ***;")
    assert cleaned.endswith("ok")
    assert len(scrub("x" * 1000 + " y")) <= 300


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"error": {"message": "too long", "type": "invalid_request_error"}}, "too long"),
        ({"errors": [{"code": "x", "message": "bad param"}]}, "bad param"),
        ({"object": "error", "message": {"detail": [{"msg": "Field required"}]}}, "Field required"),
        ('{"error": "model not found"}', "model not found"),
        (b"plain text", "plain text"),
        ({"errorCode": "BXNIM0415E", "errorMessage": "key not found"}, "key not found"),
        ({}, None),
    ],
)
def test_body_detail(body: object, detail: str | None) -> None:
    assert body_detail(body) == detail


def test_map_exceptions_lets_foreign_errors_through() -> None:
    with pytest.raises(KeyError), map_exceptions(CTX):
        raise KeyError("not a provider failure")


def test_map_exceptions_prefers_the_sdk_translator() -> None:
    def specific(exc: Exception, ctx: ErrorContext) -> ProviderCallError | None:
        return ProviderError(f"{ctx.provider}: special", provider=ctx.provider)

    with pytest.raises(ProviderError, match="acme: special"), map_exceptions(CTX, specific):
        raise httpx.ConnectError("boom")


async def test_map_stream_exceptions_translates_and_closes() -> None:
    closed = []

    async def source() -> AsyncIterator[int]:
        try:
            yield 1
            raise httpx.ReadTimeout("slow")
        finally:
            closed.append(True)

    items: list[int] = []

    async def consume() -> None:
        async for item in map_stream_exceptions(CTX, source()):
            items.append(item)

    with pytest.raises(ProviderTimeoutError, match="acme: the request timed out"):
        await consume()

    assert items == [1]
    assert closed == [True]
