"""Per-provider scripts in each provider's documented wire format, for the shared tests.

Payloads follow the providers' API references: OpenAI Chat Completions and Embeddings, Mistral
AI chat/embeddings, Ollama ``/api/chat`` and ``/api/embed``, watsonx.ai ``/ml/v1/text/chat``,
``/ml/v1/text/chat_stream`` and IBM Cloud IAM ``/identity/token``. Error bodies echo the API
key, as some providers do, so tests can show that it never reaches our messages.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests.integration.llm.providers.fake_upstream import FakeUpstream, Reply, ndjson, sse
from wxo.llm.base import ModelTarget, ModelType, ProviderConfig

SECRET = "sk-test-Zq9XsEcReT0123456789abcdef"
IAM_PATH = "/identity/token"
IAM_TOKEN = "eyJraWQiOiJ0ZXN0IiwiYWxnIjoiUlMyNTYifQ.e30.c2lnbmF0dXJl"


def make_target(
    provider: str,
    model: str,
    model_type: ModelType = "chat",
    *,
    name: str | None = None,
    **config: Any,
) -> ModelTarget:
    """A model target with our secret key unless ``api_key`` is given."""
    config.setdefault("api_key", SECRET)
    return ModelTarget(
        name=name or f"virtual-model/{provider}/{model}",
        provider=provider,
        upstream_model=model,
        model_type=model_type,
        config=ProviderConfig(provider=provider, **config),
    )


def iam_reply(expires_in: int = 3600) -> Reply:
    """IBM Cloud IAM's answer to an API-key grant."""
    return Reply(
        json={
            "access_token": IAM_TOKEN,
            "refresh_token": "not_supported",
            "token_type": "Bearer",
            "expires_in": expires_in,
            "expiration": 1_900_000_000,
            "scope": "ibm openid",
        }
    )


@dataclass(frozen=True)
class Case:
    """How one provider is reached and what its answers look like."""

    provider: str
    model: str
    chat_path: str
    stream_path: str

    def target(self, url: str, **config: Any) -> ModelTarget:
        """A target pointing at the fake upstream."""
        return make_target(self.provider, self.model, base_url=url, **config)

    def prepare(self, upstream: FakeUpstream) -> None:
        """Script what every call needs besides the call itself (IAM for watsonx.ai)."""

    def chat_reply(self, content: str) -> Reply:
        """A whole answer with ``content``."""
        raise NotImplementedError

    def stream_reply(self, contents: Sequence[str], chunk_delay: float = 0.0) -> Reply:
        """A streamed answer, one piece of content per chunk."""
        raise NotImplementedError

    def error_reply(self, status: int, message: str) -> Reply:
        """An error in the provider's shape."""
        raise NotImplementedError


def openai_completion(content: str | None, **extra: Any) -> dict[str, Any]:
    """An OpenAI chat.completion object."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    message.update(extra.pop("message", {}))
    return {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1741569952,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": extra.pop("finish_reason", "stop"),
            }
        ],
        "usage": {
            "prompt_tokens": 19,
            "completion_tokens": 10,
            "total_tokens": 29,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        },
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306",
    }


def openai_chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    """An OpenAI chat.completion.chunk object."""
    return {
        "id": "chatcmpl-123",
        "object": "chat.completion.chunk",
        "created": 1694268190,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_44709d6fcb",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        **extra,
    }


def openai_usage_chunk(prompt: int, completion: int) -> dict[str, Any]:
    """The extra last chunk OpenAI sends with ``stream_options.include_usage``."""
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt}
    return openai_chunk({}, usage=usage) | {"choices": []}


class OpenAICase(Case):
    """OpenAI (and compatible servers, which share the paths under ``/v1``)."""

    def target(self, url: str, **config: Any) -> ModelTarget:
        return make_target(self.provider, self.model, base_url=f"{url}/v1", **config)

    def chat_reply(self, content: str) -> Reply:
        return Reply(json=openai_completion(content))

    def stream_reply(self, contents: Sequence[str], chunk_delay: float = 0.0) -> Reply:
        events = [openai_chunk({"role": "assistant", "content": ""})]
        events += [openai_chunk({"content": c}) for c in contents]
        events += [openai_chunk({}, "stop"), openai_usage_chunk(9, len(contents))]
        return Reply(chunks=sse(*events), content_type="text/event-stream", chunk_delay=chunk_delay)

    def error_reply(self, status: int, message: str) -> Reply:
        error = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
        return Reply(status=status, json={"error": error})


def mistral_completion(content: str | None, **message: Any) -> dict[str, Any]:
    """A Mistral chat completion response."""
    return {
        "id": "cmpl-e5cc70bb28c444948073e77776eb30ef",
        "object": "chat.completion",
        "model": "mistral-small-latest",
        "usage": {"prompt_tokens": 16, "completion_tokens": 34, "total_tokens": 50},
        "created": 1702256327,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "prefix": False, **message},
                "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
            }
        ],
    }


def mistral_chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    """A Mistral streamed chunk."""
    return {
        "id": "e0b9e2ff4f2b4f1ba6b5e2d1f3b0c6d8",
        "object": "chat.completion.chunk",
        "created": 1702256327,
        "model": "mistral-small-latest",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


class MistralCase(Case):
    """Mistral AI's La Plateforme."""

    def chat_reply(self, content: str) -> Reply:
        return Reply(json=mistral_completion(content))

    def stream_reply(self, contents: Sequence[str], chunk_delay: float = 0.0) -> Reply:
        events = [mistral_chunk({"role": "assistant", "content": ""})]
        events += [mistral_chunk({"content": c}) for c in contents]
        usage = {"prompt_tokens": 9, "completion_tokens": len(contents), "total_tokens": 9}
        events += [mistral_chunk({"content": ""}, "stop", usage=usage)]
        return Reply(chunks=sse(*events), content_type="text/event-stream", chunk_delay=chunk_delay)

    def error_reply(self, status: int, message: str) -> Reply:
        body = {"object": "error", "message": message, "type": "invalid_request_error"}
        return Reply(status=status, json=body | {"param": None, "code": str(status)})


def ollama_part(content: str, *, done: bool = False, **extra: Any) -> dict[str, Any]:
    """One Ollama /api/chat response object (streamed line or whole answer)."""
    part: dict[str, Any] = {
        "model": "llama3.2",
        "created_at": "2023-08-04T08:52:19.385406455-07:00",
        "message": {"role": "assistant", "content": content, **extra.pop("message", {})},
        "done": done,
    }
    if done:
        part |= {
            "done_reason": extra.pop("done_reason", "stop"),
            "total_duration": 4883583458,
            "load_duration": 1334875,
            "prompt_eval_count": 26,
            "prompt_eval_duration": 342546000,
            "eval_count": 282,
            "eval_duration": 4535599000,
        }
    return part | extra


class OllamaCase(Case):
    """Ollama's native API."""

    def chat_reply(self, content: str) -> Reply:
        return Reply(json=ollama_part(content, done=True))

    def stream_reply(self, contents: Sequence[str], chunk_delay: float = 0.0) -> Reply:
        lines = [ollama_part(c) for c in contents] + [ollama_part("", done=True)]
        return Reply(
            chunks=ndjson(*lines), content_type="application/x-ndjson", chunk_delay=chunk_delay
        )

    def error_reply(self, status: int, message: str) -> Reply:
        return Reply(status=status, json={"error": message})


def watsonx_completion(content: str | None, **message: Any) -> dict[str, Any]:
    """A watsonx.ai text/chat response."""
    return {
        "id": "chat-c0a5a3d1e4b14b0f8f5b2b7f9b6c3a21",
        "model_id": "ibm/granite-3-8b-instruct",
        "model": "ibm/granite-3-8b-instruct",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, **message},
                "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
            }
        ],
        "created": 1728806666,
        "model_version": "1.1.0",
        "created_at": "2024-10-13T08:04:26.200Z",
        "usage": {"completion_tokens": 47, "prompt_tokens": 186, "total_tokens": 233},
    }


def watsonx_chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    """A watsonx.ai text/chat_stream event payload."""
    return {
        "id": "chat-c0a5a3d1e4b14b0f8f5b2b7f9b6c3a21",
        "model_id": "ibm/granite-3-8b-instruct",
        "model": "ibm/granite-3-8b-instruct",
        "choices": [{"index": 0, "finish_reason": finish, "delta": delta}],
        "created": 1728806666,
        "model_version": "1.1.0",
        "created_at": "2024-10-13T08:04:26.200Z",
        **extra,
    }


def watsonx_events(*payloads: dict[str, Any]) -> list[bytes]:
    """watsonx.ai's server-sent events: ``id``, ``event: message`` and ``data`` lines."""
    return [
        f"id: {i}\nevent: message\ndata: {json.dumps(p)}\n\n".encode()
        for i, p in enumerate(payloads, 1)
    ]


class WatsonxCase(Case):
    """watsonx.ai on IBM Cloud (IAM served by the same fake host)."""

    def target(self, url: str, **config: Any) -> ModelTarget:
        config.setdefault("project_id", "d0b1e0a5-1234-4c5d-9e8f-0a1b2c3d4e5f")
        extra = {"iam_url": f"{url}{IAM_PATH}", **config.pop("extra", {})}
        return make_target(self.provider, self.model, base_url=url, extra=extra, **config)

    def prepare(self, upstream: FakeUpstream) -> None:
        upstream.reply("POST", IAM_PATH, iam_reply())

    def chat_reply(self, content: str) -> Reply:
        return Reply(json=watsonx_completion(content))

    def stream_reply(self, contents: Sequence[str], chunk_delay: float = 0.0) -> Reply:
        events = [watsonx_chunk({"role": "assistant", "content": ""})]
        events += [watsonx_chunk({"content": c}) for c in contents]
        usage = {"completion_tokens": len(contents), "prompt_tokens": 9, "total_tokens": 9}
        events += [watsonx_chunk({"content": ""}, "stop", usage=usage)]
        return Reply(
            chunks=watsonx_events(*events),
            content_type="text/event-stream",
            chunk_delay=chunk_delay,
        )

    def error_reply(self, status: int, message: str) -> Reply:
        error = {"code": "error", "message": message, "more_info": "https://cloud.ibm.com/apidocs"}
        trace = "3f1e0c2b5a6d4e8f9a0b1c2d3e4f5a6b"
        return Reply(status=status, json={"errors": [error], "trace": trace, "status_code": status})


OPENAI = OpenAICase("openai", "gpt-4o-mini", "/v1/chat/completions", "/v1/chat/completions")
MISTRAL = MistralCase(
    "mistral-ai", "mistral-small-latest", "/v1/chat/completions", "/v1/chat/completions"
)
OLLAMA = OllamaCase("ollama", "llama3.2", "/api/chat", "/api/chat")
WATSONX = WatsonxCase(
    "watsonx", "ibm/granite-3-8b-instruct", "/ml/v1/text/chat", "/ml/v1/text/chat_stream"
)
ALL = [OPENAI, MISTRAL, OLLAMA, WATSONX]
