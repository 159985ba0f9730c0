"""Off-the-shelf clients work unchanged against our server: the `openai` SDK and LangChain.

Each client is pointed at our app over real HTTP (`<served>/v1`, the tenant's token as API key)
and used exactly as its documentation shows: chat (whole and streamed), tool calls, embeddings
(the SDK's default base64 encoding and float), and errors as the SDK's own exception types.
Vectors must equal what the built-in MiniLM model gives when asked directly. Nothing may be
downloaded: tiktoken (LangChain's tokenizer) is made to fail if anything asks it for encodings.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import httpx2
import numpy as np
import openai
import pytest
import tiktoken
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from openai.types.chat import ChatCompletionMessageParam

from tests.conftest import TenantUser
from tests.integration.llm.conftest import LLAMA_API_KEY
from tests.integration.llm.peers import (
    AppServer,
    FakeOpenAI,
    LlamaServer,
    Reply,
    completion,
    register,
)
from wxo.container import Container
from wxo.llm.registry import BUILTINS

EXTRACTIVE = "local/extractive"
MINILM = "local/all-minilm-l6-v2"
CONTEXT = "[kb-1]\nThe Eiffel Tower is in Paris. It opened in 1889.\n[kb-2]\nRust is a language."
MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": CONTEXT},
    {"role": "user", "content": "Where is the Eiffel Tower?"},
]
TEXTS = ["The Eiffel Tower is in Paris.", "Rust is a systems programming language.", "héllo wörld"]
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture(autouse=True)
def no_tokenizer_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiktoken would fetch its encodings from the network: fail loudly if anything asks."""

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("tiktoken was asked for an encoding (it would download it)")

    monkeypatch.setattr(tiktoken, "get_encoding", refuse)
    monkeypatch.setattr(tiktoken, "encoding_for_model", refuse)


@pytest.fixture
async def sdk(served: AppServer, live_tenant: TenantUser) -> AsyncIterator[openai.AsyncOpenAI]:
    """The official SDK, pointed at our server with the tenant's token as its API key."""
    async with openai.AsyncOpenAI(
        base_url=f"{served.url}/v1", api_key=live_tenant.token, max_retries=0
    ) as client:
        yield client


@pytest.fixture
async def langchain_http() -> AsyncIterator[tuple[httpx2.Client, httpx2.AsyncClient]]:
    """HTTP clients for LangChain's OpenAI clients, closed after the test (its own are cached)."""
    sync_client, async_client = httpx2.Client(timeout=30), httpx2.AsyncClient(timeout=30)
    yield sync_client, async_client
    sync_client.close()
    await async_client.aclose()


async def local_vectors(container: Container, texts: list[str]) -> np.ndarray[Any, Any]:
    """What the built-in MiniLM model gives when asked directly."""
    result = await container.models.embedding(BUILTINS[MINILM].target()).embed(texts)
    return np.asarray(result.vectors)


def assert_same_vectors(got: Any, expected: np.ndarray[Any, Any]) -> None:
    vectors = np.asarray(got, dtype=np.float64)
    assert vectors.shape == expected.shape
    cosines = (vectors * expected).sum(axis=1) / (
        np.linalg.norm(vectors, axis=1) * np.linalg.norm(expected, axis=1)
    )
    assert cosines.min() >= 0.9999


# --- the official openai SDK --------------------------------------------------------------------


async def test_openai_sdk_chat_whole_and_streamed(sdk: openai.AsyncOpenAI) -> None:
    whole = await sdk.chat.completions.create(model=EXTRACTIVE, messages=MESSAGES)

    assert whole.model == EXTRACTIVE
    assert whole.choices[0].finish_reason == "stop"
    text = whole.choices[0].message.content
    assert text is not None
    assert "The Eiffel Tower is in Paris. [kb-1]" in text
    assert whole.usage is not None
    assert whole.usage.total_tokens > 0

    stream = await sdk.chat.completions.create(
        model=EXTRACTIVE,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, usage = [], None
    async for chunk in stream:
        assert chunk.model == EXTRACTIVE
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
        if chunk.usage is not None:
            usage = chunk.usage
    assert "".join(pieces) == text
    assert usage is not None
    assert usage.completion_tokens == whole.usage.completion_tokens


async def test_openai_sdk_on_the_gateway_path(served: AppServer, live_tenant: TenantUser) -> None:
    async with openai.AsyncOpenAI(
        base_url=f"{served.url}/v1/orchestrate/gateway/model", api_key=live_tenant.token
    ) as gateway:
        answer = await gateway.chat.completions.create(model=EXTRACTIVE, messages=MESSAGES)
        vectors = await gateway.embeddings.create(model=MINILM, input=TEXTS[:1])

    assert answer.model == EXTRACTIVE
    assert len(vectors.data[0].embedding) == 384


async def test_openai_sdk_tool_calls_whole_and_streamed(
    sdk: openai.AsyncOpenAI, http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    answer = completion("")
    answer["choices"][0]["message"] = {"role": "assistant", "content": None, "tool_calls": [call]}
    answer["choices"][0]["finish_reason"] = "tool_calls"
    head = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "fake"}
    events = [
        {**head, "choices": [{"index": 0, "finish_reason": None, "delta": {"tool_calls": [
            {"index": 0, "id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": '}}]}}]},
        {**head, "choices": [{"index": 0, "finish_reason": None, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": '"Paris"}'}}]}}]},
        {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]  # fmt: skip
    fake.script(Reply(json=answer), Reply(events=events))
    name = await register(
        http, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="fake"
    )
    ask: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Weather in Paris?"}]

    whole = await sdk.chat.completions.create(model=name, messages=ask, tools=[WEATHER_TOOL])
    stream = await sdk.chat.completions.create(
        model=name, messages=ask, tools=[WEATHER_TOOL], stream=True
    )
    name_parts, arguments, reasons = [], [], []
    async for chunk in stream:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            assert delta.index == 0
            if delta.function and delta.function.name:
                name_parts.append(delta.function.name)
            if delta.function and delta.function.arguments:
                arguments.append(delta.function.arguments)
        if chunk.choices and chunk.choices[0].finish_reason:
            reasons.append(chunk.choices[0].finish_reason)

    assert whole.choices[0].finish_reason == "tool_calls"
    tool_calls = whole.choices[0].message.tool_calls
    assert tool_calls is not None
    assert tool_calls[0].id == "call_1"
    function = tool_calls[0].function  # type: ignore[union-attr]
    assert (function.name, function.arguments) == ("get_weather", '{"city": "Paris"}')
    assert "".join(name_parts) == "get_weather"
    assert "".join(arguments) == '{"city": "Paris"}'
    assert reasons == ["tool_calls"]
    sent = fake.seen[0].json()
    assert sent["tools"][0]["function"]["name"] == "get_weather"


async def test_openai_sdk_streams_from_the_llama_peer(
    sdk: openai.AsyncOpenAI,
    http: httpx.AsyncClient,
    live_tenant: TenantUser,
    llama_server: LlamaServer,
) -> None:
    name = await register(
        http, live_tenant, provider="openai", base_url=llama_server.base_url, api_key=LLAMA_API_KEY
    )
    ask: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello."}]

    whole = await sdk.chat.completions.create(model=name, messages=ask, max_tokens=8, temperature=0)
    stream = await sdk.chat.completions.create(
        model=name, messages=ask, max_tokens=8, temperature=0, stream=True
    )
    pieces = [c.choices[0].delta.content or "" async for c in stream if c.choices]

    assert whole.model == name
    assert whole.choices[0].message.content
    assert "".join(pieces) == whole.choices[0].message.content


@pytest.mark.parametrize("encoding", ["default", "float", "base64"])
async def test_openai_sdk_embeddings_equal_the_local_model(
    served: AppServer, live_tenant: TenantUser, container: Container, encoding: str
) -> None:
    sent: list[Any] = []

    async def record(request: httpx2.Request) -> None:
        sent.append(json.loads(request.content))

    kwargs: dict[str, Any] = {} if encoding == "default" else {"encoding_format": encoding}
    async with (
        httpx2.AsyncClient(event_hooks={"request": [record]}) as recording,
        openai.AsyncOpenAI(
            base_url=f"{served.url}/v1", api_key=live_tenant.token, http_client=recording
        ) as sdk,
    ):
        response = await sdk.embeddings.create(model=MINILM, input=TEXTS, **kwargs)

    # Unless told otherwise the SDK asks for base64, and decodes it to floats itself.
    assert sent[0]["encoding_format"] == ("base64" if encoding == "default" else encoding)
    assert response.model == MINILM
    assert [d.index for d in response.data] == [0, 1, 2]
    assert response.usage.prompt_tokens > 0
    raw: list[Any] = [d.embedding for d in response.data]
    if encoding == "base64":  # asked for explicitly, the SDK hands the base64 text over as is
        assert all(isinstance(v, str) for v in raw)
        raw = [np.frombuffer(base64.b64decode(v), dtype="<f4") for v in raw]
    else:
        assert all(isinstance(v, list) and isinstance(v[0], float) for v in raw)
    assert_same_vectors(raw, await local_vectors(container, TEXTS))


async def test_openai_sdk_errors_are_its_own_exception_types(sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        await sdk.chat.completions.create(model="virtual-model/openai/nope", messages=MESSAGES)
    with pytest.raises(openai.UnprocessableEntityError):
        await sdk.embeddings.create(model=MINILM, input=[])
    with pytest.raises(openai.BadRequestError) as empty:
        await sdk.embeddings.create(model=MINILM, input="")
    with pytest.raises(openai.AuthenticationError):
        await sdk.with_options(api_key="not-a-token").models.list()

    # Our error bodies are `{"detail": ...}`: the SDK keeps them whole in `.body`.
    assert isinstance(missing.value.body, dict)
    assert "virtual-model/openai/nope" in missing.value.body["detail"]
    assert isinstance(empty.value.body, dict)
    assert "empty" in empty.value.body["detail"]


# --- LangChain ----------------------------------------------------------------------------------


def chat_model(served: AppServer, tenant: TenantUser, http: Any, **kw: Any) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=f"{served.url}/v1",
        api_key=tenant.token,
        model=EXTRACTIVE,
        http_client=http[0],
        http_async_client=http[1],
        max_retries=0,
        **kw,
    )


LC_MESSAGES = [SystemMessage(CONTEXT), HumanMessage("Where is the Eiffel Tower?")]


async def test_langchain_chat_openai_invoke_and_stream(
    served: AppServer, live_tenant: TenantUser, langchain_http: Any
) -> None:
    llm = chat_model(served, live_tenant, langchain_http)
    answer = await llm.ainvoke(LC_MESSAGES)
    streamed = [chunk async for chunk in llm.astream(LC_MESSAGES)]
    blocking = await asyncio.to_thread(llm.invoke, LC_MESSAGES)  # the sync client, in a thread

    assert isinstance(answer, AIMessage)
    assert isinstance(answer.content, str)
    assert "The Eiffel Tower is in Paris. [kb-1]" in answer.content
    assert answer.response_metadata["model_name"] == EXTRACTIVE
    assert answer.usage_metadata is not None
    assert answer.usage_metadata["total_tokens"] > 0
    assert all(isinstance(c, AIMessageChunk) for c in streamed)
    assert len(streamed) > 2
    assert "".join(str(c.content) for c in streamed) == answer.content
    assert blocking.content == answer.content


async def test_langchain_openai_embeddings_equal_the_local_model(
    served: AppServer, live_tenant: TenantUser, container: Container, langchain_http: Any
) -> None:
    # `base_url` and `api_key` are the documented aliases of its fields (mypy sees the names).
    embeddings = OpenAIEmbeddings(  # type: ignore[call-arg]
        base_url=f"{served.url}/v1",
        api_key=live_tenant.token,
        model=MINILM,
        check_embedding_ctx_length=False,  # send text, not tiktoken token ids
        http_client=langchain_http[0],
        http_async_client=langchain_http[1],
        max_retries=0,
    )
    documents = await embeddings.aembed_documents(TEXTS)
    query = await asyncio.to_thread(embeddings.embed_query, TEXTS[0])

    expected = await local_vectors(container, TEXTS)
    assert_same_vectors(documents, expected)
    assert_same_vectors([query], expected[:1])
