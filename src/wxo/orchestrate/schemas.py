"""Chat With Agents (`POST /v1/orchestrate/{agent_id}/chat/completions`) bodies."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ChatMessageV2(BaseModel):
    """`CreateMessageV2`: a role and its content (a string or content items)."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["user", "assistant", "system", "tool"]
    content: str | list[dict[str, Any]] | None = Field(
        default=None,
        description='A string, or content items (`{"response_type"|"type": "text", "text"}`).',
    )


class ChatCompletion(BaseModel):
    """Body of a chat completion. Unknown keys (`model`, `temperature`, ...) are ignored."""

    model_config = ConfigDict(extra="ignore")

    messages: list[ChatMessageV2] = Field(
        min_length=1,
        description="The conversation. The **last user message** starts a run of the agent. "
        "With `X-IBM-THREAD-ID` the thread already holds the history, so earlier messages are "
        "ignored; without it, earlier user/assistant messages are stored first in the new thread "
        "so the agent sees them. `system` messages are ignored (the agent's instructions rule).",
    )
    additional_parameters: dict[str, Any] = Field(
        default_factory=dict,
        description='Passed to the run, e.g. `{"llm_model_id": ...}` to pick the model.',
    )
    context: dict[str, Any] = Field(default_factory=dict, description="Passed to the run.")
    stream: bool = Field(
        default=False,
        description="true: OpenAI-style server-sent events, `data: {chat.completion.chunk}` "
        "lines (each with `thread_id`) ending with `data: [DONE]`.",
    )


class ChoiceMessage(BaseModel):
    """The assistant's answer."""

    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    """The one choice of a completion."""

    index: int = 0
    message: ChoiceMessage
    finish_reason: str = Field(description="`stop`, or `cancelled` if the run was cancelled.")


class CompletionUsage(BaseModel):
    """Tokens the run's model calls used (collaborators' included)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletionResponse(BaseModel):
    """An OpenAI-like `chat.completion`, plus `thread_id` (the thread the run used)."""

    id: str = Field(description="The run's id.")
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(description="Unix seconds.")
    model: str = Field(description="The model that answered (the agent's name if none did).")
    choices: list[Choice]
    usage: CompletionUsage | None = None
    thread_id: str
