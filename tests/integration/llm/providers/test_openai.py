"""OpenAI adapter: the request body it sends, and the documented answers it reads."""

from __future__ import annotations

import json

import pytest

from tests.integration.llm.providers.cases import (
    OPENAI,
    SECRET,
    make_target,
    openai_chunk,
    openai_completion,
    openai_usage_chunk,
)
from tests.integration.llm.providers.conftest import Built
from tests.integration.llm.providers.fake_upstream import FakeUpstream, Reply, sse
from wxo.llm.base import (
    ChatMessage,
    ChatRequest,
    GenerationParams,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
)
from wxo.llm.providers.errors import ProviderConfigError, ProviderError
from wxo.llm.providers.factory import build_chat_model
from wxo.llm.providers.openai import OpenAIEmbeddingModel

PATH = "/v1/chat/completions"
WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather in a city",
    parameters={
        "type": "object",
        "properties": {
            "location": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
                "required": ["city"],
            },
            "unit": {"anyOf": [{"enum": ["c", "f"]}, {"type": "null"}], "default": "c"},
        },
        "required": ["location"],
    },
)
CONVERSATION = [
    ChatMessage(role="system", content="You are terse."),
    ChatMessage(role="user", content="Weather in Paris?"),
    ChatMessage(
        role="assistant",
        tool_calls=[
            ToolCall(
                id="call_abc123", name="get_weather", arguments='{"location":{"city":"Paris"}}'
            )
        ],
    ),
    ChatMessage(role="tool", tool_call_id="call_abc123", content='{"temp": 21}'),
]
PARAMS = GenerationParams(
    temperature=0.2,
    top_p=0.9,
    top_k=40,
    max_tokens=256,
    min_tokens=2,
    stop=["\n\n"],
    seed=7,
    repetition_penalty=1.5,
    presence_penalty=0.1,
)


async def test_request_body_for_a_compatible_server(upstream: FakeUpstream, build: Built) -> None:
    upstream.reply("POST", PATH, Reply(json=openai_completion("It is 21 °C.")))
    target = OPENAI.target(upstream.url, extra_headers={"X-Tenant": "t1"})
    model = build.chat(target)

    result = await model.complete(
        ChatRequest(
            messages=CONVERSATION,
            tools=[WEATHER],
            tool_choice="auto",
            params=PARAMS,
            response_format={"type": "json_object"},
        )
    )

    sent = upstream.requests[0]
    assert sent.headers["authorization"] == f"Bearer {SECRET}"
    assert sent.headers["x-tenant"] == "t1"
    assert sent.json() == {
        "model": "gpt-4o-mini",
        "stream": False,
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "call_abc123",
                        "type": "function",
                        "function": {
                            "name": "get_weather",
                            "arguments": '{"location":{"city":"Paris"}}',
                        },
                    }
                ],
            },
            {"role": "tool", "content": '{"temp": 21}', "tool_call_id": "call_abc123"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Current weather in a city",
                    "parameters": WEATHER.parameters,
                },
            }
        ],
        "tool_choice": "auto",
        "response_format": {"type": "json_object"},
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 256,
        "stop": ["\n\n"],
        "seed": 7,
        "presence_penalty": 0.1,
        # vLLM / llama.cpp extensions, sent as-is to compatible servers:
        "top_k": 40,
        "min_tokens": 2,
        "repetition_penalty": 1.5,
    }
    assert result.content == "It is 21 °C."
    assert result.finish_reason == "stop"
    assert result.usage.prompt_tokens == 19
    assert result.usage.total_tokens == 29
    assert result.model == "gpt-4o-mini-2024-07-18"


async def test_request_body_for_openai_itself(upstream: FakeUpstream, build: Built) -> None:
    upstream.reply("POST", PATH, Reply(json=openai_completion("ok")))
    model = build.chat(OPENAI.target(upstream.url, extra={"openai_compatible": False}))

    await model.complete(ChatRequest(messages=CONVERSATION[:2], params=PARAMS))

    body = upstream.requests[0].json()
    assert body["max_completion_tokens"] == 256
    assert body["frequency_penalty"] == 1.0  # approximated from repetition_penalty 1.5
    for key in ("max_tokens", "top_k", "min_tokens", "repetition_penalty"):
        assert key not in body


async def test_tool_calls_in_the_answer(upstream: FakeUpstream, build: Built) -> None:
    call = {
        "id": "call_DdmO9pD3xa9XTPNJ32zg2hcA",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"location": {"city": "Paris"}}'},
    }
    answer = openai_completion(None, message={"tool_calls": [call]}, finish_reason="tool_calls")
    upstream.reply("POST", PATH, Reply(json=answer))
    model = build.chat(OPENAI.target(upstream.url))

    result = await model.complete(ChatRequest(messages=CONVERSATION[:2], tools=[WEATHER]))

    assert result.content is None
    assert result.finish_reason == "tool_calls"
    assert result.tool_calls == [
        ToolCall(
            id="call_DdmO9pD3xa9XTPNJ32zg2hcA",
            name="get_weather",
            arguments='{"location": {"city": "Paris"}}',
        )
    ]


async def test_stream_with_tool_call_deltas_and_usage(upstream: FakeUpstream, build: Built) -> None:
    first = {"index": 0, "id": "call_1", "type": "function"}
    events = [
        openai_chunk({"role": "assistant", "content": None}),
        openai_chunk(
            {"tool_calls": [first | {"function": {"name": "get_weather", "arguments": ""}}]}
        ),
        openai_chunk(
            {"tool_calls": [{"index": 0, "function": {"arguments": '{"location": {"ci'}}]}
        ),
        openai_chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Paris"}}'}}]}),
        openai_chunk({}, "tool_calls"),
        openai_usage_chunk(82, 17),
    ]
    upstream.reply("POST", PATH, Reply(chunks=sse(*events), content_type="text/event-stream"))
    model = build.chat(OPENAI.target(upstream.url))

    chunks = [
        c async for c in model.stream(ChatRequest(messages=CONVERSATION[:2], tools=[WEATHER]))
    ]

    body = upstream.requests[0].json()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    deltas = [d for c in chunks for d in c.tool_calls]
    assert deltas[0] == ToolCallDelta(index=0, id="call_1", name="get_weather", arguments="")
    assert "".join(d.arguments for d in deltas) == '{"location": {"city": "Paris"}}'
    assert {d.index for d in deltas} == {0}
    assert chunks[-1].finish_reason == "tool_calls"
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (82, 17)


async def test_stream_from_a_server_that_ignores_include_usage(
    upstream: FakeUpstream, build: Built
) -> None:
    events = [openai_chunk({"content": "Hi"}), openai_chunk({"content": "!"}, "length")]
    upstream.reply("POST", PATH, Reply(chunks=sse(*events), content_type="text/event-stream"))
    model = build.chat(OPENAI.target(upstream.url))

    chunks = [c async for c in model.stream(ChatRequest(messages=CONVERSATION[:2]))]

    assert [c.content for c in chunks] == ["Hi", "!", ""]
    assert chunks[-1].finish_reason == "length"
    assert chunks[-1].usage is None


async def test_stream_usage_can_be_turned_off(upstream: FakeUpstream, build: Built) -> None:
    events = [openai_chunk({"content": "Hi"}, "stop")]
    upstream.reply("POST", PATH, Reply(chunks=sse(*events), content_type="text/event-stream"))
    model = build.chat(OPENAI.target(upstream.url, extra={"stream_usage": False}))

    _ = [c async for c in model.stream(ChatRequest(messages=CONVERSATION[:2]))]

    assert "stream_options" not in upstream.requests[0].json()


async def test_an_empty_stream_is_malformed(upstream: FakeUpstream, build: Built) -> None:
    upstream.reply(
        "POST", PATH, Reply(chunks=[b": keep-alive\n\n"], content_type="text/event-stream")
    )
    model = build.chat(OPENAI.target(upstream.url))

    with pytest.raises(ProviderError, match="an empty stream"):
        _ = [c async for c in model.stream(ChatRequest(messages=CONVERSATION[:2]))]


def embedding_answer(*vectors: list[float], indices: list[int] | None = None) -> dict[str, object]:
    order = indices or list(range(len(vectors)))
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": vectors[i]} for i in order],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 8, "total_tokens": 8},
    }


async def test_embeddings(upstream: FakeUpstream, build: Built) -> None:
    answer = embedding_answer([0.1, 0.2, 0.3], [0.4, 0.5, 0.6], indices=[1, 0])
    upstream.reply("POST", "/v1/embeddings", Reply(json=answer))
    target = make_target("openai", "my-embedder", "embedding", base_url=f"{upstream.url}/v1")
    model = build.embedding(target)
    assert model.dimensions == 0  # unknown model: learnt from the first answer

    result = await model.embed(["first", "second"])

    assert upstream.requests[0].json() == {
        "input": ["first", "second"],
        "model": "my-embedder",
        "encoding_format": "float",
    }
    assert result.vectors == [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
    assert result.prompt_tokens == 8
    assert model.dimensions == 3


async def test_embeddings_in_batches_with_requested_dimensions(
    upstream: FakeUpstream, build: Built
) -> None:
    upstream.reply(
        "POST",
        "/v1/embeddings",
        Reply(json=embedding_answer([1.0, 0.0], [0.0, 1.0])),
        Reply(json=embedding_answer([0.5, 0.5])),
    )
    target = make_target(
        "openai",
        "text-embedding-3-small",
        "embedding",
        base_url=f"{upstream.url}/v1",
        extra={"dimensions": 2},
    )
    model = build.embedding(target)
    assert isinstance(model, OpenAIEmbeddingModel)
    model.batch_size = 2

    result = await model.embed(["a", "b", "c"])

    bodies = [r.json() for r in upstream.requests]
    assert [b["input"] for b in bodies] == [["a", "b"], ["c"]]
    assert all(b["dimensions"] == 2 for b in bodies)
    assert result.vectors == [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    assert result.prompt_tokens == 16
    assert (model.dimensions, model.max_tokens) == (2, 8191)


async def test_embeddings_of_unexpected_dimensions_are_refused(
    upstream: FakeUpstream, build: Built
) -> None:
    upstream.reply("POST", "/v1/embeddings", Reply(json=embedding_answer([0.1, 0.2])))
    target = make_target(
        "openai", "text-embedding-3-small", "embedding", base_url=f"{upstream.url}/v1"
    )
    model = build.embedding(target)

    with pytest.raises(ProviderError, match=r"2-dimensional vectors \(expected 1536\)"):
        await model.embed(["a"])


def test_openai_itself_needs_an_api_key() -> None:
    with pytest.raises(ProviderConfigError, match="openai: model 'gpt' has no API key"):
        build_chat_model(make_target("openai", "gpt-4o", name="gpt", api_key=None))


async def test_a_compatible_server_needs_no_key(upstream: FakeUpstream, build: Built) -> None:
    upstream.reply("POST", PATH, Reply(json=openai_completion("ok")))
    model = build.chat(OPENAI.target(upstream.url, api_key=None))

    await model.complete(ChatRequest(messages=CONVERSATION[:2]))

    assert json.loads(upstream.requests[0].body)["model"] == "gpt-4o-mini"
