"""Bad input and upstream faults through the Model Proxy, over real HTTP.

Upstreams are scripted fake OpenAI-compatible servers on the loopback (see `peers.FakeOpenAI`)
that record every request and whether the proxy closed it; the built-in models (`local/...`)
need no upstream. The served app keeps the default retry count (2) with short back-off.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import numpy as np
import pytest

from tests.conftest import TenantUser
from tests.integration.llm.peers import (
    AppServer,
    FakeOpenAI,
    Reply,
    chunks,
    closed_port_url,
    completion,
    register,
    sse_data,
    usage_of,
)
from wxo.container import Container
from wxo.llm.registry import BUILTINS

HELLO = [{"role": "user", "content": "Hello?"}]
CONTEXT = "[kb-1]\nThe Eiffel Tower is in Paris. It opened in 1889."
EXTRACTIVE = "local/extractive"
MINILM = "local/all-minilm-l6-v2"
UNAVAILABLE = Reply(status=503, json={"error": {"message": "overloaded"}})


def chat(model: str, **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": HELLO, **extra}


async def fake_model(
    http: httpx.AsyncClient, tenant: TenantUser, fake: FakeOpenAI, **kw: Any
) -> str:
    return await register(
        http, tenant, provider="openai-compatible", base_url=fake.base_url, model="fake", **kw
    )


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat/completions", chat("virtual-model/openai/not-registered")),
        ("/v1/completions/chat", chat("virtual-model/openai/not-registered")),
        ("/v1/embeddings", {"model": "virtual-model/openai/not-registered", "input": "x"}),
        ("/v1/embeddings", {"model": "local/no-such-model", "input": "x"}),
    ],
)
async def test_unknown_model_is_404_naming_it(
    http: httpx.AsyncClient, live_tenant: TenantUser, path: str, body: dict[str, Any]
) -> None:
    response = await http.post(path, json=body, headers=live_tenant.headers)

    assert response.status_code == 404, response.text
    assert body["model"] in response.json()["detail"]


async def test_embedding_an_empty_list_is_422(
    http: httpx.AsyncClient, live_tenant: TenantUser
) -> None:
    response = await http.post(
        "/v1/embeddings", json={"model": MINILM, "input": []}, headers=live_tenant.headers
    )

    assert response.status_code == 422


@pytest.mark.parametrize("given", ["", ["a text", ""]])
async def test_embedding_an_empty_string_is_400_saying_which(
    http: httpx.AsyncClient, live_tenant: TenantUser, given: str | list[str]
) -> None:
    # As OpenAI does: an empty text has no meaning to embed, and providers disagree about it.
    response = await http.post(
        "/v1/embeddings", json={"model": MINILM, "input": given}, headers=live_tenant.headers
    )

    assert response.status_code == 400, response.text
    position = 0 if given == "" else 1
    assert f"input[{position}]" in response.json()["detail"]
    assert "empty" in response.json()["detail"]


async def test_embedding_input_over_the_model_limit_is_truncated_and_counted_so(
    http: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    words = ["the", "cat", "sat", "on", "a", "mat", "and", "the", "dog", "ran", "to", "the", "park"]
    long_text = " ".join(words[i % len(words)] for i in range(1000))  # 1000 one-token words
    head = " ".join(long_text.split()[:254])  # what fits in 256 tokens with [CLS] and [SEP]

    response = await http.post(
        "/v1/embeddings", json={"model": MINILM, "input": long_text}, headers=live_tenant.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    vector = np.asarray(body["data"][0]["embedding"])
    assert vector.shape == (384,)
    assert body["usage"]["prompt_tokens"] == 256  # what the model read, not the 1002 sent
    direct = await container.models.embedding(BUILTINS[MINILM].target()).embed([head])
    assert float(vector @ np.asarray(direct.vectors[0])) > 0.9999
    row = await usage_of(http, live_tenant, MINILM, requests=1)
    assert row["prompt_tokens"] == 256


# --- upstream faults ----------------------------------------------------------------------------


async def test_unreachable_base_url_is_502_naming_the_provider_quickly(
    http: httpx.AsyncClient, live_tenant: TenantUser
) -> None:
    url = closed_port_url()
    name = await register(http, live_tenant, provider="openai-compatible", base_url=url)
    started = time.monotonic()

    response = await http.post("/v1/chat/completions", json=chat(name), headers=live_tenant.headers)

    assert response.status_code == 502, response.text
    detail = response.json()["detail"]
    assert detail.startswith("openai-compatible:")
    assert "could not connect" in detail
    assert time.monotonic() - started < 5
    row = await usage_of(http, live_tenant, name, requests=1)
    assert row["errors"] == 1


async def test_upstream_that_never_answers_is_504_after_the_model_timeout(
    http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    fake.script(Reply(hang=True))
    name = await fake_model(http, live_tenant, fake, request_timeout_ms=300)  # IBM's unit: ms
    started = time.monotonic()

    response = await http.post("/v1/chat/completions", json=chat(name), headers=live_tenant.headers)

    elapsed = time.monotonic() - started
    assert response.status_code == 504, response.text
    assert response.json()["detail"] == "openai-compatible: the request timed out"
    assert len(fake.seen) == 3  # a timeout is retried twice
    assert 0.85 <= elapsed < 5  # three attempts of 0.3 s, no hang
    for seen in fake.seen:  # and each attempt's connection was closed by the proxy
        await asyncio.wait_for(seen.client_left.wait(), 2)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"{this is not json", content_type="application/json"),
        Reply(body=b"<html>gateway</html>", content_type="text/html"),
        Reply(json={"id": "x", "object": "chat.completion", "choices": []}),
    ],
    ids=["broken-json", "html", "no-choices"],
)
async def test_malformed_upstream_answer_is_502_and_not_retried(
    http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI, reply: Reply
) -> None:
    fake.script(reply)
    name = await fake_model(http, live_tenant, fake)

    response = await http.post("/v1/chat/completions", json=chat(name), headers=live_tenant.headers)

    assert response.status_code == 502, response.text
    assert response.json()["detail"].startswith("openai-compatible: the provider sent")
    assert len(fake.seen) == 1


@pytest.mark.parametrize(
    ("reply", "status", "words"),
    [
        (Reply(status=429, json={"error": {"message": "slow down"}}), 429, "rate limited"),
        (Reply(status=404, json={"error": {"message": "no such model"}}), 404, "not found"),
    ],
    ids=["429", "404"],
)
async def test_upstream_status_comes_back_as_a_clear_error(
    http: httpx.AsyncClient,
    live_tenant: TenantUser,
    fake: FakeOpenAI,
    reply: Reply,
    status: int,
    words: str,
) -> None:
    fake.script(reply)
    name = await fake_model(http, live_tenant, fake, api_key="sk-fake-" + "9" * 40)

    response = await http.post("/v1/chat/completions", json=chat(name), headers=live_tenant.headers)

    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert detail.startswith("openai-compatible:")
    assert words in detail
    assert "9" * 40 not in response.text
    assert fake.seen[0].headers["authorization"] == "Bearer sk-fake-" + "9" * 40


# --- retries and fallbacks ----------------------------------------------------------------------


async def test_a_503_is_retried_and_the_retry_answers(
    http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    fake.script(UNAVAILABLE, Reply(json=completion("second time lucky", usage=(5, 4))))
    name = await fake_model(http, live_tenant, fake)

    response = await http.post("/v1/chat/completions", json=chat(name), headers=live_tenant.headers)

    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "second time lucky"
    assert response.json()["model"] == name
    assert len(fake.seen) == 2
    assert fake.seen[0].json() == fake.seen[1].json()
    row = await usage_of(http, live_tenant, name, requests=1)
    assert (row["errors"], row["prompt_tokens"], row["completion_tokens"]) == (0, 5, 4)


async def test_default_settings_back_off_between_retries(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    fake: FakeOpenAI,
    container: Container,
) -> None:
    # The app as configured (no fast back-off): the retry waits base delay x jitter [0.5, 1).
    base = container.settings.llm.retry_base_delay
    fake.script(UNAVAILABLE, Reply(json=completion("after a pause")))
    name = await fake_model(live_client, live_tenant, fake)

    response = await live_client.post(
        "/v1/chat/completions", json=chat(name), headers=live_tenant.headers
    )

    assert response.status_code == 200, response.text
    assert len(fake.seen) == 2
    assert base * 0.5 <= fake.seen[1].at - fake.seen[0].at < base + 1.0


async def test_a_stream_is_retried_before_its_first_chunk(
    http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    fake.script(UNAVAILABLE, Reply(events=chunks(["Hel", "lo"])))
    name = await fake_model(http, live_tenant, fake)

    response = await http.post(
        "/v1/chat/completions", json=chat(name, stream=True), headers=live_tenant.headers
    )

    assert response.status_code == 200, response.text
    events = sse_data(response.text)
    assert events[-1] == "[DONE]"
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events[:-1])
    assert text == "Hello"
    assert len(fake.seen) == 2


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
async def test_when_retries_are_spent_the_fallback_answers_and_names_itself(
    http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI, stream: bool
) -> None:
    fake.script(UNAVAILABLE)
    name = await fake_model(http, live_tenant, fake, fallbacks=[EXTRACTIVE])
    body = {
        "model": name,
        "messages": [
            {"role": "system", "content": CONTEXT},
            {"role": "user", "content": "Where is the Eiffel Tower?"},
        ],
        "stream": stream,
    }

    response = await http.post("/v1/chat/completions", json=body, headers=live_tenant.headers)

    assert response.status_code == 200, response.text
    if stream:
        events = sse_data(response.text)[:-1]
        assert {e["model"] for e in events} == {EXTRACTIVE}
        text = "".join(e["choices"][0]["delta"].get("content", "") for e in events if e["choices"])
    else:
        assert response.json()["model"] == EXTRACTIVE
        text = response.json()["choices"][0]["message"]["content"]
    assert "The Eiffel Tower is in Paris. [kb-1]" in text
    assert len(fake.seen) == 3  # the first try and two retries
    failed = await usage_of(http, live_tenant, name, requests=1)
    assert failed["errors"] == 1
    answered = await usage_of(http, live_tenant, EXTRACTIVE, requests=1)
    assert answered["errors"] == 0
    assert answered["completion_tokens"] > 0


async def test_a_client_error_does_not_fall_back(
    http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    fake.script(Reply(status=400, json={"error": {"message": "bad temperature"}}))
    name = await fake_model(http, live_tenant, fake, fallbacks=[EXTRACTIVE])

    response = await http.post("/v1/chat/completions", json=chat(name), headers=live_tenant.headers)

    assert response.status_code == 400, response.text
    assert "bad temperature" in response.json()["detail"]
    assert len(fake.seen) == 1


# --- cancellation when the client goes away -----------------------------------------------------


async def test_client_leaving_a_whole_answer_closes_the_upstream_request(
    served: AppServer, http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    fake.script(Reply(delay=30, json=completion("too late")))
    name = await fake_model(http, live_tenant, fake)

    async with httpx.AsyncClient(
        base_url=served.url, timeout=httpx.Timeout(5, read=0.5)
    ) as impatient:
        with pytest.raises(httpx.ReadTimeout):  # the client gives up and closes its connection
            await impatient.post(
                "/v1/chat/completions", json=chat(name), headers=live_tenant.headers
            )
    gave_up = time.monotonic()

    seen = fake.seen[0]
    await asyncio.wait_for(seen.client_left.wait(), 3)
    assert seen.left_at is not None
    assert seen.left_at - gave_up < 1.0  # cancel_on_disconnect polls every 0.1 s
    assert not seen.answered
    assert len(fake.seen) == 1  # a cancelled call is not retried


async def test_client_leaving_a_stream_closes_the_upstream_stream(
    http: httpx.AsyncClient, live_tenant: TenantUser, fake: FakeOpenAI
) -> None:
    total = 200
    fake.script(Reply(events=chunks([f"{i} " for i in range(total)]), event_delay=0.05))
    name = await fake_model(http, live_tenant, fake)

    received = []
    async with http.stream(
        "POST", "/v1/chat/completions", json=chat(name, stream=True), headers=live_tenant.headers
    ) as response:
        async for line in response.aiter_lines():
            if '"content":"' in line and '"content":""' not in line:
                received.append(line)
                if len(received) == 3:
                    break
    gave_up = time.monotonic()

    seen = fake.seen[0]
    await asyncio.wait_for(seen.client_left.wait(), 3)
    assert seen.left_at is not None
    assert seen.left_at - gave_up < 1.0
    assert not seen.answered
    assert seen.events_sent < total // 4
    row = await usage_of(http, live_tenant, name, requests=1)  # accounted all the same
    assert row["errors"] == 0
