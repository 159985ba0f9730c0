"""Request and response bodies of the Message Threads API, and content normalisation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from wxo.core.storable import StorableBody
from wxo.threads.models import Message, MessageRole, Thread, ThreadStatus


def _as_utc(value: datetime) -> datetime:
    """Aware datetimes converted to UTC; naive ones taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _reject_null(value: object) -> object:
    if value is None:
        raise ValueError("may be omitted but not null")
    return value


def _null_as_empty_list(value: object) -> object:
    return [] if value is None else value


def _null_as_empty_dict(value: object) -> object:
    return {} if value is None else value


def _null_as_default_title(value: object) -> object:
    return DEFAULT_TITLE if value is None else value


DEFAULT_TITLE = "Untitled"

UTCDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""A datetime held (and so rendered) in UTC: `2023-11-07T05:31:56.123456Z`."""

NotNull = BeforeValidator(_reject_null)
"""For PATCH keys that may be omitted but not sent as `null`."""


class ContentItem(BaseModel):
    """One item of a message's `content`: `response_type` names the kind; other keys are kept verbatim."""

    model_config = ConfigDict(extra="allow")

    response_type: str = Field(
        description="Kind of item: `text`, `conversational_search`, `file_download`, ..."
    )


def normalise_content(
    content: str | Sequence[ContentItem | dict[str, Any]],
) -> list[dict[str, Any]]:
    """Content as stored and returned: always a list of content-item objects.

    A plain string becomes one `text` item; items keep every key they were given.
    """
    if isinstance(content, str):
        return [{"response_type": "text", "text": content}]
    return [item.model_dump() if isinstance(item, ContentItem) else dict(item) for item in content]


ContentField = Annotated[
    str | list[ContentItem],
    Field(
        description=(
            'A plain string (stored as `[{"response_type": "text", "text": <string>}]`) '
            "or an array of content items, each with a string `response_type`."
        )
    ),
]
MentionsField = Annotated[
    list[dict[str, Any]],
    BeforeValidator(_null_as_empty_list),
    Field(description="Mentions, usually `{type, id, name}`; kept verbatim. `null` means `[]`."),
]
DocumentIdsField = Annotated[
    list[uuid.UUID],
    BeforeValidator(_null_as_empty_list),
    Field(description="Ids of Document Store documents. `null` means `[]`."),
]
AdditionalPropertiesField = Annotated[
    dict[str, Any],
    BeforeValidator(_null_as_empty_dict),
    Field(
        description=(
            "Free-form (`display_properties`, `tool_calls`, `wxa_message`, ...); kept verbatim. "
            "`null` means `{}`."
        )
    ),
]
StepHistoryField = Annotated[
    list[dict[str, Any]],
    BeforeValidator(_null_as_empty_list),
    Field(
        description="Reasoning/tool trace (`[{role, step_details: [...]}]`); kept verbatim. "
        "`null` means `[]`."
    ),
]
ParentMessageField = Annotated[
    uuid.UUID | None,
    Field(
        description="Id of a message of the same thread that this one replies to (400 otherwise)."
    ),
]


class ThreadCreate(StorableBody):
    """Body of `POST /v1/threads` (`CreateThread`). Unknown keys are ignored."""

    assistant_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = Field(default=None, description="Agent the thread belongs to.")
    title: Annotated[str, BeforeValidator(_null_as_default_title)] = Field(
        default=DEFAULT_TITLE, description="Title of the thread; `null` means the default."
    )
    context: dict[str, Any] | None = Field(default=None, description="Free-form context object.")


class ThreadUpdate(StorableBody):
    """Body of `PATCH /v1/threads/{thread_id}` (`PatchThread`): only the keys sent change.

    `title`, `status` and `updated_at` may be omitted but not sent as `null`; `null` clears the
    other keys. Unknown keys are ignored.
    """

    assistant_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    title: Annotated[str | None, NotNull] = None
    status: Annotated[ThreadStatus | None, NotNull] = None
    updated_at: Annotated[UTCDatetime | None, NotNull] = Field(
        default=None,
        description="Sets the thread's activity time explicitly (naive values are taken as UTC); "
        "without it, `updated_at` becomes the time of this update.",
    )
    knowledge_base_id: str | None = None
    context: dict[str, Any] | None = None


class AssistantInfo(BaseModel):
    """The assistant a message is attributed to."""

    assistant_id: uuid.UUID
    assistant_name: str | None = Field(default=None, description="Not tracked yet: always `null`.")
    is_default: bool = False


class ThreadRead(BaseModel):
    """A thread as the API returns it."""

    id: uuid.UUID
    thread_id: uuid.UUID = Field(description="Same as `id` (some clients read this key).")
    tenant_id: uuid.UUID
    tenant_name: str
    status: ThreadStatus
    title: str
    assistant_id: uuid.UUID | None
    agent_id: uuid.UUID | None
    context: dict[str, Any] | None
    knowledge_base_id: str | None
    created_by: uuid.UUID | None = Field(description="Id of the user who created the thread.")
    created_by_username: str | None
    created_on: UTCDatetime
    updated_at: UTCDatetime = Field(description="Time of the latest activity (e.g. last message).")
    deleted_at: UTCDatetime | None
    deleted_by: str | None
    last_read_at: UTCDatetime | None
    last_agent_message_at: UTCDatetime | None = Field(
        description="Time of the latest `assistant` message."
    )

    @classmethod
    def of(cls, thread: Thread, tenant_name: str) -> ThreadRead:
        """Build from a row; the tenant name comes from the caller's token."""
        return cls(
            id=thread.id,
            thread_id=thread.id,
            tenant_id=thread.tenant_id,
            tenant_name=tenant_name,
            status=thread.status,
            title=thread.title,
            assistant_id=thread.assistant_id,
            agent_id=thread.agent_id,
            context=thread.context,
            knowledge_base_id=thread.knowledge_base_id,
            created_by=thread.created_by,
            created_by_username=thread.created_by_username,
            created_on=thread.created_at,
            updated_at=thread.updated_at,
            deleted_at=thread.deleted_at,
            deleted_by=thread.deleted_by,
            last_read_at=thread.last_read_at,
            last_agent_message_at=thread.last_agent_message_at,
        )


class MessageCreate(StorableBody):
    """Body of `POST /v1/threads/{thread_id}/messages` (`CreateMessage`). Unknown keys are ignored."""

    role: MessageRole
    content: ContentField
    mentions: MentionsField = Field(default_factory=list)
    document_ids: DocumentIdsField = Field(default_factory=list)
    parent_message_id: ParentMessageField = None
    additional_properties: AdditionalPropertiesField = Field(default_factory=dict)
    assistant_id: uuid.UUID | None = None
    context: dict[str, Any] | None = Field(default=None, description='E.g. `{"values": []}`.')
    step_history: StepHistoryField = Field(default_factory=list)
    message_state: dict[str, Any] | None = None


class MessageUpdate(StorableBody):
    """Body of `PATCH /v1/threads/{thread_id}/messages/{message_id}`: only the keys sent change.

    `role` and `content` may be omitted but not sent as `null`; `null` clears `parent_message_id`,
    `assistant_id`, `context` and `message_state`, and empties the lists and
    `additional_properties`. Unknown keys are ignored.
    """

    role: Annotated[MessageRole | None, NotNull] = None
    content: Annotated[ContentField | None, NotNull] = None
    mentions: MentionsField | None = None
    document_ids: DocumentIdsField | None = None
    parent_message_id: ParentMessageField = None
    additional_properties: AdditionalPropertiesField | None = None
    assistant_id: uuid.UUID | None = None
    message_state: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    step_history: StepHistoryField | None = None


class MessageRead(BaseModel):
    """A message as the API returns it (`content` is always an array)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    thread_id: uuid.UUID
    role: str
    content: list[dict[str, Any]]
    mentions: list[dict[str, Any]]
    document_ids: list[uuid.UUID]
    parent_message_id: uuid.UUID | None
    additional_properties: dict[str, Any]
    context: dict[str, Any] | None
    step_history: list[dict[str, Any]]
    message_state: dict[str, Any] | None
    assistant: AssistantInfo | None = Field(description="Set when the message names an assistant.")
    created_by: uuid.UUID | None
    created_by_username: str | None
    created_on: UTCDatetime
    updated_at: UTCDatetime

    @classmethod
    def of(cls, message: Message) -> MessageRead:
        """Build from a row."""
        return cls(
            id=message.id,
            tenant_id=message.tenant_id,
            thread_id=message.thread_id,
            role=message.role,
            content=message.content,
            mentions=message.mentions,
            document_ids=[uuid.UUID(d) for d in message.document_ids],
            parent_message_id=message.parent_message_id,
            additional_properties=message.additional_properties,
            context=message.context,
            step_history=message.step_history,
            message_state=message.message_state,
            assistant=(
                AssistantInfo(assistant_id=message.assistant_id)
                if message.assistant_id is not None
                else None
            ),
            created_by=message.created_by,
            created_by_username=message.created_by_username,
            created_on=message.created_at,
            updated_at=message.updated_at,
        )


class Deleted(BaseModel):
    """The answer to a successful delete."""

    id: uuid.UUID
    deleted: bool = True


class LogEntry(BaseModel):
    """One captured log line."""

    timestamp: str
    level: str
    message: str


class CapturedLogs(BaseModel):
    """Logs captured during a run started with `capture_logs: true`."""

    log_id: str
    log_count: int
    logs: list[LogEntry]


class CapturedLogsRead(BaseModel):
    """The answer of the log routes (the ADK's shape). Runs capture no logs yet: they answer 404."""

    captured_logs: CapturedLogs
