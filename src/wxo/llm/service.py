"""Model Proxy use-cases: resolve, call with retries and fallbacks, account usage.

Retries (exponential back-off with jitter) apply to errors an adapter marks `retryable`
(429, 5xx, timeouts, connection errors); when a model's retries are spent, its configured
fallbacks are tried in order. A streamed call is retried only before its first chunk.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Literal, TypeVar

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.core.config import LLMSettings
from wxo.core.errors import AppError, InvalidInputError
from wxo.llm import policies, registry
from wxo.llm.base import (
    ChatChunk,
    ChatModel,
    ChatRequest,
    ChatResult,
    EmbeddingResult,
    ModelTarget,
    Usage,
)
from wxo.llm.exceptions import UnknownModelError
from wxo.llm.routing import Route
from wxo.llm.runtime import ModelRuntime
from wxo.usage.recorder import UsageRecorder

if TYPE_CHECKING:
    from wxo.container import Container

T = TypeVar("T")

_CLEANUP_SECONDS = 10.0  # at most this long to close a stream's upstream call and account it


class EmptyInputError(InvalidInputError):
    """Nothing to embed or answer."""


class TooManyInputsError(InvalidInputError):
    """More embedding inputs in one request than allowed."""


@dataclass(frozen=True)
class ProxyContext:
    """What every proxy call needs besides its request."""

    tenant_id: uuid.UUID
    key: str
    runtime: ModelRuntime
    usage: UsageRecorder
    settings: LLMSettings


def proxy_for(container: Container, tenant_id: uuid.UUID) -> ProxyContext:
    """The Model Proxy as one tenant sees it, from the process's container (API or worker)."""
    return ProxyContext(
        tenant_id=tenant_id,
        key=container.settings.signing_key(),
        runtime=container.models,
        usage=container.usage,
        settings=container.settings.llm,
    )


def _retryable(exc: BaseException, codes: frozenset[int] | None = None) -> bool:
    """Whether a failure qualifies: retryable by the adapter, and in `codes` when it has a status."""
    if not getattr(exc, "retryable", False):
        return codes is not None and getattr(exc, "status_code", None) in codes
    status = getattr(exc, "status_code", None)
    return codes is None or status is None or status in codes


async def _with_retries(settings: LLMSettings, route: Route, call: Callable[[], Awaitable[T]]) -> T:
    attempts = settings.max_retries if route.retry_attempts is None else route.retry_attempts
    attempt = 0
    while True:
        try:
            return await call()
        except AppError as exc:
            if not _retryable(exc, route.retry_on) or attempt >= attempts:
                raise
        delay = min(settings.retry_max_delay, settings.retry_base_delay * 2**attempt)
        await asyncio.sleep(delay * (0.5 + random.random() / 2))  # noqa: S311 (jitter)
        attempt += 1


async def _resolve_uncached(
    session: AsyncSession, ctx: ProxyContext, name: str | None, kind: Literal["chat", "embedding"]
) -> Route:
    try:
        primary = await registry.resolve(session, ctx.tenant_id, name, kind=kind, key=ctx.key)
    except UnknownModelError:
        policy = await policies.route(session, ctx.tenant_id, name or "", kind=kind, key=ctx.key)
        if policy is None:
            raise
        return policy
    candidates = [primary]
    for fallback in primary.fallbacks:
        candidates.append(
            await registry.resolve(session, ctx.tenant_id, fallback, kind=kind, key=ctx.key)
        )
    return Route(targets=tuple(candidates))


async def resolve_route(
    session: AsyncSession,
    ctx: ProxyContext,
    name: str | None,
    kind: Literal["chat", "embedding"],
) -> Route:
    """Where a request for `name` goes: a model and its fallbacks, or a model policy.

    Resolved now or recently (see `ResolutionCache`).

    Raises:
        NotFoundError: no such model or policy (or no tenant default).
    """
    cache = ctx.runtime.resolutions
    cached = cache.get(ctx.tenant_id, name or "", kind)
    if cached is not None:
        return cached
    route = await _resolve_uncached(session, ctx, name, kind)
    cache.put(ctx.tenant_id, name or "", kind, route)
    return route


def _apply_defaults(target: ModelTarget, request: ChatRequest) -> ChatRequest:
    if not target.default_params:
        return request
    merged = {**target.default_params, **request.params.model_dump(exclude_none=True)}
    return request.model_copy(update={"params": type(request.params).model_validate(merged)})


def _account(ctx: ProxyContext, model: str, usage: Usage, started: float, *, error: bool) -> None:
    ctx.usage.add(
        tenant_id=ctx.tenant_id,
        model=model,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        latency_ms=int((time.perf_counter() - started) * 1000),
        error=error,
    )


async def _first_success(
    ctx: ProxyContext,
    route: Route,
    call: Callable[[ModelTarget], Awaitable[T]],
) -> tuple[ModelTarget, T, float]:
    """Try the route's targets (with retries) until one succeeds; failures are accounted here.

    Returns the target that answered, its result and when its attempt started.
    """
    last_error: AppError | None = None
    for target in route.order():
        started = time.perf_counter()
        try:
            result = await _with_retries(ctx.settings, route, partial(call, target))
        except AppError as exc:
            _account(ctx, target.name, Usage(), started, error=True)
            if not _retryable(exc, route.fallback_on):
                raise
            last_error = exc
            continue
        return target, result, started
    if last_error is None:
        raise InvalidInputError("No model to call")
    raise last_error


async def chat(ctx: ProxyContext, route: Route, request: ChatRequest) -> ChatResult:
    """Answer with the first candidate that succeeds; the result names the model used."""
    if not request.messages:
        raise EmptyInputError("'messages' must contain at least one message")

    async def call(target: ModelTarget) -> ChatResult:
        return await ctx.runtime.chat(target).complete(_apply_defaults(target, request))

    target, result, started = await _first_success(ctx, route, call)
    _account(ctx, target.name, result.usage, started, error=False)
    return result.model_copy(update={"model": target.name})


async def _open_stream(
    model: ChatModel, request: ChatRequest
) -> tuple[AsyncIterator[ChatChunk], ChatChunk | None]:
    """Start a stream and wait for its first chunk (so failures surface before any output)."""
    iterator = model.stream(request)
    try:
        return iterator, await anext(iterator)
    except StopAsyncIteration:
        return iterator, None
    except BaseException:
        await _close(iterator)
        raise


async def _close(iterator: AsyncIterator[ChatChunk]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


async def stream_chat(
    ctx: ProxyContext, route: Route, request: ChatRequest
) -> tuple[str, AsyncIterator[ChatChunk]]:
    """Open a stream on the first target of the route that yields a first chunk.

    Returns the model name used and an iterator that starts with that chunk. Closing the iterator
    (the client went away) closes the upstream call; usage is recorded when it ends either way.
    """
    if not request.messages:
        raise EmptyInputError("'messages' must contain at least one message")

    async def call(target: ModelTarget) -> tuple[AsyncIterator[ChatChunk], ChatChunk | None]:
        return await _open_stream(ctx.runtime.chat(target), _apply_defaults(target, request))

    target, (iterator, head), started = await _first_success(ctx, route, call)
    return target.name, _accounted(ctx, target.name, iterator, head, started)


async def _accounted(
    ctx: ProxyContext,
    model: str,
    iterator: AsyncIterator[ChatChunk],
    head: ChatChunk | None,
    started: float,
) -> AsyncIterator[ChatChunk]:
    usage = Usage()
    error = False
    try:
        if head is not None:
            usage = head.usage or usage
            yield head
        async for chunk in iterator:
            usage = chunk.usage or usage
            yield chunk
    except AppError:
        error = True
        raise
    finally:
        # A client that went away cancels the response task, and Starlette's cancel scope would
        # cancel every await here too: shield the clean-up (bounded) so that the upstream call
        # is closed and the usage recorded all the same.
        with anyio.move_on_after(_CLEANUP_SECONDS, shield=True):
            await _close(iterator)
            _account(ctx, model, usage, started, error=error)


async def embed(
    ctx: ProxyContext, route: Route, texts: Sequence[str]
) -> tuple[str, EmbeddingResult]:
    """Vectors for `texts` from the first target of the route that succeeds."""
    if not texts:
        raise EmptyInputError("'input' must contain at least one text")
    empty = next((i for i, text in enumerate(texts) if not text), None)
    if empty is not None:  # as OpenAI answers; providers disagree on what an empty text means
        raise EmptyInputError(f"'input' must not contain empty strings; input[{empty}] is empty")
    if len(texts) > ctx.settings.max_embedding_inputs:
        raise TooManyInputsError(
            f"At most {ctx.settings.max_embedding_inputs} inputs per request; got {len(texts)}"
        )

    async def call(target: ModelTarget) -> EmbeddingResult:
        return await ctx.runtime.embedding(target).embed(texts)

    target, result, started = await _first_success(ctx, route, call)
    _account(ctx, target.name, Usage(prompt_tokens=result.prompt_tokens), started, error=False)
    return target.name, result
