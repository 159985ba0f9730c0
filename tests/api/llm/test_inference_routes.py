"""Inference routes with the built-in extractive model: OpenAI and WxO shapes, streaming, usage."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import TenantUser
from wxo.container import Container
from wxo.usage.models import ModelUsage

CONTEXT = "[kb-1]\nThe Eiffel Tower is in Paris. It opened in 1889.\n[kb-2]\nRust is a language."
EXTRACTIVE = "local/extractive"


def chat_body(**extra: Any) -> dict[str, Any]:
    return {
        "model": EXTRACTIVE,
        "messages": [
            {"role": "system", "content": CONTEXT},
            {"role": "user", "content": "Where is the Eiffel Tower?"},
        ],
        **extra,
    }


def sse_events(text: str) -> list[Any]:
    events = []
    for block in text.split("\n\n"):
        if block.startswith("data: "):
            payload = block[len("data: ") :]
            events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


@pytest.mark.parametrize(
    "path", ["/v1/chat/completions", "/api/v1/orchestrate/gateway/model/chat/completions"]
)
async def test_chat_completion_with_extractive_model_has_openai_shape(
    client: httpx.AsyncClient, tenant_a: TenantUser, path: str
) -> None:
    response = await client.post(path, json=chat_body(), headers=tenant_a.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["model"] == EXTRACTIVE
    assert body["id"].startswith("chatcmpl-")
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert "The Eiffel Tower is in Paris. [kb-1]" in choice["message"]["content"]
    assert choice["message"]["content"].startswith("Extractive answer")
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


async def test_chat_completion_stream_is_sse_ending_with_done(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    whole = (
        await client.post("/v1/chat/completions", json=chat_body(), headers=tenant_a.headers)
    ).json()
    response = await client.post(
        "/v1/chat/completions",
        json=chat_body(stream=True, stream_options={"include_usage": True}),
        headers=tenant_a.headers,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == whole["choices"][0]["message"]["content"]
    finals = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert finals[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] > 0


async def test_wxo_chat_and_completion_shapes(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    chat = await client.post(
        "/v1/completions/chat",
        json={**chat_body(), "llm_params": {"decoding_method": "greedy", "max_new_tokens": 50}},
        headers=tenant_a.headers,
    )
    assert chat.status_code == 200
    body = chat.json()
    assert set(body) == {"content", "response_metadata"}
    assert "[kb-1]" in body["content"]
    assert body["response_metadata"]["model"] == EXTRACTIVE
    assert body["response_metadata"]["extractive"] is True

    completion = await client.post(
        "/api/v1/completions",
        json={"model": EXTRACTIVE, "prompt": "Where is the Eiffel Tower?"},
        headers=tenant_a.headers,
    )
    assert completion.status_code == 200
    assert "no context was provided" in completion.json()["content"]


async def test_unknown_model_is_404_naming_it(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.post(
        "/v1/chat/completions", json=chat_body(model="ollama/llama3.2"), headers=tenant_a.headers
    )
    assert response.status_code == 404
    assert "ollama/llama3.2" in response.json()["detail"]


async def test_no_default_chat_model_is_404_with_hint(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    body = chat_body()
    del body["model"]
    response = await client.post("/v1/chat/completions", json=body, headers=tenant_a.headers)
    assert response.status_code == 404
    assert "default" in response.json()["detail"]


async def test_embedding_model_asked_for_chat_is_400(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    response = await client.post(
        "/v1/chat/completions",
        json=chat_body(model="local/all-minilm-l6-v2"),
        headers=tenant_a.headers,
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"model": EXTRACTIVE, "messages": []},
        {"model": EXTRACTIVE},
        {"model": EXTRACTIVE, "messages": [{"role": "wizard", "content": "x"}]},
        {"model": EXTRACTIVE, "messages": [{"role": "user", "content": "x"}], "n": 2},
        {"model": EXTRACTIVE, "messages": [{"role": "user", "content": "x"}], "temperature": 9},
    ],
)
async def test_bad_chat_bodies_are_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, body: dict[str, Any]
) -> None:
    response = await client.post("/v1/chat/completions", json=body, headers=tenant_a.headers)
    assert response.status_code == 422


async def test_image_parts_are_400(client: httpx.AsyncClient, tenant_a: TenantUser) -> None:
    body = chat_body()
    body["messages"][1]["content"] = [{"type": "image_url", "image_url": {"url": "http://x/a.png"}}]
    response = await client.post("/v1/chat/completions", json=body, headers=tenant_a.headers)
    assert response.status_code == 400
    assert "image_url" in response.json()["detail"]


async def test_inference_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/chat/completions", json=chat_body())
    assert response.status_code == 401


async def test_usage_is_recorded_per_tenant_and_model(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    for _ in range(2):
        response = await live_client.post(
            "/v1/chat/completions", json=chat_body(), headers=live_tenant.headers
        )
        assert response.status_code == 200
    streamed = await live_client.post(
        "/v1/chat/completions", json=chat_body(stream=True), headers=live_tenant.headers
    )
    assert sse_events(streamed.text)[-1] == "[DONE]"

    await container.usage.flush()  # counts are written in batches
    async with container.sessionmaker() as session:
        row = (
            await session.execute(
                select(ModelUsage).where(ModelUsage.tenant_id == live_tenant.tenant_id)
            )
        ).scalar_one()
    assert row.model == EXTRACTIVE
    assert row.requests == 3
    assert row.errors == 0
    assert row.completion_tokens > 0

    page = await live_client.get("/v1/models/usage", headers=live_tenant.headers)
    assert page.status_code == 200
    body = page.json()
    assert body["total"] == 1
    item = body["data"][0]
    assert item["model"] == EXTRACTIVE
    assert item["requests"] == 3
    assert item["total_tokens"] == item["prompt_tokens"] + item["completion_tokens"]
