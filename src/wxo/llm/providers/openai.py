"""OpenAI, and any OpenAI-compatible server (vLLM, llama.cpp server, LM Studio, ...).

Uses the official ``openai`` SDK (``AsyncOpenAI``, ``max_retries=0``: retries and fallbacks are
the service layer's). One client per adapter; :meth:`aclose` releases its connections.

Official OpenAI versus a compatible server is ``config.extra["openai_compatible"]`` if set, else
"a ``base_url`` whose host is not api.openai.com". Official OpenAI gets ``max_completion_tokens``
(reasoning models refuse ``max_tokens``) and only its own parameters (``repetition_penalty``
approximated as ``frequency_penalty``, ``top_k``/``min_tokens`` dropped: see
:func:`wxo.llm.params.to_openai`). A compatible server gets ``max_tokens`` and those three
parameters as vLLM-style extensions (``extra_body``). Streams ask for usage with
``stream_options.include_usage`` unless ``config.extra["stream_usage"]`` is false; servers that
ignore it simply end without usage.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

import httpx2
import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from wxo.llm.base import ChatChunk, ChatRequest, ChatResult, EmbeddingResult, ModelTarget
from wxo.llm.params import OPENAI_EXTENSIONS, to_openai
from wxo.llm.providers.common import (
    CONNECT_TIMEOUT_SECONDS,
    StreamEnd,
    batched,
    embedding_shape,
    error_context,
    openai_messages,
    openai_tools,
    parse_chunk,
    parse_completion,
    parse_embeddings,
    timeout_seconds,
)
from wxo.llm.providers.errors import (
    ErrorContext,
    ProviderCallError,
    ProviderConfigError,
    connection_error,
    from_status,
    malformed_error,
    map_exceptions,
    stream_error,
    timeout_error,
)

OPENAI_URL = "https://api.openai.com/v1"
_NO_KEY = "no-key"  # compatible servers without auth still get a bearer header from the SDK


def translate(exc: Exception, ctx: ErrorContext) -> ProviderCallError | None:
    """The openai SDK's exceptions, translated."""
    if isinstance(exc, openai.APITimeoutError):
        return timeout_error(ctx)
    if isinstance(exc, openai.APIConnectionError):
        return connection_error(ctx)
    if isinstance(exc, openai.APIStatusError):
        return from_status(ctx, exc.status_code, body=exc.body, headers=exc.response.headers)
    if isinstance(exc, openai.APIResponseValidationError):
        return malformed_error(ctx)
    if isinstance(exc, openai.APIError):  # an error event inside a stream
        return stream_error(ctx, exc.body)
    return None


def is_compatible(target: ModelTarget) -> bool:
    """Whether the target is an OpenAI-compatible server rather than OpenAI itself."""
    flag = target.config.extra.get("openai_compatible")
    if flag is not None:
        return bool(flag)
    base_url = target.config.base_url
    return bool(base_url) and urlsplit(base_url).hostname != "api.openai.com"


def _client(target: ModelTarget, provider: str) -> AsyncOpenAI:
    config = target.config
    key = config.api_key.get_secret_value() if config.api_key else None
    if not key and not is_compatible(target):
        raise ProviderConfigError(f"{provider}: model '{target.name}' has no API key configured")
    return AsyncOpenAI(
        api_key=key or _NO_KEY,
        base_url=config.base_url or OPENAI_URL,
        organization=config.extra.get("organization"),
        project=config.extra.get("project"),
        timeout=httpx2.Timeout(timeout_seconds(config), connect=CONNECT_TIMEOUT_SECONDS),
        max_retries=0,
        default_headers=config.extra_headers or None,
    )


class _OpenAIBase:
    provider = "openai"

    def __init__(self, target: ModelTarget, *, provider: str | None = None) -> None:
        if provider is not None:
            self.provider = provider
        self.target = target
        self.model_id = target.name
        self.compatible = is_compatible(target)
        self._client = _client(target, self.provider)
        self._ctx = error_context(target, self.provider, str(self._client.base_url))

    async def aclose(self) -> None:
        """Close the HTTP client's connections."""
        await self._client.close()


class OpenAIChatModel(_OpenAIBase):
    """Chat through OpenAI's Chat Completions API (:class:`wxo.llm.base.ChatModel`)."""

    def _kwargs(self, request: ChatRequest) -> dict[str, Any]:
        params = to_openai(request.params, strict=not self.compatible)
        extra_body = {k: params.pop(k) for k in OPENAI_EXTENSIONS if k in params}
        if not self.compatible and "max_tokens" in params:
            params["max_completion_tokens"] = params.pop("max_tokens")
        kwargs: dict[str, Any] = {
            **params,
            "model": self.target.upstream_model,
            "timeout": timeout_seconds(self.target.config, request.params.timeout_seconds),
        }
        if extra_body:
            kwargs["extra_body"] = extra_body
        if request.tools:
            kwargs["tools"] = openai_tools(request.tools)
        if request.tool_choice is not None:
            kwargs["tool_choice"] = request.tool_choice
        if request.response_format is not None:
            kwargs["response_format"] = request.response_format
        return kwargs

    def _messages(self, request: ChatRequest) -> list[ChatCompletionMessageParam]:
        return cast("list[ChatCompletionMessageParam]", openai_messages(request.messages))

    async def complete(self, request: ChatRequest) -> ChatResult:
        """Answer in one piece.

        Raises:
            ProviderCallError: A subclass for each kind of upstream failure.
        """
        with map_exceptions(self._ctx, translate):
            response = await self._client.chat.completions.create(
                messages=self._messages(request), stream=False, **self._kwargs(request)
            )
            if not isinstance(response, openai.BaseModel):  # a non-JSON body comes back as text
                raise malformed_error(self._ctx)
            return parse_completion(response.to_dict(warnings=False), self._ctx)

    async def stream(self, request: ChatRequest) -> AsyncGenerator[ChatChunk, None]:
        """Answer piece by piece; closing this iterator closes the upstream response.

        Raises:
            ProviderCallError: A subclass for each kind of upstream failure.
        """
        kwargs = self._kwargs(request)
        if self.target.config.extra.get("stream_usage", True):
            kwargs["stream_options"] = {"include_usage": True}
        end = StreamEnd(self._ctx)
        with map_exceptions(self._ctx, translate):
            upstream = await self._client.chat.completions.create(
                messages=self._messages(request), stream=True, **kwargs
            )
            try:
                async for event in upstream:
                    chunk = parse_chunk(event.to_dict(warnings=False), end)
                    if chunk is not None:
                        yield chunk
            finally:
                await upstream.close()
        yield end.chunk()


class OpenAIEmbeddingModel(_OpenAIBase):
    """Embeddings through OpenAI's Embeddings API (:class:`wxo.llm.base.EmbeddingModel`).

    ``dimensions`` is sent to the API only for ``text-embedding-3-*`` models configured with
    ``config.extra["dimensions"]`` (they can shorten their vectors; others cannot).
    """

    batch_size = 2048  # OpenAI's limit of inputs per request

    def __init__(self, target: ModelTarget, *, provider: str | None = None) -> None:
        super().__init__(target, provider=provider)
        self.dimensions, self.max_tokens = embedding_shape(target)
        shortens = target.upstream_model.startswith("text-embedding-3")
        requested = target.config.extra.get("dimensions")
        self._send_dimensions = int(requested) if shortens and requested else None

    async def embed(self, texts: Sequence[str]) -> EmbeddingResult:
        """One vector per text, in order.

        Raises:
            ProviderCallError: A subclass for each kind of upstream failure.
        """
        vectors: list[list[float]] = []
        tokens = 0
        for batch in batched(texts, self.batch_size):
            kwargs: dict[str, Any] = {}
            if self._send_dimensions:
                kwargs["dimensions"] = self._send_dimensions
            with map_exceptions(self._ctx, translate):
                response = await self._client.embeddings.create(
                    input=batch,
                    model=self.target.upstream_model,
                    encoding_format="float",
                    **kwargs,
                )
                if not isinstance(response, openai.BaseModel):
                    raise malformed_error(self._ctx)
                data = response.to_dict(warnings=False)
                vectors += parse_embeddings(data, len(batch), self.dimensions, self._ctx)
                usage = data.get("usage")
                tokens += int(usage.get("prompt_tokens") or 0) if isinstance(usage, dict) else 0
            self.dimensions = self.dimensions or len(vectors[0])
        return EmbeddingResult(vectors=vectors, prompt_tokens=tokens)
