"""End to end: Chat With Agents on a real `wxo serve`, driven by the `openai` SDK.

The agent runs on the built-in `local/extractive` model (no tool calling), so the answers quote
the conversation: the second answer on the same thread quotes the first message, which shows
the thread's history reached the agent loop on the worker.
"""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest

from tests.e2e.conftest import ServerProcess

pytestmark = pytest.mark.e2e


def test_openai_sdk_chats_with_an_agent_and_continues_its_thread(server: ServerProcess) -> None:
    name = f"quoter_{uuid.uuid4().hex[:6]}"
    created = httpx.post(
        f"{server.url}/v1/orchestrate/agents",
        json={"name": name, "llm": "local/extractive", "description": "Quotes the chat."},
        headers=server.headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    client = openai.OpenAI(
        base_url=f"{server.url}/api/v1/orchestrate/{name}", api_key=server.token, max_retries=0
    )
    with client:
        first = client.chat.completions.create(
            model=name,
            messages=[{"role": "user", "content": "The Eiffel Tower stands in Paris."}],
        )
        assert first.object == "chat.completion"
        thread_id = (first.model_extra or {})["thread_id"]
        assert first.model == "local/extractive"
        assert first.choices[0].finish_reason == "stop"

        stream = client.chat.completions.create(
            model=name,
            messages=[{"role": "user", "content": "Where does the Eiffel Tower stand?"}],
            stream=True,
            extra_headers={"X-IBM-THREAD-ID": thread_id},
        )
        chunks = list(stream)
    assert {(c.model_extra or {})["thread_id"] for c in chunks} == {thread_id}
    answer = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "The Eiffel Tower stands in Paris." in answer
    assert chunks[-1].choices[0].finish_reason == "stop"

    messages = httpx.get(
        f"{server.url}/v1/threads/{thread_id}/messages", headers=server.headers, timeout=30
    ).json()
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert answer == "".join(i.get("text", "") for i in messages[3]["content"])
    runs = httpx.get(f"{server.url}/v1/orchestrate/runs", headers=server.headers, timeout=30)
    assert {first.id, chunks[0].id} <= {r["id"] for r in runs.json()["data"]}
