"""The contracts every model adapter implements, and the provider-neutral message types.

Adapters (``wxo.llm.providers.*``, ``wxo.llm.local.*``) translate these to and from their SDK;
the service layer (retries, fallbacks, usage) and the HTTP edge only ever see these types.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field, SecretStr

Role = Literal["system", "user", "assistant", "tool"]


class ToolCall(BaseModel):
    """A function call requested by the model (OpenAI's shape, arguments as JSON text)."""

    id: str
    name: str
    arguments: str = "{}"


class ChatMessage(BaseModel):
    """One message of a conversation."""

    role: Role
    content: str | None = None
    name: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None


class ToolSpec(BaseModel):
    """A function the model may call (JSON Schema parameters)."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class GenerationParams(BaseModel):
    """Sampling and length controls, in OpenAI's vocabulary (watsonx.ai names map onto these)."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    min_tokens: int | None = None
    stop: list[str] | None = None
    seed: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    repetition_penalty: float | None = None
    n: int | None = None
    timeout_seconds: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class ChatRequest(BaseModel):
    """What a chat model is asked."""

    messages: list[ChatMessage]
    tools: list[ToolSpec] = Field(default_factory=list)
    tool_choice: str | dict[str, Any] | None = None
    params: GenerationParams = Field(default_factory=GenerationParams)
    response_format: dict[str, Any] | None = None


class Usage(BaseModel):
    """Token counts of one call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]


class ChatResult(BaseModel):
    """A whole (non-streamed) answer."""

    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: FinishReason = "stop"
    usage: Usage = Field(default_factory=Usage)
    model: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class ToolCallDelta(BaseModel):
    """A piece of a streamed tool call; `index` says which call it extends."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


class ChatChunk(BaseModel):
    """A piece of a streamed answer. The last chunk carries `finish_reason` and usually `usage`."""

    content: str = ""
    tool_calls: list[ToolCallDelta] = Field(default_factory=list)
    finish_reason: FinishReason | None = None
    usage: Usage | None = None


class EmbeddingResult(BaseModel):
    """Vectors in input order, and the tokens they cost."""

    vectors: list[list[float]]
    prompt_tokens: int = 0


@runtime_checkable
class ChatModel(Protocol):
    """A model that answers conversations."""

    model_id: str

    async def complete(self, request: ChatRequest) -> ChatResult:
        """Answer in one piece."""
        ...

    def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Answer piece by piece; closing the iterator cancels the upstream call."""
        ...


@runtime_checkable
class EmbeddingModel(Protocol):
    """A model that turns texts into vectors."""

    model_id: str
    dimensions: int
    max_tokens: int

    async def embed(self, texts: Sequence[str]) -> EmbeddingResult:
        """One vector per text, in order."""
        ...


ModelType = Literal["chat", "chat_vision", "completion", "embedding"]


class ProviderConfig(BaseModel):
    """How to reach a provider: decrypted, internal only (never returned or logged whole)."""

    provider: str
    api_key: SecretStr | None = None
    base_url: str | None = None
    api_version: str | None = None
    project_id: str | None = None
    space_id: str | None = None
    deployment_id: str | None = None
    request_timeout: float | None = None
    extra_headers: dict[str, str] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)


class ModelTarget(BaseModel):
    """A resolved model: which adapter to build and which upstream model to call."""

    name: str
    provider: str
    upstream_model: str
    model_type: ModelType = "chat"
    config: ProviderConfig
    fallbacks: list[str] = Field(default_factory=list)
    default_params: dict[str, Any] = Field(default_factory=dict)
