"""Pieces the provider adapters share: timeouts, OpenAI-shaped messages, stream ends, embeddings.

OpenAI's chat message shape is also watsonx.ai's (``/ml/v1/text/chat``), so both adapters build
their bodies with :func:`openai_messages` and :func:`openai_tools`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from wxo.core.errors import InvalidInputError
from wxo.llm.base import (
    ChatChunk,
    ChatMessage,
    ChatResult,
    FinishReason,
    ModelTarget,
    ProviderConfig,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)
from wxo.llm.providers.errors import ErrorContext, malformed_error

DEFAULT_TIMEOUT_SECONDS = 120.0
CONNECT_TIMEOUT_SECONDS = 10.0

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "eos_token": "stop",
    "end_turn": "stop",
    "length": "length",
    "max_tokens": "length",
    "model_length": "length",
    "time_limit": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "error": "error",
}

# Upstream model -> (dimensions, max input tokens), for models whose card states both.
# A model not listed needs ``config.extra["dimensions"]``, or learns it from its first answer.
KNOWN_EMBEDDINGS: dict[str, tuple[int, int]] = {
    "text-embedding-3-small": (1536, 8191),
    "text-embedding-3-large": (3072, 8191),
    "text-embedding-ada-002": (1536, 8191),
    "mistral-embed": (1024, 8192),
    "ibm/slate-125m-english-rtrvr": (768, 512),
    "ibm/slate-125m-english-rtrvr-v2": (768, 512),
    "ibm/slate-30m-english-rtrvr": (384, 512),
    "ibm/slate-30m-english-rtrvr-v2": (384, 512),
    "ibm/granite-embedding-107m-multilingual": (384, 512),
    "ibm/granite-embedding-278m-multilingual": (768, 512),
    "intfloat/multilingual-e5-large": (1024, 512),
    "sentence-transformers/all-minilm-l6-v2": (384, 256),
    "sentence-transformers/all-minilm-l12-v2": (384, 256),
    "nomic-embed-text": (768, 8192),
    "mxbai-embed-large": (1024, 512),
    "all-minilm": (384, 256),
    "snowflake-arctic-embed": (1024, 512),
    "bge-m3": (1024, 8192),
}
DEFAULT_EMBEDDING_MAX_TOKENS = 512


def timeout_seconds(config: ProviderConfig, override: float | None = None) -> float:
    """The request timeout: the call's own, else the model's configured one, else the default."""
    for value in (override, config.request_timeout):
        if value is not None and value > 0:
            return float(value)
    return DEFAULT_TIMEOUT_SECONDS


def host_of(url: str) -> str:
    """``host[:port]`` of a URL, for error messages (never its path, query or userinfo)."""
    parts = urlsplit(url if "//" in url else f"http://{url}")
    host = parts.hostname or ""
    return f"{host}:{parts.port}" if parts.port else host


def error_context(target: ModelTarget, provider: str, url: str) -> ErrorContext:
    """What this target's error messages may name, and the secret they must not."""
    key = target.config.api_key.get_secret_value() if target.config.api_key else None
    return ErrorContext(
        provider=provider, model=target.upstream_model, host=host_of(url), secret=key or None
    )


def new_tool_call_id() -> str:
    """An id for a tool call whose provider gave none (OpenAI clients need one)."""
    return f"call_{secrets.token_hex(12)}"


def finish_reason(raw: str | None, *, tool_calls: bool = False) -> FinishReason:
    """Our finish reason for a provider's (unknown ones read as ``stop``)."""
    if tool_calls and raw in (None, "stop", "tool_calls", "function_call"):
        return "tool_calls"
    return _FINISH.get((raw or "stop").lower(), "stop")


def openai_message(message: ChatMessage) -> dict[str, Any]:
    """One message in OpenAI's (and watsonx.ai's) chat shape."""
    out: dict[str, Any] = {"role": message.role}
    if message.content is not None or not message.tool_calls:
        out["content"] = message.content if message.content is not None else ""
    if message.name is not None:
        out["name"] = message.name
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


def openai_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Messages in OpenAI's chat shape."""
    return [openai_message(message) for message in messages]


def openai_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """Tool specs in OpenAI's ``tools`` shape."""
    out = []
    for tool in tools:
        function: dict[str, Any] = {"name": tool.name, "parameters": tool.parameters}
        if tool.description is not None:
            function["description"] = tool.description
        out.append({"type": "function", "function": function})
    return out


def tool_names_by_id(messages: Sequence[ChatMessage]) -> dict[str, str]:
    """The function name of every tool call in the conversation, by call id."""
    return {call.id: call.name for m in messages for call in m.tool_calls}


def arguments_object(call: ToolCall, provider: str) -> dict[str, Any]:
    """A tool call's JSON arguments as an object, for providers that want one.

    Raises:
        InvalidInputError: If the arguments are not a JSON object.
    """
    try:
        value = json.loads(call.arguments or "{}")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidInputError(
            f"{provider}: the arguments of tool call '{call.id}' are not a JSON object"
        )
    return value


def arguments_text(arguments: Any) -> str:
    """Tool-call arguments as JSON text, whether the provider sent text or an object."""
    if arguments is None:
        return "{}"
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False)


class StreamEnd:
    """Collects a stream's finish reason and usage; :meth:`chunk` is the stream's last chunk.

    Providers send these in different chunks (OpenAI sends usage after the finish reason), so
    adapters yield content as it comes and this one chunk at the end.
    """

    def __init__(self, ctx: ErrorContext) -> None:
        self.ctx = ctx
        self.events = 0
        self.reason: str | None = None
        self.saw_tool_calls = False
        self.usage: Usage | None = None

    def chunk(self) -> ChatChunk:
        """The final chunk: finish reason (``stop`` if the provider sent none) and usage.

        Raises:
            ProviderError: If the stream carried no event at all (not a stream of this API).
        """
        if not self.events:
            raise malformed_error(self.ctx, "an empty stream")
        return ChatChunk(
            finish_reason=finish_reason(self.reason, tool_calls=self.saw_tool_calls),
            usage=self.usage,
        )


def embedding_shape(target: ModelTarget) -> tuple[int, int]:
    """``(dimensions, max_tokens)``: configured in ``config.extra``, else known, else (0, 512).

    ``config.extra["dimensions"]`` and ``config.extra["max_input_tokens"]`` take precedence.
    Dimensions 0 mean unknown until the first answer, which then sets them.
    """
    name = target.upstream_model.lower()
    known = KNOWN_EMBEDDINGS.get(name) or KNOWN_EMBEDDINGS.get(name.split(":", 1)[0])
    dims, max_tokens = known or (0, DEFAULT_EMBEDDING_MAX_TOKENS)
    extra: Mapping[str, Any] = target.config.extra
    return int(extra.get("dimensions") or dims), int(extra.get("max_input_tokens") or max_tokens)


def batched(texts: Sequence[str], size: int) -> Iterator[list[str]]:
    """``texts`` in consecutive batches of at most ``size``."""
    for start in range(0, len(texts), size):
        yield list(texts[start : start + size])


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one (for lenient parsing)."""
    return value if isinstance(value, Mapping) else {}


def text_of(content: Any) -> str | None:
    """Message content as text: a string, or the text parts of a list of content parts."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            mapping(p).get("text") for p in content if mapping(p).get("type", "text") == "text"
        ]
        return "".join(p for p in parts if isinstance(p, str))
    return None


def usage_of(raw: Any) -> Usage | None:
    """OpenAI-shaped ``usage``, or None if absent."""
    data = mapping(raw)
    if not data:
        return None
    return Usage(
        prompt_tokens=int(data.get("prompt_tokens") or 0),
        completion_tokens=int(data.get("completion_tokens") or 0),
    )


def parse_completion(data: Mapping[str, Any], ctx: ErrorContext) -> ChatResult:
    """A whole OpenAI-shaped chat completion (OpenAI, compatible servers, watsonx.ai chat).

    Raises:
        ProviderError: If there is no first choice with a message.
    """
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or "message" not in mapping(choices[0]):
        raise malformed_error(ctx, "a completion without choices")
    choice = mapping(choices[0])
    message = mapping(choice.get("message"))
    calls = []
    for raw in message.get("tool_calls") or []:
        function = mapping(mapping(raw).get("function"))
        calls.append(
            ToolCall(
                id=mapping(raw).get("id") or new_tool_call_id(),
                name=function.get("name"),
                arguments=arguments_text(function.get("arguments")),
            )
        )
    model = data.get("model") or data.get("model_id")
    return ChatResult(
        content=text_of(message.get("content")),
        tool_calls=calls,
        finish_reason=finish_reason(choice.get("finish_reason"), tool_calls=bool(calls)),
        usage=usage_of(data.get("usage")) or Usage(),
        model=model if isinstance(model, str) else None,
        metadata={"id": data["id"]} if isinstance(data.get("id"), str) else {},
    )


def parse_chunk(data: Mapping[str, Any], end: StreamEnd) -> ChatChunk | None:
    """One OpenAI-shaped stream chunk: content and tool-call deltas of the first choice.

    The finish reason and usage go to ``end``; None if the chunk carries nothing else.
    """
    end.events += 1
    if (usage := usage_of(data.get("usage"))) is not None:
        end.usage = usage
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        return None
    choice = mapping(choices[0])
    if choice.get("finish_reason"):
        end.reason = str(choice["finish_reason"])
    delta = mapping(choice.get("delta"))
    deltas = []
    for position, raw in enumerate(delta.get("tool_calls") or []):
        call, function = mapping(raw), mapping(mapping(raw).get("function"))
        index = call.get("index")
        deltas.append(
            ToolCallDelta(
                index=index if isinstance(index, int) else position,
                id=call.get("id"),
                name=function.get("name"),
                arguments=arguments_text(function.get("arguments"))
                if function.get("arguments") is not None
                else "",
            )
        )
    end.saw_tool_calls = end.saw_tool_calls or bool(deltas)
    content = text_of(delta.get("content")) or ""
    return ChatChunk(content=content, tool_calls=deltas) if content or deltas else None


def parse_embeddings(
    data: Mapping[str, Any], expected: int, dimensions: int, ctx: ErrorContext
) -> list[list[float]]:
    """OpenAI-shaped embeddings ``data`` in input order, checked for count and dimensions.

    Raises:
        ProviderError: If vectors are missing, or of other dimensions than expected (if known).
    """
    items = data.get("data")
    if not isinstance(items, list) or len(items) != expected:
        raise malformed_error(ctx, f"a wrong number of embeddings (expected {expected})")
    ordered = sorted((mapping(item) for item in items), key=_index)
    return check_vectors([item.get("embedding") for item in ordered], dimensions, ctx)


def _index(item: Mapping[str, Any]) -> int:
    index = item.get("index")
    return index if isinstance(index, int) else 0


def check_vectors(vectors: Sequence[Any], dimensions: int, ctx: ErrorContext) -> list[list[float]]:
    """Vectors as float lists, all of ``dimensions`` (or of one common size if 0).

    Raises:
        ProviderError: If a vector is not a list of numbers or has the wrong size.
    """
    out: list[list[float]] = []
    for vector in vectors:
        if not isinstance(vector, list) or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in vector
        ):
            raise malformed_error(ctx, "an embedding that is not a list of numbers")
        size = dimensions or (len(out[0]) if out else len(vector))
        if len(vector) != size or not vector:
            raise malformed_error(ctx, f"{len(vector)}-dimensional vectors (expected {size})")
        out.append([float(x) for x in vector])
    return out
