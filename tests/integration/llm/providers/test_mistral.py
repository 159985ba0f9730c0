"""Mistral AI adapter: the request body it sends, and the documented answers it reads."""

from __future__ import annotations

import pytest

from tests.integration.llm.providers.cases import (
    MISTRAL,
    SECRET,
    make_target,
    mistral_chunk,
    mistral_completion,
)
from tests.integration.llm.providers.conftest import Built
from tests.integration.llm.providers.fake_upstream import FakeUpstream, Reply, sse
from wxo.llm.base import ChatMessage, ChatRequest, GenerationParams, ToolCall, ToolSpec
from wxo.llm.providers.errors import ProviderConfigError
from wxo.llm.providers.factory import build_chat_model
from wxo.llm.providers.mistral import mistral_tool_call_id

PATH = "/v1/chat/completions"
TOOL = ToolSpec(
    name="get_weather",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)
FOREIGN_ID = "call_DdmO9pD3xa9XTPNJ32zg2hcA"  # from another provider: Mistral would refuse it
CONVERSATION = [
    ChatMessage(role="user", content="Weather in Paris?"),
    ChatMessage(
        role="assistant",
        tool_calls=[ToolCall(id=FOREIGN_ID, name="get_weather", arguments='{"city": "Paris"}')],
    ),
    ChatMessage(role="tool", tool_call_id=FOREIGN_ID, content="21 C"),
]


def test_tool_call_ids_are_made_acceptable_to_mistral() -> None:
    rewritten = mistral_tool_call_id(FOREIGN_ID)

    assert len(rewritten) == 9
    assert rewritten.isalnum()
    assert mistral_tool_call_id(FOREIGN_ID) == rewritten
    assert mistral_tool_call_id("D681PevKs") == "D681PevKs"


async def test_request_body(upstream: FakeUpstream, build: Built) -> None:
    upstream.reply("POST", PATH, Reply(json=mistral_completion("It is 21 C.")))
    target = MISTRAL.target(f"{upstream.url}/v1/", extra_headers={"X-Tenant": "t1"})
    model = build.chat(target)
    params = GenerationParams(
        temperature=0.3, top_p=0.8, max_tokens=100, stop=["END"], seed=42, presence_penalty=0.5
    )

    result = await model.complete(
        ChatRequest(messages=CONVERSATION, tools=[TOOL], tool_choice="any", params=params)
    )

    sent = upstream.requests[0]
    assert sent.path == PATH  # the configured /v1 suffix is not doubled
    assert sent.headers["authorization"] == f"Bearer {SECRET}"
    assert sent.headers["x-tenant"] == "t1"
    body = sent.json()
    short = mistral_tool_call_id(FOREIGN_ID)
    assert body["model"] == "mistral-small-latest"
    assert body["messages"] == [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": short,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    "index": 0,  # added by the SDK
                }
            ],
            "prefix": False,  # added by the SDK
        },
        {"role": "tool", "content": "21 C", "tool_call_id": short, "name": "get_weather"},
    ]
    assert body["tools"] == [
        {"type": "function", "function": {"name": "get_weather", "parameters": TOOL.parameters}}
    ]
    assert body["tool_choice"] == "any"
    assert {k: body[k] for k in ("temperature", "top_p", "max_tokens", "stop", "random_seed")} == {
        "temperature": 0.3,
        "top_p": 0.8,
        "max_tokens": 100,
        "stop": ["END"],
        "random_seed": 42,
    }
    assert body["presence_penalty"] == 0.5
    assert result.content == "It is 21 C."
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (16, 34)
    assert result.model == "mistral-small-latest"


async def test_tool_calls_in_the_answer(upstream: FakeUpstream, build: Built) -> None:
    call = {
        "id": "D681PevKs",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    upstream.reply("POST", PATH, Reply(json=mistral_completion("", tool_calls=[call])))
    model = build.chat(MISTRAL.target(upstream.url))

    result = await model.complete(ChatRequest(messages=CONVERSATION[:1], tools=[TOOL]))

    assert result.finish_reason == "tool_calls"
    assert result.tool_calls == [
        ToolCall(id="D681PevKs", name="get_weather", arguments='{"city": "Paris"}')
    ]


async def test_stream_with_tool_calls_and_usage(upstream: FakeUpstream, build: Built) -> None:
    calls = [
        {"id": "AbCdEf123", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
        {"id": "XyZ987abc", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}},
    ]
    usage = {"prompt_tokens": 70, "completion_tokens": 30, "total_tokens": 100}
    events = [
        mistral_chunk({"role": "assistant", "content": "Checking. "}),
        mistral_chunk({"content": "", "tool_calls": calls}),
        mistral_chunk({"content": ""}, "tool_calls", usage=usage),
    ]
    upstream.reply("POST", PATH, Reply(chunks=sse(*events), content_type="text/event-stream"))
    model = build.chat(MISTRAL.target(upstream.url))

    chunks = [c async for c in model.stream(ChatRequest(messages=CONVERSATION[:1], tools=[TOOL]))]

    assert upstream.requests[0].json()["stream"] is True
    assert chunks[0].content == "Checking. "
    deltas = [d for c in chunks for d in c.tool_calls]
    assert [(d.index, d.id, d.name, d.arguments) for d in deltas] == [
        (0, "AbCdEf123", "get_weather", '{"city": "Paris"}'),
        (1, "XyZ987abc", "get_weather", '{"city": "Rome"}'),
    ]
    assert chunks[-1].finish_reason == "tool_calls"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 100


async def test_embeddings(upstream: FakeUpstream, build: Built) -> None:
    answer = {
        "id": "8d6a8e8ee0fa460c9360526480f636ee",
        "object": "list",
        "data": [
            {"object": "embedding", "embedding": [0.3, 0.4], "index": 1},
            {"object": "embedding", "embedding": [0.1, 0.2], "index": 0},
        ],
        "model": "mistral-embed",
        "usage": {"prompt_tokens": 15, "total_tokens": 15, "completion_tokens": 0},
    }
    upstream.reply("POST", "/v1/embeddings", Reply(json=answer))
    target = make_target(
        "mistral-ai",
        "mistral-embed",
        "embedding",
        base_url=upstream.url,
        extra={"dimensions": 2},
    )
    model = build.embedding(target)

    result = await model.embed(["one", "two"])

    body = upstream.requests[0].json()
    assert body["model"] == "mistral-embed"
    assert body["input"] == ["one", "two"]
    assert result.vectors == [[0.1, 0.2], [0.3, 0.4]]
    assert result.prompt_tokens == 15
    assert model.max_tokens == 8192


def test_la_plateforme_needs_an_api_key() -> None:
    with pytest.raises(ProviderConfigError, match="mistral-ai: model 'm' has no API key"):
        build_chat_model(make_target("mistral-ai", "mistral-small-latest", name="m", api_key=None))
