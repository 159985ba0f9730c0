"""Every provider's failures come out as the mapped error, naming the provider, keeping the key secret."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.llm.providers.cases import ALL, IAM_PATH, SECRET, WATSONX, Case
from tests.integration.llm.providers.conftest import Built
from tests.integration.llm.providers.fake_upstream import FakeUpstream, Reply, closed_port
from wxo.core.errors import (
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamTimeoutError,
)
from wxo.llm.base import ChatMessage, ChatModel, ChatRequest, GenerationParams
from wxo.llm.providers.errors import (
    ProviderAuthError,
    ProviderCallError,
    ProviderError,
    ProviderInvalidRequestError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    UpstreamModelNotFoundError,
)

REQUEST = ChatRequest(messages=[ChatMessage(role="user", content="Hello")])
CASES = pytest.mark.parametrize("case", ALL, ids=lambda c: c.provider)


async def call(model: ChatModel, *, stream: bool, request: ChatRequest = REQUEST) -> Any:
    if stream:
        return [chunk async for chunk in model.stream(request)]
    return await model.complete(request)


def assert_clean(exc: ProviderCallError, case: Case) -> None:
    text = str(exc)
    assert text.startswith(f"{case.provider}: ")
    assert SECRET not in text
    assert "Zq9XsEcReT" not in text  # no fragment of the key either
    assert exc.provider == case.provider
    assert exc.__cause__ is None  # the SDK's exception, which may hold the body, is not chained
    assert exc.__suppress_context__ or exc.__context__ is None


@CASES
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize(
    ("status", "error_type", "base", "retryable"),
    [
        (401, ProviderAuthError, UpstreamAuthError, False),
        (403, ProviderAuthError, UpstreamAuthError, False),
        (404, UpstreamModelNotFoundError, NotFoundError, False),
        (429, ProviderRateLimitedError, RateLimitedError, True),
        (500, ProviderError, UpstreamError, True),
        (503, ProviderError, UpstreamError, True),
        (400, ProviderInvalidRequestError, InvalidInputError, False),
    ],
)
async def test_status_maps_to_error(
    upstream: FakeUpstream,
    build: Built,
    case: Case,
    stream: bool,
    status: int,
    error_type: type[ProviderCallError],
    base: type[Exception],
    retryable: bool,
) -> None:
    case.prepare(upstream)
    reply = case.error_reply(status, f"Incorrect API key provided: {SECRET}. Request rejected.")
    reply.headers["retry-after"] = "7"
    upstream.reply("POST", case.stream_path if stream else case.chat_path, reply)
    model = build.chat(case.target(upstream.url))

    with pytest.raises(error_type) as caught:
        await call(model, stream=stream)

    exc = caught.value
    assert isinstance(exc, base)
    assert exc.status_code == status
    assert exc.retryable is retryable
    assert f"({status})" in str(exc)
    assert_clean(exc, case)
    assert len(upstream.to(case.stream_path if stream else case.chat_path)) == 1  # no SDK retries
    if status == 429:
        # The ollama SDK drops response headers.
        assert exc.retry_after == (None if case.provider == "ollama" else 7.0)
    if status == 404:
        assert case.model in str(exc)


@CASES
async def test_bad_request_keeps_the_providers_reason_without_secrets(
    upstream: FakeUpstream, build: Built, case: Case
) -> None:
    case.prepare(upstream)
    message = f"This model's maximum context length is 8192 tokens (key {SECRET})"
    upstream.reply("POST", case.chat_path, case.error_reply(400, message))
    model = build.chat(case.target(upstream.url))

    with pytest.raises(ProviderInvalidRequestError) as caught:
        await model.complete(REQUEST)

    assert "maximum context length is 8192 tokens" in str(caught.value)
    assert_clean(caught.value, case)


@CASES
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
async def test_timeout(upstream: FakeUpstream, build: Built, case: Case, stream: bool) -> None:
    case.prepare(upstream)
    slow = case.stream_reply(["late"]) if stream else case.chat_reply("late")
    slow.delay = 1.0
    upstream.reply("POST", case.stream_path if stream else case.chat_path, slow)
    model = build.chat(case.target(upstream.url, request_timeout=0.2))

    with pytest.raises(ProviderTimeoutError) as caught:
        await call(model, stream=stream)

    assert isinstance(caught.value, UpstreamTimeoutError)
    assert caught.value.retryable
    assert_clean(caught.value, case)


@CASES
async def test_per_call_timeout_overrides_the_configured_one(
    upstream: FakeUpstream, build: Built, case: Case
) -> None:
    case.prepare(upstream)
    slow = case.chat_reply("late")
    slow.delay = 1.0
    upstream.reply("POST", case.chat_path, slow)
    model = build.chat(case.target(upstream.url, request_timeout=30))
    request = REQUEST.model_copy(update={"params": GenerationParams(timeout_seconds=0.2)})

    with pytest.raises(ProviderTimeoutError):
        await model.complete(request)


@CASES
@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b'{"choices": [', content_type="application/json"),
        Reply(body=b"<html>Bad gateway</html>", content_type="text/html"),
        Reply(json={"unexpected": True}),
    ],
    ids=["truncated-json", "html", "wrong-shape"],
)
async def test_malformed_answer(
    upstream: FakeUpstream, build: Built, case: Case, reply: Reply
) -> None:
    case.prepare(upstream)
    upstream.reply("POST", case.chat_path, reply)
    model = build.chat(case.target(upstream.url))

    with pytest.raises(ProviderError) as caught:
        await model.complete(REQUEST)

    assert not caught.value.retryable
    assert caught.value.status_code is None
    assert_clean(caught.value, case)


@CASES
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
async def test_connection_refused(build: Built, case: Case, stream: bool) -> None:
    port = closed_port()
    model = build.chat(case.target(f"http://127.0.0.1:{port}"))

    with pytest.raises(ProviderError) as caught:
        await call(model, stream=stream)

    assert caught.value.retryable
    assert f"could not connect to 127.0.0.1:{port}" in str(caught.value)
    assert_clean(caught.value, case)


@CASES
async def test_embedding_errors_are_mapped(
    upstream: FakeUpstream, build: Built, case: Case
) -> None:
    case.prepare(upstream)
    paths = {
        "openai": "/v1/embeddings",
        "mistral-ai": "/v1/embeddings",
        "ollama": "/api/embed",
        "watsonx": "/ml/v1/text/embeddings",
    }
    upstream.reply("POST", paths[case.provider], case.error_reply(401, f"bad key {SECRET}"))
    model = build.embedding(case.target(upstream.url))

    with pytest.raises(ProviderAuthError) as caught:
        await model.embed(["a"])

    assert_clean(caught.value, case)


async def test_watsonx_iam_rejecting_the_key_is_an_auth_error(
    upstream: FakeUpstream, build: Built
) -> None:
    body = {"errorCode": "BXNIM0415E", "errorMessage": f"Provided API key {SECRET} not found."}
    upstream.reply("POST", IAM_PATH, Reply(status=400, json=body))
    model = build.chat(WATSONX.target(upstream.url))

    with pytest.raises(ProviderAuthError) as caught:
        await model.complete(REQUEST)

    assert str(caught.value) == "watsonx: IBM Cloud IAM rejected the API key (400)"
    assert upstream.to(WATSONX.chat_path) == []


async def test_watsonx_iam_unreachable_names_the_iam_host(build: Built) -> None:
    port = closed_port()
    target = WATSONX.target("http://127.0.0.1:9", extra={"iam_url": f"http://127.0.0.1:{port}/t"})
    model = build.chat(target)

    with pytest.raises(ProviderError, match=f"could not connect to 127.0.0.1:{port}"):
        await model.complete(REQUEST)


@pytest.mark.parametrize(
    ("case_name", "reply"),
    [
        (
            "openai",
            Reply(
                chunks=[
                    b'data: {"id":"1","object":"chat.completion.chunk","created":1,"model":"m",'
                    b'"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n',
                    b'data: {"error": {"message": "Overloaded, key '
                    + SECRET.encode()
                    + b'", "type": "server_error"}}\n\n',
                ],
                content_type="text/event-stream",
            ),
        ),
        (
            "ollama",
            Reply(
                chunks=[
                    b'{"model":"llama3.2","created_at":"2024-01-01T00:00:00Z",'
                    b'"message":{"role":"assistant","content":"Hi"},"done":false}\n',
                    b'{"error":"an error was encountered while running the model"}\n',
                ],
                content_type="application/x-ndjson",
            ),
        ),
        (
            "watsonx",
            Reply(
                chunks=[
                    b'id: 1\nevent: error\ndata: {"errors":[{"code":"downstream_request_failed",'
                    b'"message":"Generation failed for ' + SECRET.encode() + b'"}]}\n\n'
                ],
                content_type="text/event-stream",
            ),
        ),
    ],
)
async def test_error_inside_a_stream(
    upstream: FakeUpstream, build: Built, case_name: str, reply: Reply
) -> None:
    case = next(c for c in ALL if c.provider == case_name)
    case.prepare(upstream)
    upstream.reply("POST", case.stream_path, reply)
    model = build.chat(case.target(upstream.url))

    with pytest.raises(ProviderError) as caught:
        await call(model, stream=True)

    assert "mid-stream" in str(caught.value)
    assert_clean(caught.value, case)
