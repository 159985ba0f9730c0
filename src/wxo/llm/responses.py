"""OpenAI and WxO response bodies built from provider-neutral results."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from wxo.core.errors import AppError
from wxo.llm.base import ChatChunk, ChatResult, EmbeddingResult, Usage


def _usage(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def _tool_calls(result: ChatResult) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in result.tool_calls
    ]


def chat_completion(result: ChatResult) -> dict[str, Any]:
    """An OpenAI `chat.completion` object."""
    message: dict[str, Any] = {"role": "assistant", "content": result.content}
    if result.tool_calls:
        message["tool_calls"] = _tool_calls(result)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": result.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": result.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": _usage(result.usage),
    }


def wxo_completion(result: ChatResult) -> dict[str, Any]:
    """The WxO `{content, response_metadata}` shape (tool calls in the metadata)."""
    metadata: dict[str, Any] = {
        "model": result.model,
        "finish_reason": result.finish_reason,
        "usage": _usage(result.usage),
    }
    if result.tool_calls:
        metadata["tool_calls"] = _tool_calls(result)
    if result.metadata:
        metadata.update(result.metadata)
    return {"content": result.content or "", "response_metadata": metadata}


async def chat_completion_sse(
    model: str, chunks: AsyncIterator[ChatChunk], *, include_usage: bool
) -> AsyncIterator[str]:
    """OpenAI `chat.completion.chunk` events as SSE lines, ending with `data: [DONE]`."""
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())

    def event(choices: list[dict[str, Any]], usage: Usage | None = None) -> str:
        body: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": choices,
        }
        if usage is not None:
            body["usage"] = _usage(usage)
        return f"data: {json.dumps(body, separators=(',', ':'))}\n\n"

    yield event(
        [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
    )
    usage: Usage | None = None
    try:
        async for chunk in chunks:
            usage = chunk.usage or usage
            if delta := _delta(chunk):
                yield event([{"index": 0, "delta": delta, "finish_reason": chunk.finish_reason}])
            elif chunk.finish_reason:
                yield event([{"index": 0, "delta": {}, "finish_reason": chunk.finish_reason}])
    except AppError as exc:  # headers are gone: report in-band, as OpenAI does
        error = {"error": {"message": str(exc), "code": exc.code}}
        yield f"data: {json.dumps(error)}\n\n"
    if include_usage:
        yield event([], usage or Usage())
    yield "data: [DONE]\n\n"


def _delta(chunk: ChatChunk) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if chunk.content:
        delta["content"] = chunk.content
    if chunk.tool_calls:
        delta["tool_calls"] = [
            {
                "index": d.index,
                **({"id": d.id, "type": "function"} if d.id else {}),
                "function": {**({"name": d.name} if d.name else {}), "arguments": d.arguments},
            }
            for d in chunk.tool_calls
        ]
    return delta


def embeddings(model: str, result: EmbeddingResult, encoding_format: str) -> dict[str, Any]:
    """An OpenAI embeddings list; `base64` packs little-endian float32 as the SDK expects."""

    def encode(vector: list[float]) -> list[float] | str:
        if encoding_format == "base64":
            return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()
        return vector

    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": encode(v)}
            for i, v in enumerate(result.vectors)
        ],
        "model": model,
        "usage": {"prompt_tokens": result.prompt_tokens, "total_tokens": result.prompt_tokens},
    }
