"""Provider failures, translated at the adapter edge into the app's error tree.

Every adapter wraps its SDK calls in :func:`map_exceptions` (or iterates a stream through
:func:`map_stream_exceptions`) with a translator for its SDK's exception types. The resulting
errors all derive from :class:`ProviderCallError` and carry:

* ``provider`` - the provider's name, which every message starts with;
* ``status_code`` - the upstream HTTP status, when there was one;
* ``retryable`` - whether the same request may succeed later (429, 5xx, timeouts, connection
  errors), for retries and fallbacks;
* ``retry_after`` - seconds the provider asked us to wait (429 ``Retry-After``), if it said.

Messages never contain the API key nor the upstream body: bodies can echo credentials (OpenAI's
401 names part of the key). Only for a rejected request (400/413/422) and for an error reported
inside a stream is the provider's own short message kept, with the key and key-like strings
removed and cut to :data:`MAX_DETAIL_CHARS`. The original
exception is not chained (``from None``) so that a logged traceback cannot leak it either.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import httpx2
from pydantic import ValidationError

from wxo.core.errors import (
    AppError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamTimeoutError,
)

MAX_DETAIL_CHARS = 300

T = TypeVar("T")


class ProviderCallError(AppError):
    """Base of every translated provider failure (not raised itself)."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code
        self.retryable = retryable
        self.retry_after = retry_after


class ProviderError(ProviderCallError, UpstreamError):
    """The provider failed: 5xx, connection error, malformed answer, unexpected status (502)."""


class ProviderTimeoutError(ProviderCallError, UpstreamTimeoutError):
    """The provider did not answer in time (504)."""


class ProviderAuthError(ProviderCallError, UpstreamAuthError):
    """The provider rejected the configured credentials, 401 or 403 (401)."""


class UpstreamModelNotFoundError(ProviderCallError, NotFoundError):
    """The provider does not know the model, or the endpoint (404)."""


class ProviderRateLimitedError(ProviderCallError, RateLimitedError):
    """The provider asked us to slow down (429)."""


class ProviderInvalidRequestError(ProviderCallError, InvalidInputError):
    """The provider rejected the request as invalid, 400 or 422: e.g. too long a context (400)."""


class ProviderNotSupportedError(InvalidInputError):
    """No adapter exists for this provider name."""


class ProviderConfigError(InvalidInputError):
    """The model's provider configuration lacks something the adapter needs."""


@dataclass(frozen=True)
class ErrorContext:
    """What an error message may name: the provider, the model, the host (never credentials)."""

    provider: str
    model: str = ""
    host: str = ""
    secret: str | None = None


Translator = Callable[[Exception, ErrorContext], ProviderCallError | None]

_KEYLIKE = re.compile(
    r"(?i)(bearer\s+\S+|\b(?:sk|pk|rk|key|api[_-]?key|token)[-_:=][\w*.\-]{4,}|[A-Za-z0-9_\-]{32,})"
)


def scrub(text: str, secret: str | None = None) -> str:
    """Remove the secret and anything key-like from ``text``, and cut it short."""
    if secret:
        text = text.replace(secret, "***")
    text = _KEYLIKE.sub("***", " ".join(text.split()))
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 3] + "..."


def _find_message(value: Any) -> str | None:
    """The human message in an error body of any provider's usual shape."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, list) and value:
        return _find_message(value[0])
    if isinstance(value, Mapping):
        for key in ("message", "error", "detail", "errors", "msg", "errorMessage"):
            if key in value and (found := _find_message(value[key])):
                return found
    return None


def body_detail(body: Any) -> str | None:
    """Extract the provider's own message from an error body (text, bytes or parsed JSON)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return body.strip() or None
    return _find_message(body)


def _parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    for name in ("retry-after", "Retry-After", "x-ratelimit-reset-requests"):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return max(0.0, float(raw.rstrip("s")))
        except ValueError:
            return None
    return None


def from_status(
    ctx: ErrorContext,
    status: int,
    *,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
) -> ProviderCallError:
    """The error for an upstream HTTP status."""
    p = ctx.provider
    if status < 400:  # a success status the SDK could not read
        return malformed_error(ctx)
    if status in (401, 403):
        what = (
            "rejected the API key"
            if status == 401
            else "refused access with the configured credentials"
        )
        return ProviderAuthError(
            f"{p}: the provider {what} ({status})", provider=p, status_code=status
        )
    if status == 404:
        model = f"model '{ctx.model}'" if ctx.model else "the model"
        return UpstreamModelNotFoundError(
            f"{p}: {model} or its endpoint was not found (404)", provider=p, status_code=404
        )
    if status == 429:
        retry_after = _parse_retry_after(headers)
        hint = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        return ProviderRateLimitedError(
            f"{p}: rate limited by the provider (429){hint}",
            provider=p,
            status_code=429,
            retryable=True,
            retry_after=retry_after,
        )
    if status in (400, 413, 422):
        detail = body_detail(body)
        suffix = f": {scrub(detail, ctx.secret)}" if detail else ""
        return ProviderInvalidRequestError(
            f"{p}: the provider rejected the request ({status}){suffix}",
            provider=p,
            status_code=status,
        )
    if status == 408:
        return ProviderTimeoutError(
            f"{p}: the provider timed out (408)", provider=p, status_code=408, retryable=True
        )
    return ProviderError(
        f"{p}: the provider failed ({status})",
        provider=p,
        status_code=status,
        retryable=status >= 500,
    )


def timeout_error(ctx: ErrorContext) -> ProviderTimeoutError:
    """The error for a request that got no (complete) answer in time."""
    return ProviderTimeoutError(
        f"{ctx.provider}: the request timed out", provider=ctx.provider, retryable=True
    )


def connection_error(ctx: ErrorContext) -> ProviderError:
    """The error for a request that could not reach the provider or lost the connection."""
    where = f" {ctx.host}" if ctx.host else " the provider"
    return ProviderError(
        f"{ctx.provider}: could not connect to{where}", provider=ctx.provider, retryable=True
    )


def malformed_error(ctx: ErrorContext, what: str = "a malformed response") -> ProviderError:
    """The error for an answer that is not what the provider's API documents."""
    return ProviderError(f"{ctx.provider}: the provider sent {what}", provider=ctx.provider)


def stream_error(ctx: ErrorContext, detail: Any = None) -> ProviderError:
    """The error for a failure the provider reported inside a stream."""
    message = body_detail(detail) if detail is not None else None
    suffix = f": {scrub(message, ctx.secret)}" if message else ""
    return ProviderError(
        f"{ctx.provider}: the provider reported an error mid-stream{suffix}", provider=ctx.provider
    )


def translate_common(exc: Exception, ctx: ErrorContext) -> ProviderCallError | None:
    """Exceptions every SDK lets through: httpx/httpx2 transport errors, bad JSON, bad shapes."""
    module: Any
    for module in (httpx, httpx2):
        if isinstance(exc, module.TimeoutException):
            return timeout_error(ctx)
        if isinstance(exc, module.HTTPStatusError):
            return from_status(ctx, exc.response.status_code, headers=exc.response.headers)
        if isinstance(exc, module.DecodingError):
            return malformed_error(ctx)
        if isinstance(exc, module.TransportError):
            return connection_error(ctx)
    if isinstance(exc, TimeoutError):
        return timeout_error(ctx)
    if isinstance(exc, ConnectionError):
        return connection_error(ctx)
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError, ValidationError)):
        return malformed_error(ctx)
    return None


def translate(
    exc: Exception, ctx: ErrorContext, specific: Translator | None
) -> ProviderCallError | None:
    """Apply the SDK's translator, then the common one; None if the exception is not ours."""
    if isinstance(exc, ProviderCallError):
        return exc
    mapped = specific(exc, ctx) if specific is not None else None
    return mapped if mapped is not None else translate_common(exc, ctx)


@contextmanager
def map_exceptions(ctx: ErrorContext, specific: Translator | None = None) -> Iterator[None]:
    """Translate SDK exceptions raised in the block into :class:`ProviderCallError` subclasses.

    Args:
        ctx: What messages may name.
        specific: The SDK's own translator, tried before the common one.

    Raises:
        ProviderCallError: For every exception either translator recognises; others propagate.
    """
    try:
        yield
    except ProviderCallError:
        raise
    except Exception as exc:
        mapped = translate(exc, ctx, specific)
        if mapped is None:
            raise
        raise mapped from None


async def map_stream_exceptions(
    ctx: ErrorContext, source: AsyncIterator[T], specific: Translator | None = None
) -> AsyncIterator[T]:
    """Iterate ``source`` with its exceptions translated; closing this closes ``source``."""
    try:
        with map_exceptions(ctx, specific):
            async for item in source:
                yield item
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
