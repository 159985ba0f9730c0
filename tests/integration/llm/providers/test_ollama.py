"""Ollama adapter: the request body it sends, and the documented answers it reads."""

from __future__ import annotations

import json

import pytest

from tests.integration.llm.providers.cases import OLLAMA, SECRET, make_target, ollama_part
from tests.integration.llm.providers.conftest import Built
from tests.integration.llm.providers.fake_upstream import FakeUpstream, Reply, ndjson
from wxo.core.errors import InvalidInputError
from wxo.llm.base import ChatMessage, ChatRequest, GenerationParams, ToolCall, ToolSpec

PATH = "/api/chat"
NESTED = ToolSpec(
    name="book_flight",
    description="Book a flight",
    parameters={
        "type": "object",
        "properties": {
            "route": {
                "type": "object",
                "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
                "required": ["from", "to"],
            },
            "seats": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 1},
        },
        "required": ["route"],
        "additionalProperties": False,
    },
)
CONVERSATION = [
    ChatMessage(role="system", content="Be brief."),
    ChatMessage(role="user", content="Book PAR to ROM."),
    ChatMessage(
        role="assistant",
        tool_calls=[
            ToolCall(
                id="call_1", name="book_flight", arguments='{"route":{"from":"PAR","to":"ROM"}}'
            )
        ],
    ),
    ChatMessage(role="tool", tool_call_id="call_1", content="booked"),
]


async def test_request_body(
    upstream: FakeUpstream, build: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", "server-wide-key")
    upstream.reply("POST", PATH, Reply(json=ollama_part("Done.", done=True)))
    target = OLLAMA.target(
        upstream.url,
        api_key=None,
        extra={"keep_alive": "5m", "options": {"num_ctx": 8192}},
        extra_headers={"X-Tenant": "t1"},
    )
    model = build.chat(target)
    params = GenerationParams(
        temperature=0.1,
        top_p=0.9,
        top_k=20,
        max_tokens=64,
        min_tokens=3,
        stop=["###"],
        seed=3,
        repetition_penalty=1.1,
    )

    result = await model.complete(
        ChatRequest(
            messages=CONVERSATION,
            tools=[NESTED],
            params=params,
            response_format={"type": "json_object"},
        )
    )

    sent = upstream.requests[0]
    assert "authorization" not in sent.headers  # the server's $OLLAMA_API_KEY stays home
    assert sent.headers["x-tenant"] == "t1"
    assert sent.json() == {
        "model": "llama3.2",
        "stream": False,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Book PAR to ROM."},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "function": {
                            "name": "book_flight",
                            "arguments": {"route": {"from": "PAR", "to": "ROM"}},
                        }
                    }
                ],
            },
            {"role": "tool", "content": "booked", "tool_name": "book_flight"},
        ],
        # The whole schema, nested properties and anyOf included:
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "book_flight",
                    "description": "Book a flight",
                    "parameters": NESTED.parameters,
                },
            }
        ],
        "options": {
            "num_ctx": 8192,
            "temperature": 0.1,
            "top_p": 0.9,
            "top_k": 20,
            "num_predict": 64,
            "stop": ["###"],
            "seed": 3,
            "repeat_penalty": 1.1,
        },
        "format": "json",
        "keep_alive": "5m",
    }
    assert result.content == "Done."
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (26, 282)
    assert result.model == "llama3.2"


async def test_the_models_own_key_is_sent(upstream: FakeUpstream, build: Built) -> None:
    upstream.reply("POST", PATH, Reply(json=ollama_part("ok", done=True)))
    model = build.chat(OLLAMA.target(upstream.url))

    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    await model.complete(ChatRequest(messages=CONVERSATION[:2], response_format=schema))

    assert upstream.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert upstream.requests[0].json()["format"] == {"type": "object"}


async def test_tool_choice_none_sends_no_tools(upstream: FakeUpstream, build: Built) -> None:
    upstream.reply("POST", PATH, Reply(json=ollama_part("ok", done=True)))
    model = build.chat(OLLAMA.target(upstream.url))

    await model.complete(ChatRequest(messages=CONVERSATION[:2], tools=[NESTED], tool_choice="none"))

    assert "tools" not in upstream.requests[0].json()


async def test_tool_calls_in_the_answer_get_ids(upstream: FakeUpstream, build: Built) -> None:
    call = {
        "function": {"name": "book_flight", "arguments": {"route": {"from": "PAR", "to": "ROM"}}}
    }
    upstream.reply(
        "POST", PATH, Reply(json=ollama_part("", done=True, message={"tool_calls": [call]}))
    )
    model = build.chat(OLLAMA.target(upstream.url))

    result = await model.complete(ChatRequest(messages=CONVERSATION[:2], tools=[NESTED]))

    assert result.finish_reason == "tool_calls"
    [got] = result.tool_calls
    assert got.id.startswith("call_")
    assert got.name == "book_flight"
    assert json.loads(got.arguments) == {"route": {"from": "PAR", "to": "ROM"}}


async def test_stream(upstream: FakeUpstream, build: Built) -> None:
    call = {"function": {"name": "book_flight", "arguments": {"route": {"from": "A", "to": "B"}}}}
    lines = [
        ollama_part("Booking"),
        ollama_part("..."),
        ollama_part("", message={"tool_calls": [call]}),
        ollama_part("", done=True),
    ]
    upstream.reply("POST", PATH, Reply(chunks=ndjson(*lines), content_type="application/x-ndjson"))
    model = build.chat(OLLAMA.target(upstream.url))

    chunks = [c async for c in model.stream(ChatRequest(messages=CONVERSATION[:2], tools=[NESTED]))]

    assert upstream.requests[0].json()["stream"] is True
    assert "".join(c.content for c in chunks) == "Booking..."
    [delta] = [d for c in chunks for d in c.tool_calls]
    assert (delta.index, delta.name) == (0, "book_flight")
    assert json.loads(delta.arguments) == {"route": {"from": "A", "to": "B"}}
    assert delta.id is not None
    assert chunks[-1].finish_reason == "tool_calls"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 282


async def test_tool_arguments_must_be_a_json_object(build: Built) -> None:
    model = build.chat(OLLAMA.target("http://127.0.0.1:9"))
    bad = ChatMessage(role="assistant", tool_calls=[ToolCall(id="c", name="f", arguments="[1]")])

    with pytest.raises(InvalidInputError, match="ollama: the arguments of tool call 'c'"):
        await model.complete(ChatRequest(messages=[bad]))


async def test_embeddings(upstream: FakeUpstream, build: Built) -> None:
    answer = {
        "model": "all-minilm",
        "embeddings": [
            [0.010071029, -0.0017594862, 0.05007221],
            [-0.0098027075, 0.06042469, 0.025],
        ],
        "total_duration": 14143917,
        "load_duration": 1019500,
        "prompt_eval_count": 8,
    }
    upstream.reply("POST", "/api/embed", Reply(json=answer))
    target = make_target(
        "ollama", "all-minilm:latest", "embedding", base_url=upstream.url, extra={"dimensions": 3}
    )
    model = build.embedding(target)

    result = await model.embed(["Why is the sky blue?", "Why is the grass green?"])

    assert upstream.requests[0].json() == {
        "model": "all-minilm:latest",
        "input": ["Why is the sky blue?", "Why is the grass green?"],
    }
    assert result.vectors == answer["embeddings"]
    assert result.prompt_tokens == 8
    assert (model.dimensions, model.max_tokens) == (3, 256)
