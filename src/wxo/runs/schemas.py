"""Request and response bodies of the runs API (orchestrate.md §2-6)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wxo.core.storable import StorableBody
from wxo.runs.models import Run, RunStatus
from wxo.threads.models import MessageRole
from wxo.threads.schemas import MessageCreate, UTCDatetime


class RunMessage(MessageCreate):
    """The user message of a run (`CreateMessage`); `role` defaults to and must be `user`."""

    role: MessageRole = MessageRole.USER

    @field_validator("role")
    @classmethod
    def _user_only(cls, role: MessageRole) -> MessageRole:
        if role != MessageRole.USER:
            raise ValueError("a run's message must have role 'user'")
        return role


class LengthPenalty(BaseModel):
    """watsonx.ai `length_penalty`."""

    model_config = ConfigDict(extra="allow")

    decay_factor: float | None = None
    start_index: int | None = None


class TextGenerationParameters(StorableBody):
    """`llm_params` (watsonx.ai text-generation names). Stored and echoed as sent.

    Mapped onto the Model Proxy's request: `max_new_tokens`, `min_new_tokens`, `temperature`,
    `top_p`, `top_k`, `stop_sequences`, `random_seed`, `repetition_penalty`, `time_limit` (ms) and
    `decoding_method` (`greedy` means temperature 0). `beam_width`, `length_penalty`,
    `include_stop_sequence`, `return_options`, `truncate_input_tokens` and `typical_p` are kept and
    passed to watsonx.ai models only; other providers ignore them.
    """

    model_config = ConfigDict(extra="allow")

    beam_width: int | None = Field(default=None, ge=0)
    decoding_method: str | None = Field(default=None, pattern="^(greedy|sample)$")
    include_stop_sequence: bool | None = None
    length_penalty: LengthPenalty | None = None
    max_new_tokens: int | None = Field(default=None, ge=0)
    min_new_tokens: int | None = Field(default=None, ge=0)
    random_seed: int | None = Field(default=None, ge=0)
    repetition_penalty: float | None = Field(default=None, ge=0)
    return_options: dict[str, Any] | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = Field(default=None, ge=0)
    time_limit: int | None = Field(default=None, ge=0, description="Milliseconds.")
    top_k: int | None = Field(default=None, ge=0)
    top_p: float | None = Field(default=None, ge=0, le=1)
    truncate_input_tokens: int | None = Field(default=None, ge=0)
    typical_p: float | None = Field(default=None, ge=0)


class GuardrailThreshold(BaseModel):
    """`{enabled, threshold}` of one direction."""

    model_config = ConfigDict(extra="allow")

    enabled: bool = False
    threshold: float = Field(default=0.5, ge=0, le=1)


class GuardrailMask(BaseModel):
    """`{remove_entity_value}`."""

    model_config = ConfigDict(extra="allow")

    remove_entity_value: bool = False


class Guardrail(BaseModel):
    """One guardrail (`hap`, `social_bias`, `pii`)."""

    model_config = ConfigDict(extra="allow")

    input: GuardrailThreshold | None = None
    output: GuardrailThreshold | None = None
    mask: GuardrailMask | None = None


class Guardrails(StorableBody):
    """`guardrails`: stored, echoed and given to the executor. Not enforced: no provider we route to takes them on chat."""

    model_config = ConfigDict(extra="allow")

    hap: Guardrail | None = None
    social_bias: Guardrail | None = None
    pii: Guardrail | None = None


class RunOrchestrate(StorableBody):
    """Body of `POST /v1/orchestrate/runs`, `/runs/stream` and assistant runs. Unknown keys are ignored."""

    message: RunMessage = Field(
        description='The user message: `{"role": "user", "content": "..."}` or content items.'
    )
    thread_id: uuid.UUID | None = Field(
        default=None,
        description="Continue this thread (404 if not the caller's); omitted: a new thread.",
    )
    agent_id: str | None = Field(default=None, description="Which agent answers (id or name).")
    environment_id: str | None = Field(default=None, description="The agent's environment.")
    version: int | None = Field(default=None, description="Pin an agent version.")
    llm_params: TextGenerationParameters | None = None
    guardrails: Guardrails | None = None
    context: dict[str, Any] | None = Field(
        default=None, description="A key value object for each context variable to configure."
    )
    context_variables: dict[str, Any] | None = Field(
        default=None, description="Context variables for the agent execution."
    )
    additional_parameters: dict[str, Any] | None = Field(
        default=None,
        description='E.g. `{"llm_model_id": ...}`: the model the built-in executor calls.',
    )
    additional_properties: dict[str, Any] | None = None
    capture_logs: bool = Field(default=False, description="Accepted; no logs are captured yet.")


class AssistantRunResponse(BaseModel):
    """The answer of a non-streamed `POST .../runs`."""

    thread_id: uuid.UUID
    run_id: uuid.UUID
    task_id: str | None = Field(description="The queue job executing the run.")
    message_id: uuid.UUID | None = Field(
        description="Id of the user message stored in the thread for this run."
    )


class AssistantRun(BaseModel):
    """A run as `GET /v1/orchestrate/runs/{run_id}` returns it."""

    id: uuid.UUID
    run_id: uuid.UUID = Field(description="Same as `id` (the ADK's RunStatus reads this key).")
    thread_id: uuid.UUID
    tenant_id: uuid.UUID
    assistant_id: uuid.UUID | None
    agent_id: str | None
    environment_id: str | None
    version: int | None
    status: RunStatus
    task_id: str | None
    message_id: uuid.UUID | None = Field(description="The user message this run answers.")
    response_message_id: uuid.UUID | None = Field(
        description="The assistant message the run produced (once completed)."
    )
    created_at: UTCDatetime
    started_at: UTCDatetime | None
    completed_at: UTCDatetime | None
    failed_at: UTCDatetime | None
    cancelled_at: UTCDatetime | None
    cancel_requested_at: UTCDatetime | None
    llm_params: dict[str, Any]
    guardrails: dict[str, Any]
    context: dict[str, Any]
    context_variables: dict[str, Any]
    additional_parameters: dict[str, Any]
    additional_properties: dict[str, Any]
    capture_logs: bool
    usage: dict[str, Any]
    last_error: str | None
    error: str | None = Field(description="Same as `last_error` (the ADK's RunStatus key).")
    result: dict[str, Any] | None = Field(
        description="Once completed: `{data: {message: <the assistant message>}}`."
    )
    trace_id: str | None
    log_id: str | None = Field(default=None, description="No logs are captured yet: `null`.")

    @classmethod
    def of(cls, run: Run) -> AssistantRun:
        """Build from a row."""
        return cls(
            id=run.id,
            run_id=run.id,
            thread_id=run.thread_id,
            tenant_id=run.tenant_id,
            assistant_id=run.assistant_id,
            agent_id=run.agent_id,
            environment_id=run.environment_id,
            version=run.version,
            status=RunStatus(run.status),
            task_id=run.task_id,
            message_id=run.message_id,
            response_message_id=run.response_message_id,
            created_at=run.created_at,
            started_at=run.started_at,
            completed_at=run.completed_at,
            failed_at=run.failed_at,
            cancelled_at=run.cancelled_at,
            cancel_requested_at=run.cancel_requested_at,
            llm_params=run.llm_params,
            guardrails=run.guardrails,
            context=run.context,
            context_variables=run.context_variables,
            additional_parameters=run.additional_parameters,
            additional_properties=run.additional_properties,
            capture_logs=run.capture_logs,
            usage=run.usage,
            last_error=run.last_error,
            error=run.last_error,
            result=run.result,
            trace_id=run.trace_id,
        )


class AssistantRunPage(BaseModel):
    """`GET /v1/orchestrate/runs`: newest first."""

    total: int
    limit: int
    offset: int
    data: list[AssistantRun]


class RunEventRead(BaseModel):
    """One event: `{id, event, data}`; `id` sorts in the run's order and is a resume cursor."""

    id: str
    event: str
    data: dict[str, Any]
