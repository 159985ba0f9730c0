"""Pure logic of the threads schemas: content normalisation and body validation rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from wxo.core.storable import MAX_JSON_DEPTH
from wxo.threads.models import MessageRole, ThreadStatus
from wxo.threads.schemas import (
    ContentItem,
    MessageCreate,
    MessageUpdate,
    ThreadCreate,
    ThreadRead,
    ThreadUpdate,
    normalise_content,
)


def test_normalise_content_turns_a_string_into_one_text_item() -> None:
    assert normalise_content("Hi") == [{"response_type": "text", "text": "Hi"}]


def test_normalise_content_keeps_an_empty_string() -> None:
    assert normalise_content("") == [{"response_type": "text", "text": ""}]


def test_normalise_content_keeps_every_key_of_items_verbatim() -> None:
    items: list[dict[str, Any]] = [
        {"response_type": "text", "text": "a", "id": "1"},
        {"response_type": "file_download", "files": [{"name": "x.pdf", "size": 3}], "n": None},
    ]

    from_models = normalise_content([ContentItem.model_validate(i) for i in items])
    from_dicts = normalise_content(items)

    assert from_models == items
    assert from_dicts == items
    assert from_dicts[0] is not items[0]  # copies, not aliases


def test_normalise_content_of_an_empty_list_is_empty() -> None:
    assert normalise_content([]) == []


def test_message_create_keeps_string_content_until_normalised() -> None:
    body = MessageCreate.model_validate({"role": "user", "content": "Hi"})

    assert body.content == "Hi"
    assert body.role is MessageRole.USER
    assert normalise_content(body.content) == [{"response_type": "text", "text": "Hi"}]


def test_message_create_defaults_optional_fields() -> None:
    body = MessageCreate.model_validate({"role": "assistant", "content": []})

    assert (body.mentions, body.document_ids, body.step_history) == ([], [], [])
    assert body.additional_properties == {}
    assert (body.context, body.message_state, body.parent_message_id, body.assistant_id) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize("field", ["mentions", "document_ids", "step_history"])
def test_message_create_reads_null_lists_as_empty(field: str) -> None:
    body = MessageCreate.model_validate({"role": "user", "content": "x", field: None})

    assert getattr(body, field) == []


def test_message_create_reads_null_additional_properties_as_empty() -> None:
    body = MessageCreate.model_validate(
        {"role": "user", "content": "x", "additional_properties": None}
    )

    assert body.additional_properties == {}


@pytest.mark.parametrize(
    "content",
    [[{"text": "missing type"}], [{"response_type": 1}], ["text"], 3, None, {"response_type": "t"}],
)
def test_message_create_rejects_malformed_content(content: Any) -> None:
    with pytest.raises(ValidationError):
        MessageCreate.model_validate({"role": "user", "content": content})


@pytest.mark.parametrize("role", ["bot", "USER", "", None])
def test_message_create_rejects_unknown_roles(role: Any) -> None:
    with pytest.raises(ValidationError):
        MessageCreate.model_validate({"role": role, "content": "x"})


@pytest.mark.parametrize(
    "extra",
    [
        {"content": "a\x00b"},
        {"content": [{"response_type": "text", "text": "\x00"}]},
        {"context": {"k\x00": 1}},
        {"step_history": [{"role": "assistant", "nested": ["ok", "bad\x00"]}]},
    ],
)
def test_message_create_rejects_nul_characters_anywhere(extra: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="NUL"):
        MessageCreate.model_validate({"role": "user", "content": "x", **extra})


def nested_lists(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_message_create_accepts_nesting_up_to_the_limit() -> None:
    # body (0) -> context (1) -> lists (2 .. MAX_JSON_DEPTH - 1)
    deepest_allowed = nested_lists(MAX_JSON_DEPTH - 2)

    body = MessageCreate.model_validate(
        {"role": "user", "content": "x", "context": {"a": deepest_allowed}}
    )

    assert body.context == {"a": deepest_allowed}


def test_message_create_rejects_nesting_beyond_the_limit() -> None:
    too_deep = nested_lists(MAX_JSON_DEPTH - 1)

    with pytest.raises(ValidationError, match=f"at most {MAX_JSON_DEPTH} levels"):
        MessageCreate.model_validate({"role": "user", "content": "x", "context": {"a": too_deep}})


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_message_create_rejects_non_finite_numbers(number: float) -> None:
    with pytest.raises(ValidationError, match="finite"):
        MessageCreate.model_validate(
            {"role": "user", "content": [{"response_type": "t", "score": number}]}
        )


def test_thread_create_rejects_nul_in_title() -> None:
    with pytest.raises(ValidationError, match="NUL"):
        ThreadCreate.model_validate({"title": "a\x00"})


def test_message_update_records_only_the_keys_sent() -> None:
    body = MessageUpdate.model_validate({"content": "x", "context": None})

    assert body.model_dump(exclude_unset=True) == {"content": "x", "context": None}


@pytest.mark.parametrize("field", ["role", "content"])
def test_message_update_rejects_null_for_required_fields(field: str) -> None:
    with pytest.raises(ValidationError, match="may be omitted but not null"):
        MessageUpdate.model_validate({field: None})


def test_thread_create_defaults_and_ignores_unknown_keys() -> None:
    body = ThreadCreate.model_validate({"title": None, "unknown": 1})

    assert body.title == "Untitled"
    assert body.model_dump() == {
        "assistant_id": None,
        "agent_id": None,
        "title": "Untitled",
        "context": None,
    }


@pytest.mark.parametrize("field", ["title", "status", "updated_at"])
def test_thread_update_rejects_null_for_non_nullable_fields(field: str) -> None:
    with pytest.raises(ValidationError, match="may be omitted but not null"):
        ThreadUpdate.model_validate({field: None})


def test_thread_update_allows_null_to_clear_nullable_fields() -> None:
    body = ThreadUpdate.model_validate(
        {"agent_id": None, "assistant_id": None, "knowledge_base_id": None, "context": None}
    )

    assert body.model_dump(exclude_unset=True) == dict.fromkeys(
        ("agent_id", "assistant_id", "knowledge_base_id", "context")
    )


@pytest.mark.parametrize("status", [s.value for s in ThreadStatus])
def test_thread_update_accepts_every_status(status: str) -> None:
    assert ThreadUpdate.model_validate({"status": status}).status == ThreadStatus(status)


def test_thread_update_rejects_an_unknown_status() -> None:
    with pytest.raises(ValidationError):
        ThreadUpdate.model_validate({"status": "sleeping"})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2030-01-02T03:04:05+02:00", datetime(2030, 1, 2, 1, 4, 5, tzinfo=UTC)),
        ("2030-01-02T03:04:05", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2030-01-02T03:04:05Z", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_thread_update_normalises_updated_at_to_utc(given: str, expected: datetime) -> None:
    updated_at = ThreadUpdate.model_validate({"updated_at": given}).updated_at

    assert updated_at == expected
    assert updated_at is not None
    assert updated_at.utcoffset() == timedelta(0)


def test_thread_read_renders_times_in_utc_with_z() -> None:
    paris = timezone(timedelta(hours=1))
    thread_id = uuid.uuid4()
    read = ThreadRead(
        id=thread_id,
        thread_id=thread_id,
        tenant_id=uuid.uuid4(),
        tenant_name="t",
        status=ThreadStatus.READY,
        title="x",
        assistant_id=None,
        agent_id=None,
        context=None,
        knowledge_base_id=None,
        created_by=None,
        created_by_username=None,
        created_on=datetime(2024, 5, 1, 13, 0, tzinfo=paris),
        updated_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        deleted_at=None,
        deleted_by=None,
        last_read_at=None,
        last_agent_message_at=None,
    )

    dumped = read.model_dump(mode="json")

    assert dumped["created_on"] == "2024-05-01T12:00:00Z"
    assert dumped["updated_at"] == "2024-05-01T12:00:00Z"
