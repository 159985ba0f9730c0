"""Request and response bodies of the inference endpoints (OpenAI and WxO shapes)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wxo.core.errors import InvalidInputError
from wxo.llm.base import ChatMessage, ChatRequest, GenerationParams, ToolCall, ToolSpec
from wxo.llm.params import from_watsonx


class UnsupportedContentError(InvalidInputError):
    """A message part this proxy cannot forward (images, audio)."""


class FunctionCallBody(BaseModel):
    """`{"name", "arguments"}` of a tool call."""

    name: str
    arguments: str = "{}"


class ToolCallBody(BaseModel):
    """An OpenAI tool call."""

    id: str
    type: Literal["function"] = "function"
    function: FunctionCallBody


class MessageBody(BaseModel):
    """An OpenAI chat message; `content` is text or a list of parts (text parts only)."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[ToolCallBody] | None = None
    tool_call_id: str | None = None

    def to_message(self) -> ChatMessage:
        """The provider-neutral message."""
        return ChatMessage(
            role="system" if self.role == "developer" else self.role,
            content=_text_of(self.content),
            name=self.name,
            tool_calls=[
                ToolCall(id=c.id, name=c.function.name, arguments=c.function.arguments)
                for c in self.tool_calls or []
            ],
            tool_call_id=self.tool_call_id,
        )


def _text_of(content: str | list[dict[str, Any]] | None) -> str | None:
    if content is None or isinstance(content, str):
        return content
    texts = []
    for part in content:
        if part.get("type") != "text" or not isinstance(part.get("text"), str):
            raise UnsupportedContentError(
                f"Only text message parts are supported; got a '{part.get('type')}' part"
            )
        texts.append(part["text"])
    return "".join(texts)


class FunctionBody(BaseModel):
    """The function of an OpenAI tool."""

    name: str = Field(min_length=1, max_length=64)
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class ToolBody(BaseModel):
    """An OpenAI tool (functions only)."""

    type: Literal["function"] = "function"
    function: FunctionBody


def tool_specs(tools: list[ToolBody] | None) -> list[ToolSpec]:
    """OpenAI tools as provider-neutral specs."""
    return [
        ToolSpec(
            name=t.function.name,
            description=t.function.description,
            parameters=t.function.parameters,
        )
        for t in tools or []
    ]


class StreamOptions(BaseModel):
    """`stream_options`."""

    include_usage: bool = False


class ChatCompletionCreate(BaseModel):
    """`POST /chat/completions` (OpenAI). Unknown keys are ignored; `n` must be 1."""

    model_config = ConfigDict(extra="ignore")

    model: str | None = Field(
        default=None, description="Model name; omitted or empty means the tenant's default."
    )
    messages: list[MessageBody] = Field(min_length=1)
    tools: list[ToolBody] | None = None
    tool_choice: str | dict[str, Any] | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    n: Literal[1] | None = None
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    response_format: dict[str, Any] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = None

    def to_request(self) -> ChatRequest:
        """The provider-neutral request."""
        stop = [self.stop] if isinstance(self.stop, str) else self.stop
        return ChatRequest(
            messages=[m.to_message() for m in self.messages],
            tools=tool_specs(self.tools),
            tool_choice=self.tool_choice,
            params=GenerationParams(
                temperature=self.temperature,
                top_p=self.top_p,
                max_tokens=self.max_completion_tokens or self.max_tokens,
                stop=stop,
                seed=self.seed,
                frequency_penalty=self.frequency_penalty,
                presence_penalty=self.presence_penalty,
            ),
            response_format=self.response_format,
        )


class _WxoGeneration(BaseModel):
    """Fields shared by the WxO completion shapes: OpenAI-like knobs plus watsonx.ai `llm_params`."""

    model_config = ConfigDict(extra="ignore")

    model: str | None = Field(
        default=None, description="Model name; omitted means the tenant's default."
    )
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    stop: list[str] | None = None
    seed: int | None = None
    n: Literal[1] | None = None
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    llm_params: dict[str, Any] | None = Field(
        default=None, description="watsonx.ai parameters (decoding_method, max_new_tokens, ...)."
    )
    extra_model_args: dict[str, Any] | None = None
    stream: bool = False

    def params(self) -> GenerationParams:
        """`llm_params` mapped to OpenAI terms; explicit fields win."""
        explicit = GenerationParams(
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=self.max_tokens,
            stop=self.stop,
            seed=self.seed,
            frequency_penalty=self.frequency_penalty,
            presence_penalty=self.presence_penalty,
        ).model_dump(exclude_none=True, exclude_defaults=True)
        return from_watsonx(self.llm_params or {}).model_copy(update=explicit)


class WxoChatCreate(_WxoGeneration):
    """`POST /completions/chat` (WxO)."""

    messages: list[MessageBody] = Field(min_length=1)
    tools: list[ToolBody] | None = None
    tool_choice: str | dict[str, Any] | None = None

    def to_request(self) -> ChatRequest:
        """The provider-neutral request."""
        return ChatRequest(
            messages=[m.to_message() for m in self.messages],
            tools=tool_specs(self.tools),
            tool_choice=self.tool_choice,
            params=self.params(),
        )


class WxoCompletionCreate(_WxoGeneration):
    """`POST /completions` (WxO): a single prompt."""

    prompt: str = Field(min_length=1)
    suffix: str | None = None

    def to_request(self) -> ChatRequest:
        """A one-message chat request."""
        return ChatRequest(
            messages=[ChatMessage(role="user", content=self.prompt)], params=self.params()
        )


class WxoCompletionRead(BaseModel):
    """The WxO answer shape: `{content, response_metadata}`."""

    content: str
    response_metadata: dict[str, Any]


class EmbeddingCreate(BaseModel):
    """`POST /embeddings` (OpenAI). Token-id inputs are not supported."""

    model_config = ConfigDict(extra="ignore")

    input: str | list[str]
    model: str | None = None
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(default=None, ge=1)
    user: str | None = None

    @field_validator("input")
    @classmethod
    def _not_empty(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and not value:
            raise ValueError("input must contain at least one text")
        return value

    def texts(self) -> list[str]:
        """Inputs as a list."""
        return [self.input] if isinstance(self.input, str) else list(self.input)
