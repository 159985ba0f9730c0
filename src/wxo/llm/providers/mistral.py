"""Mistral AI through the official ``mistralai`` SDK (async methods, no SDK retries).

``config.base_url`` is the server root (``https://api.mistral.ai``, the SDK's default); a
trailing ``/v1`` is dropped because the SDK adds it. Mistral accepts only tool-call ids of nine
letters or digits, so ids from other providers (``call_...``) are rewritten into that form the
same way wherever they appear in a conversation; Mistral's own ids pass unchanged.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import httpx2
from mistralai.client import Mistral, errors

from wxo.llm.base import (
    ChatChunk,
    ChatMessage,
    ChatRequest,
    ChatResult,
    EmbeddingResult,
    ModelTarget,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from wxo.llm.providers.common import (
    CONNECT_TIMEOUT_SECONDS,
    StreamEnd,
    arguments_text,
    batched,
    check_vectors,
    embedding_shape,
    error_context,
    finish_reason,
    new_tool_call_id,
    openai_tools,
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
)

MISTRAL_URL = "https://api.mistral.ai"
_ID = re.compile(r"^[A-Za-z0-9]{9}$")
_ALPHABET = string.ascii_letters + string.digits


def translate(exc: Exception, ctx: ErrorContext) -> ProviderCallError | None:
    """The mistralai SDK's exceptions, translated."""
    if isinstance(exc, errors.ResponseValidationError):
        return malformed_error(ctx)
    if isinstance(exc, errors.MistralError):
        return from_status(ctx, exc.status_code, body=exc.body, headers=exc.headers)
    if isinstance(exc, errors.NoResponseError):
        return connection_error(ctx)
    return None


def mistral_tool_call_id(call_id: str) -> str:
    """``call_id`` if Mistral accepts it, else a stable nine-character id derived from it."""
    if _ID.match(call_id):
        return call_id
    number = int.from_bytes(hashlib.sha256(call_id.encode()).digest()[:8], "big")
    chars = []
    for _ in range(9):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def mistral_message(message: ChatMessage, names: dict[str, str]) -> dict[str, Any]:
    """One message in Mistral's chat shape."""
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        out["tool_calls"] = [
            {
                "id": mistral_tool_call_id(call.id),
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    elif message.role == "tool":
        out["content"] = message.content or ""
        if message.tool_call_id is not None:
            out["tool_call_id"] = mistral_tool_call_id(message.tool_call_id)
            out["name"] = message.name or names.get(message.tool_call_id)
    elif out["content"] is None:
        out["content"] = ""
    return out


def _text(content: Any) -> str | None:
    """Mistral content: a string, or chunks of which the text ones count."""
    if content is None or isinstance(content, str):
        return content
    return "".join(
        getattr(chunk, "text", "") for chunk in content if getattr(chunk, "type", "") == "text"
    )


def _call_id(raw: str | None) -> str | None:
    """The SDK fills a missing id with the text "null"."""
    return raw if raw and raw != "null" else None


def _calls(raw: Any) -> list[ToolCall]:
    return [
        ToolCall(
            id=_call_id(call.id) or new_tool_call_id(),
            name=call.function.name,
            arguments=arguments_text(call.function.arguments),
        )
        for call in raw or []
    ]


def _usage(raw: Any) -> Usage | None:
    if raw is None:
        return None
    return Usage(prompt_tokens=raw.prompt_tokens or 0, completion_tokens=raw.completion_tokens or 0)


class _MistralBase:
    provider = "mistral-ai"

    def __init__(self, target: ModelTarget) -> None:
        config = target.config
        key = config.api_key.get_secret_value() if config.api_key else None
        if not key and not config.base_url:
            raise ProviderConfigError(
                f"{self.provider}: model '{target.name}' has no API key configured"
            )
        server_url = (config.base_url or MISTRAL_URL).rstrip("/").removesuffix("/v1")
        self.target = target
        self.model_id = target.name
        self._timeout = timeout_seconds(config)
        self._http = httpx2.AsyncClient(
            follow_redirects=True,
            headers=config.extra_headers,
            timeout=httpx2.Timeout(self._timeout, connect=CONNECT_TIMEOUT_SECONDS),
        )
        self._client = Mistral(
            api_key=key or None,
            server_url=server_url,
            async_client=self._http,
            timeout_ms=int(self._timeout * 1000),
        )
        self._ctx = error_context(target, self.provider, server_url)

    async def aclose(self) -> None:
        """Close the HTTP client's connections."""
        await self._http.aclose()


class MistralChatModel(_MistralBase):
    """Chat through Mistral's chat completions (:class:`wxo.llm.base.ChatModel`)."""

    def _kwargs(self, request: ChatRequest) -> dict[str, Any]:
        p = request.params
        names = {
            "temperature": p.temperature,
            "top_p": p.top_p,
            "top_k": p.top_k,
            "max_tokens": p.max_tokens,
            "min_tokens": p.min_tokens,
            "stop": p.stop,
            "random_seed": p.seed,
            "presence_penalty": p.presence_penalty,
            "frequency_penalty": p.frequency_penalty,
            "repetition_penalty": p.repetition_penalty,
            "n": p.n,
        }
        kwargs: dict[str, Any] = {k: v for k, v in names.items() if v is not None}
        names_by_id = {c.id: c.name for m in request.messages for c in m.tool_calls}
        kwargs["model"] = self.target.upstream_model
        kwargs["messages"] = [mistral_message(m, names_by_id) for m in request.messages]
        kwargs["timeout_ms"] = int(timeout_seconds(self.target.config, p.timeout_seconds) * 1000)
        if request.tools:
            kwargs["tools"] = openai_tools(request.tools)
        if request.tool_choice is not None:
            kwargs["tool_choice"] = request.tool_choice
        if request.response_format is not None:
            kwargs["response_format"] = request.response_format
        return kwargs

    async def complete(self, request: ChatRequest) -> ChatResult:
        """Answer in one piece.

        Raises:
            ProviderCallError: A subclass for each kind of upstream failure.
        """
        with map_exceptions(self._ctx, translate):
            response = await self._client.chat.complete_async(**self._kwargs(request))
            if not response.choices or response.choices[0].message is None:
                raise malformed_error(self._ctx, "a completion without choices")
            choice = response.choices[0]
            message = choice.message
            calls = _calls(message.tool_calls if message else None)
            return ChatResult(
                content=_text(message.content if message else None),
                tool_calls=calls,
                finish_reason=finish_reason(str(choice.finish_reason), tool_calls=bool(calls)),
                usage=_usage(response.usage) or Usage(),
                model=response.model,
                metadata={"id": response.id},
            )

    async def stream(self, request: ChatRequest) -> AsyncGenerator[ChatChunk, None]:
        """Answer piece by piece; closing this iterator closes the upstream response.

        Raises:
            ProviderCallError: A subclass for each kind of upstream failure.
        """
        end = StreamEnd(self._ctx)
        calls_seen = 0
        with map_exceptions(self._ctx, translate):
            upstream = await self._client.chat.stream_async(**self._kwargs(request))
            try:
                async for event in upstream:
                    data = event.data
                    end.events += 1
                    end.usage = _usage(data.usage) or end.usage
                    if not data.choices:
                        continue
                    choice = data.choices[0]
                    if choice.finish_reason:
                        end.reason = str(choice.finish_reason)
                    deltas = []
                    for call in choice.delta.tool_calls or []:
                        # Mistral sends each call whole, with an id; `index` defaults to 0.
                        call_id = _call_id(call.id)
                        if call_id is not None or calls_seen == 0:
                            calls_seen += 1
                        deltas.append(
                            ToolCallDelta(
                                index=calls_seen - 1,
                                id=call_id,
                                name=call.function.name,
                                arguments=arguments_text(call.function.arguments),
                            )
                        )
                    end.saw_tool_calls = end.saw_tool_calls or bool(deltas)
                    content = _text(choice.delta.content) or ""
                    if content or deltas:
                        yield ChatChunk(content=content, tool_calls=deltas)
            finally:
                await upstream.close()  # type: ignore[no-untyped-call]
        yield end.chunk()


class MistralEmbeddingModel(_MistralBase):
    """Embeddings through Mistral's embeddings API (:class:`wxo.llm.base.EmbeddingModel`)."""

    batch_size = 128

    def __init__(self, target: ModelTarget) -> None:
        super().__init__(target)
        self.dimensions, self.max_tokens = embedding_shape(target)

    async def embed(self, texts: Sequence[str]) -> EmbeddingResult:
        """One vector per text, in order.

        Raises:
            ProviderCallError: A subclass for each kind of upstream failure.
        """
        vectors: list[list[float]] = []
        tokens = 0
        for batch in batched(texts, self.batch_size):
            with map_exceptions(self._ctx, translate):
                response = await self._client.embeddings.create_async(
                    model=self.target.upstream_model,
                    inputs=batch,
                    timeout_ms=int(self._timeout * 1000),
                )
                if len(response.data) != len(batch):
                    raise malformed_error(self._ctx, "a wrong number of embeddings")
                ordered = sorted(response.data, key=lambda item: item.index or 0)
                vectors += check_vectors([d.embedding for d in ordered], self.dimensions, self._ctx)
                tokens += response.usage.prompt_tokens or 0
            self.dimensions = self.dimensions or len(vectors[0])
        return EmbeddingResult(vectors=vectors, prompt_tokens=tokens)
