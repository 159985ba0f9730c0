"""watsonx.ai adapter: IAM tokens, the request body it sends, and the documented answers it reads."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from tests.integration.llm.providers.cases import (
    IAM_PATH,
    IAM_TOKEN,
    SECRET,
    WATSONX,
    iam_reply,
    make_target,
    watsonx_chunk,
    watsonx_completion,
    watsonx_events,
)
from tests.integration.llm.providers.conftest import Built
from tests.integration.llm.providers.fake_upstream import FakeUpstream, Reply
from wxo.llm.base import ChatMessage, ChatRequest, GenerationParams, ToolCall, ToolSpec
from wxo.llm.providers.errors import ProviderAuthError, ProviderConfigError
from wxo.llm.providers.factory import build_chat_model, build_embedding_model

CHAT = "/ml/v1/text/chat"
STREAM = "/ml/v1/text/chat_stream"
PROJECT = "d0b1e0a5-1234-4c5d-9e8f-0a1b2c3d4e5f"
TOOL = ToolSpec(
    name="get_weather",
    description="Weather in a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)
ASK = [ChatMessage(role="user", content="Weather in Paris?")]


async def test_iam_token_then_chat(upstream: FakeUpstream, build: Built) -> None:
    WATSONX.prepare(upstream)
    upstream.reply("POST", CHAT, Reply(json=watsonx_completion("It is sunny.")))
    model = build.chat(WATSONX.target(upstream.url))
    params = GenerationParams(
        temperature=0.5,
        top_k=50,
        min_tokens=1,
        max_tokens=200,
        stop=["\n"],
        seed=11,
        repetition_penalty=1.2,
        timeout_seconds=30,
        extra={"openai": {"logprobs": True, "user": "u1"}},
    )
    conversation = [
        *ASK,
        ChatMessage(
            role="assistant",
            tool_calls=[ToolCall(id="chatcmpl-tool-1", name="get_weather", arguments="{}")],
        ),
        ChatMessage(role="tool", tool_call_id="chatcmpl-tool-1", content="sunny"),
    ]

    result = await model.complete(
        ChatRequest(messages=conversation, tools=[TOOL], tool_choice="required", params=params)
    )

    iam, chat = upstream.requests
    assert iam.path == IAM_PATH
    assert iam.headers["content-type"] == "application/x-www-form-urlencoded"
    assert iam.form() == {
        "grant_type": ["urn:ibm:params:oauth:grant-type:apikey"],
        "apikey": [SECRET],
    }
    assert chat.headers["authorization"] == f"Bearer {IAM_TOKEN}"
    assert chat.query == {"version": ["2024-10-08"]}
    assert chat.json() == {
        "model_id": "ibm/granite-3-8b-instruct",
        "project_id": PROJECT,
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "chatcmpl-tool-1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "content": "sunny", "tool_call_id": "chatcmpl-tool-1"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Weather in a city",
                    "parameters": TOOL.parameters,
                },
            }
        ],
        "tool_choice_option": "required",
        "temperature": 0.5,
        "max_tokens": 200,
        "stop": ["\n"],
        "seed": 11,
        "repetition_penalty": 1.2,
        "time_limit": 30000,
        "logprobs": True,
    }
    assert result.content == "It is sunny."
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (186, 47)
    assert result.model == "ibm/granite-3-8b-instruct"


async def test_the_token_is_reused_and_renewed_when_refused(
    upstream: FakeUpstream, build: Built
) -> None:
    WATSONX.prepare(upstream)
    expired = WATSONX.error_reply(401, "Failed to authenticate the request due to an expired token")
    ok = Reply(json=watsonx_completion("ok"))
    upstream.reply("POST", CHAT, ok, ok, expired, ok)
    model = build.chat(WATSONX.target(upstream.url))

    for _ in range(3):
        assert (await model.complete(ChatRequest(messages=ASK))).content == "ok"

    assert len(upstream.to(IAM_PATH)) == 2  # once at first, once after the 401
    assert len(upstream.to(CHAT)) == 4


async def test_a_fresh_token_refused_is_an_auth_error(upstream: FakeUpstream, build: Built) -> None:
    WATSONX.prepare(upstream)
    upstream.reply("POST", CHAT, WATSONX.error_reply(403, "not a member of the project"))
    model = build.chat(WATSONX.target(upstream.url))

    with pytest.raises(ProviderAuthError, match=r"watsonx: .* credentials \(403\)"):
        await model.complete(ChatRequest(messages=ASK))

    assert len(upstream.to(CHAT)) == 1


async def test_space_deployment_and_api_version(upstream: FakeUpstream, build: Built) -> None:
    WATSONX.prepare(upstream)
    path = "/ml/v1/deployments/dep-42/text/chat"
    upstream.reply("POST", path, Reply(json=watsonx_completion("ok")))
    upstream.reply("POST", CHAT, Reply(json=watsonx_completion("ok")))
    deployed = build.chat(
        WATSONX.target(
            upstream.url,
            project_id=None,
            space_id="sp-1",
            deployment_id="dep-42",
            api_version="5.1",
        )
    )
    in_space = build.chat(
        WATSONX.target(upstream.url, project_id=None, space_id="sp-1", api_version="2025-02-11")
    )

    await deployed.complete(ChatRequest(messages=ASK, tool_choice={"type": "function"}))
    await in_space.complete(ChatRequest(messages=ASK))

    [sent] = upstream.to(path)
    assert sent.query == {"version": ["2024-10-08"]}  # "5.1" is a Cloud Pak release, not a date
    assert sent.json() == {
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tool_choice": {"type": "function"},
    }
    [sent] = upstream.to(CHAT)
    assert sent.json()["space_id"] == "sp-1"
    assert "project_id" not in sent.json()
    assert sent.query == {"version": ["2025-02-11"]}


async def test_tool_calls_in_the_answer(upstream: FakeUpstream, build: Built) -> None:
    WATSONX.prepare(upstream)
    call = {
        "id": "chatcmpl-tool-8b6b2d1b",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    upstream.reply("POST", CHAT, Reply(json=watsonx_completion(None, tool_calls=[call])))
    model = build.chat(WATSONX.target(upstream.url))

    result = await model.complete(ChatRequest(messages=ASK, tools=[TOOL]))

    assert result.finish_reason == "tool_calls"
    assert result.tool_calls == [
        ToolCall(id="chatcmpl-tool-8b6b2d1b", name="get_weather", arguments='{"city": "Paris"}')
    ]


async def test_stream_with_tool_call_deltas(upstream: FakeUpstream, build: Built) -> None:
    WATSONX.prepare(upstream)
    head = {"index": 0, "id": "chatcmpl-tool-1", "type": "function"}
    usage = {"completion_tokens": 20, "prompt_tokens": 180, "total_tokens": 200}
    events = watsonx_events(
        watsonx_chunk({"role": "assistant", "content": ""}),
        watsonx_chunk(
            {"tool_calls": [head | {"function": {"name": "get_weather", "arguments": ""}}]}
        ),
        watsonx_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
        watsonx_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
        watsonx_chunk({}, "tool_calls", usage=usage),
    )
    upstream.reply("POST", STREAM, Reply(chunks=events, content_type="text/event-stream"))
    model = build.chat(WATSONX.target(upstream.url))

    chunks = [c async for c in model.stream(ChatRequest(messages=ASK, tools=[TOOL]))]

    assert upstream.to(STREAM)[0].headers["authorization"] == f"Bearer {IAM_TOKEN}"
    deltas = [d for c in chunks for d in c.tool_calls]
    assert deltas[0].id == "chatcmpl-tool-1"
    assert "".join(d.arguments for d in deltas) == '{"city": "Paris"}'
    assert chunks[-1].finish_reason == "tool_calls"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == 180


async def test_embeddings(upstream: FakeUpstream, build: Built) -> None:
    WATSONX.prepare(upstream)
    answer = {
        "model_id": "ibm/slate-30m-english-rtrvr",
        "results": [{"embedding": [0.1] * 384}, {"embedding": [0.2] * 384}],
        "created_at": "2024-05-02T16:21:56.771Z",
        "input_token_count": 10,
    }
    upstream.reply("POST", "/ml/v1/text/embeddings", Reply(json=answer))
    target = make_target(
        "watsonx",
        "ibm/slate-30m-english-rtrvr",
        "embedding",
        base_url=upstream.url,
        project_id=PROJECT,
        extra={"iam_url": f"{upstream.url}{IAM_PATH}"},
    )
    model = build.embedding(target)

    result = await model.embed(["a", "b"])

    [sent] = upstream.to("/ml/v1/text/embeddings")
    assert sent.json() == {
        "inputs": ["a", "b"],
        "model_id": "ibm/slate-30m-english-rtrvr",
        "project_id": PROJECT,
    }
    assert sent.query == {"version": ["2024-10-08"]}
    assert result.vectors == [[0.1] * 384, [0.2] * 384]
    assert result.prompt_tokens == 10
    assert (model.dimensions, model.max_tokens) == (384, 512)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"api_key": None, "project_id": "p"}, "has no API key"),
        ({}, "needs a project_id or space_id"),
    ],
)
def test_configuration_is_checked(config: dict[str, Any], message: str) -> None:
    target = make_target("watsonx", "ibm/granite-3-8b-instruct", **config)

    with pytest.raises(ProviderConfigError, match=message):
        build_chat_model(target)
    with pytest.raises(ProviderConfigError, match=message):
        build_embedding_model(target.model_copy(update={"model_type": "embedding"}))


@respx.mock
async def test_default_hosts_are_ibm_clouds(build: Built) -> None:
    iam = respx.post("https://iam.cloud.ibm.com/identity/token").mock(
        return_value=httpx.Response(200, json=iam_reply().json)
    )
    chat = respx.post("https://us-south.ml.cloud.ibm.com/ml/v1/text/chat").mock(
        return_value=httpx.Response(200, json=watsonx_completion("Hello from Dallas"))
    )
    model = build.chat(make_target("watsonx", "ibm/granite-3-8b-instruct", project_id=PROJECT))

    result = await model.complete(ChatRequest(messages=ASK))

    assert result.content == "Hello from Dallas"
    assert iam.call_count == 1
    assert chat.calls.last.request.url.params["version"] == "2024-10-08"
