"""Ollama through the official ``ollama`` SDK (``AsyncClient``): chat, streams, tools, ``embed``.

Chat requests go through the SDK's ``AsyncClient._request`` (its transport, NDJSON streaming,
response models and errors) with a body we build, instead of ``AsyncClient.chat``: ``chat``
re-validates tools into the SDK's ``Tool`` model, which silently drops JSON Schema it does not
model (nested object properties, ``anyOf``, ``default``, ...), and tools lose their meaning.
The ``ollama`` pin is exact and the integration tests assert the body, so an SDK change that
breaks this shows up there. Embeddings use the public ``embed``.

Ollama gives tool calls no ids: each gets a generated one. Tool results are matched back to the
function name (``tool_name``) through the ids of the conversation's earlier calls. Ollama has no
``tool_choice``: ``"none"`` sends no tools, other choices send them and let the model decide.
The SDK sends ``$OLLAMA_API_KEY`` to whatever host it talks to when no key is given; we drop
that header unless the model's own key is configured, so a server key never reaches a
tenant's host.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any, cast

import httpx
import ollama
from ollama import AsyncClient, ChatResponse

from wxo.llm.base import (
    ChatChunk,
    ChatMessage,
    ChatRequest,
    ChatResult,
    EmbeddingResult,
    GenerationParams,
    ModelTarget,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from wxo.llm.providers.common import (
    CONNECT_TIMEOUT_SECONDS,
    StreamEnd,
    arguments_object,
    arguments_text,
    batched,
    check_vectors,
    embedding_shape,
    error_context,
    finish_reason,
    new_tool_call_id,
    openai_tools,
    timeout_seconds,
    tool_names_by_id,
)
from wxo.llm.providers.errors import (
    ErrorContext,
    ProviderCallError,
    from_status,
    malformed_error,
    map_exceptions,
    stream_error,
)

OLLAMA_URL = "http://127.0.0.1:11434"
_OPTION_NAMES = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "max_tokens": "num_predict",
    "stop": "stop",
    "seed": "seed",
    "repetition_penalty": "repeat_penalty",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
}


def translate(exc: Exception, ctx: ErrorContext) -> ProviderCallError | None:
    """The ollama SDK's exceptions, translated."""
    if isinstance(exc, ollama.ResponseError):
        if exc.status_code < 0:  # an {"error": ...} line inside a stream
            return stream_error(ctx, exc.error)
        return from_status(ctx, exc.status_code, body=exc.error)
    return None


def ollama_message(message: ChatMessage, names: dict[str, str], provider: str) -> dict[str, Any]:
    """One message in Ollama's chat shape."""
    out: dict[str, Any] = {"role": message.role, "content": message.content or ""}
    if message.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": call.name, "arguments": arguments_object(call, provider)}}
            for call in message.tool_calls
        ]
    if message.role == "tool":
        name = message.name or names.get(message.tool_call_id or "")
        if name:
            out["tool_name"] = name
    return out


def ollama_options(params: GenerationParams, extra: dict[str, Any]) -> dict[str, Any]:
    """Ollama ``options``: the mapped parameters over ``config.extra["options"]``."""
    options = dict(extra.get("options") or {})
    for ours, theirs in _OPTION_NAMES.items():
        if (value := getattr(params, ours)) is not None:
            options[theirs] = value
    return options


def ollama_format(response_format: dict[str, Any] | None) -> str | dict[str, Any] | None:
    """OpenAI ``response_format`` as Ollama ``format``: ``"json"`` or a JSON schema."""
    if not response_format:
        return None
    if response_format.get("type") == "json_object":
        return "json"
    schema = (response_format.get("json_schema") or {}).get("schema")
    return schema if response_format.get("type") == "json_schema" and schema else None


def _usage(part: ChatResponse) -> Usage:
    return Usage(prompt_tokens=part.prompt_eval_count or 0, completion_tokens=part.eval_count or 0)


class _OllamaBase:
    provider = "ollama"

    def __init__(self, target: ModelTarget) -> None:
        config = target.config
        host = config.base_url or OLLAMA_URL
        headers = dict(config.extra_headers)
        key = config.api_key.get_secret_value() if config.api_key else None
        if key:
            headers["authorization"] = f"Bearer {key}"
        self.target = target
        self.model_id = target.name
        self._client = AsyncClient(
            host=host,
            timeout=httpx.Timeout(timeout_seconds(config), connect=CONNECT_TIMEOUT_SECONDS),
            headers=headers,
        )
        if not key:  # the SDK would add $OLLAMA_API_KEY for any host
            self._client._client.headers.pop("authorization", None)
        self._ctx = error_context(target, self.provider, host)

    async def aclose(self) -> None:
        """Close the HTTP client's connections."""
        await self._client.close()  # type: ignore[no-untyped-call]


class OllamaChatModel(_OllamaBase):
    """Chat through Ollama's ``/api/chat`` (:class:`wxo.llm.base.ChatModel`)."""

    def _body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        names = tool_names_by_id(request.messages)
        extra = self.target.config.extra
        body: dict[str, Any] = {
            "model": self.target.upstream_model,
            "messages": [ollama_message(m, names, self.provider) for m in request.messages],
            "stream": stream,
        }
        if request.tools and request.tool_choice != "none":
            body["tools"] = openai_tools(request.tools)
        if options := ollama_options(request.params, extra):
            body["options"] = options
        if (fmt := ollama_format(request.response_format)) is not None:
            body["format"] = fmt
        if extra.get("keep_alive") is not None:
            body["keep_alive"] = extra["keep_alive"]
        return body

    def _timeout(self, request: ChatRequest) -> httpx.Timeout:
        seconds = timeout_seconds(self.target.config, request.params.timeout_seconds)
        return httpx.Timeout(seconds, connect=CONNECT_TIMEOUT_SECONDS)

    async def complete(self, request: ChatRequest) -> ChatResult:
        """Answer in one piece.

        Raises:
            ProviderCallError: A subclass for each kind of upstream failure.
        """
        body = self._body(request, stream=False)
        with map_exceptions(self._ctx, translate):
            part = await self._client._request(
                ChatResponse, "POST", "/api/chat", json=body, timeout=self._timeout(request)
            )
        calls = [
            ToolCall(
                id=new_tool_call_id(),
                name=call.function.name,
                arguments=arguments_text(dict(call.function.arguments)),
            )
            for call in part.message.tool_calls or []
        ]
        return ChatResult(
            content=part.message.content,
            tool_calls=calls,
            finish_reason=finish_reason(part.done_reason, tool_calls=bool(calls)),
            usage=_usage(part),
            model=part.model,
        )

    async def stream(self, request: ChatRequest) -> AsyncGenerator[ChatChunk, None]:
        """Answer piece by piece; closing this iterator closes the upstream response.

        Raises:
            ProviderCallError: A subclass for each kind of upstream failure.
        """
        body = self._body(request, stream=True)
        end = StreamEnd(self._ctx)
        calls_seen = 0
        with map_exceptions(self._ctx, translate):
            upstream = cast(
                "AsyncGenerator[ChatResponse, None]",
                await self._client._request(
                    ChatResponse,
                    "POST",
                    "/api/chat",
                    json=body,
                    stream=True,
                    timeout=self._timeout(request),
                ),
            )
            try:
                async for part in upstream:
                    end.events += 1
                    deltas = []
                    for call in part.message.tool_calls or []:
                        deltas.append(
                            ToolCallDelta(
                                index=calls_seen,
                                id=new_tool_call_id(),
                                name=call.function.name,
                                arguments=arguments_text(dict(call.function.arguments)),
                            )
                        )
                        calls_seen += 1
                    end.saw_tool_calls = end.saw_tool_calls or bool(deltas)
                    if part.done:
                        end.reason = part.done_reason or "stop"
                        end.usage = _usage(part)
                    if part.message.content or deltas:
                        yield ChatChunk(content=part.message.content or "", tool_calls=deltas)
            finally:
                await upstream.aclose()
        yield end.chunk()


class OllamaEmbeddingModel(_OllamaBase):
    """Embeddings through Ollama's ``/api/embed`` (:class:`wxo.llm.base.EmbeddingModel`)."""

    batch_size = 256

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
                response = await self._client.embed(model=self.target.upstream_model, input=batch)
                if len(response.embeddings) != len(batch):
                    raise malformed_error(self._ctx, "a wrong number of embeddings")
                vectors += check_vectors(
                    [list(v) for v in response.embeddings], self.dimensions, self._ctx
                )
                tokens += response.prompt_eval_count or 0
            self.dimensions = self.dimensions or len(vectors[0])
        return EmbeddingResult(vectors=vectors, prompt_tokens=tokens)
