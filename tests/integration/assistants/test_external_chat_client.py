"""`chat_external_agent` against a real streaming chat-completions peer on the loopback."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from tests.integration.assistants.conftest import ALLOW_LOOPBACK, root
from tests.integration.llm.peers import FakeOpenAI, Reply, chunks, closed_port_url, completion
from wxo.core.errors import UpstreamError, UpstreamTimeoutError
from wxo.external_agents.client import ExternalAgentError, ExternalChatTarget, chat_external_agent
from wxo.external_agents.outbound import Outbound, RefusedURLError


def target(peer: FakeOpenAI, **over: object) -> ExternalChatTarget:
    """An agent at the peer's `/v1/chat/completions`, bearer auth."""
    fields: dict[str, object] = {
        "name": "peer-agent",
        "api_url": f"{root(peer)}/v1/chat/completions",
        "auth_scheme": "BEARER_TOKEN",
        "auth_config": {"token": "agent-token"},
        "chat_params": {"temperature": 0.2},
        **over,
    }
    return ExternalChatTarget(**fields)  # type: ignore[arg-type]


async def collect(target_: ExternalChatTarget, outbound: Outbound = ALLOW_LOOPBACK) -> list[str]:
    """Every delta of one call."""
    thread = uuid.UUID("11111111-2222-3333-4444-555555555555")
    return [
        d
        async for d in chat_external_agent(
            target_,
            messages=[{"role": "user", "content": "Hi"}],
            thread_id=thread,
            outbound=outbound,
        )
    ]


async def drain(
    target_: ExternalChatTarget, into: list[str], outbound: Outbound = ALLOW_LOOPBACK
) -> None:
    """Append every delta of one call to `into` (what came before a failure stays)."""
    async for delta in chat_external_agent(target_, messages=[], thread_id=None, outbound=outbound):
        into.append(delta)


async def test_deltas_stream_with_the_thread_header_and_bearer_auth(peer: FakeOpenAI) -> None:
    peer.script(Reply(events=chunks(["Hel", "lo", " there"])))
    assert await collect(target(peer)) == ["Hel", "lo", " there"]
    seen = peer.seen[0]
    assert (seen.method, seen.path) == ("POST", "/v1/chat/completions")
    assert seen.headers["x-thread-id"] == "11111111-2222-3333-4444-555555555555"
    assert seen.headers["authorization"] == "Bearer agent-token"
    assert seen.json() == {
        "temperature": 0.2,
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
    }


async def test_deltas_arrive_as_the_peer_sends_them(peer: FakeOpenAI) -> None:
    peer.script(Reply(events=chunks(["a", "b", "c"]), event_delay=0.4))
    started = time.monotonic()
    stream = chat_external_agent(
        target(peer), messages=[{"role": "user", "content": "x"}], thread_id=None,
        outbound=ALLOW_LOOPBACK,
    )  # fmt: skip
    first = await anext(stream)
    assert first == "a"
    assert time.monotonic() - started < 0.4 * 3
    assert peer.seen[0].events_sent < 5  # 3 pieces + finish chunk + [DONE]
    assert [d async for d in stream] == ["b", "c"]
    assert "x-thread-id" not in peer.seen[0].headers


async def test_api_key_and_none_schemes(peer: FakeOpenAI) -> None:
    peer.script(Reply(events=chunks(["k"])))
    await collect(target(peer, auth_scheme="API_KEY", auth_config={"api_key": "key-1"}))
    await collect(
        target(peer, auth_scheme="API_KEY", auth_config={"api_key": "key-2", "header_name": "X-K"})
    )
    await collect(target(peer, auth_scheme="NONE", auth_config={}))
    first, second, third = peer.seen
    assert first.headers["x-api-key"] == "key-1"
    assert "authorization" not in first.headers
    assert second.headers["x-k"] == "key-2"
    assert "authorization" not in third.headers
    assert "x-api-key" not in third.headers


async def test_a_plain_json_completion_is_one_delta(peer: FakeOpenAI) -> None:
    peer.script(Reply(json=completion("Whole answer")))
    assert await collect(target(peer, chat_params={"stream": False})) == ["Whole answer"]
    assert peer.seen[0].json()["stream"] is False


@pytest.mark.parametrize("status", [500, 503, 401])
async def test_an_error_status_fails_at_once_with_a_clear_error(
    peer: FakeOpenAI, status: int
) -> None:
    peer.script(Reply(status=status, json={"error": {"message": "down"}}))
    started = time.monotonic()
    with pytest.raises(ExternalAgentError) as caught:
        await collect(target(peer))
    assert f"HTTP {status}" in str(caught.value)
    assert "peer-agent" in str(caught.value)
    assert time.monotonic() - started < 1.0


async def test_an_error_event_in_the_stream_fails_the_call(peer: FakeOpenAI) -> None:
    peer.script(Reply(events=[*chunks(["part"])[:1], {"error": {"message": "quota gone"}}]))
    deltas: list[str] = []
    with pytest.raises(ExternalAgentError, match="quota gone"):
        await drain(target(peer), deltas)
    assert deltas == ["part"]


async def test_a_silent_peer_times_out_and_the_connection_is_closed(peer: FakeOpenAI) -> None:
    peer.script(Reply(hang=True))
    started = time.monotonic()
    with pytest.raises(UpstreamTimeoutError):
        await collect(target(peer))
    assert time.monotonic() - started < ALLOW_LOOPBACK.read_timeout + 2
    await asyncio.wait_for(peer.seen[0].client_left.wait(), 2)


async def test_a_stream_that_stalls_midway_times_out_after_the_first_deltas(
    peer: FakeOpenAI,
) -> None:
    peer.script(Reply(events=chunks(["one", "two"]), event_delay=5))
    deltas: list[str] = []
    with pytest.raises(UpstreamTimeoutError):
        await drain(target(peer), deltas)
    assert deltas == ["one"]


async def test_internal_addresses_are_refused_without_the_allow_list(peer: FakeOpenAI) -> None:
    with pytest.raises(RefusedURLError, match="loopback"):
        await collect(target(peer), outbound=Outbound())
    assert peer.seen == []


async def test_nobody_listening_is_an_upstream_error() -> None:
    agent = ExternalChatTarget(name="gone", api_url=f"{closed_port_url()}/chat/completions")
    with pytest.raises(UpstreamError):
        await collect(agent)


async def test_a_host_name_is_resolved_vetted_and_kept_in_the_host_header(
    peer: FakeOpenAI,
) -> None:
    peer.script(Reply(events=chunks(["named"])))
    allow = Outbound(allow_networks=("127.0.0.1/32", "::1/128"), read_timeout=2.0)
    agent = target(peer, api_url=f"http://localhost:{peer.port}/v1/chat/completions")
    assert await collect(agent, outbound=allow) == ["named"]
    assert peer.seen[0].headers["host"] == f"localhost:{peer.port}"
    with pytest.raises(RefusedURLError, match="localhost"):
        await collect(agent, outbound=Outbound())


async def test_an_endless_answer_is_cut_off_with_an_error(peer: FakeOpenAI) -> None:
    peer.script(Reply(events=chunks(["x" * 400] * 50)))
    small = Outbound(allow_networks=("127.0.0.1/32",), read_timeout=2.0, max_answer_bytes=5000)
    deltas: list[str] = []
    with pytest.raises(ExternalAgentError, match="more than 5000 bytes"):
        await drain(target(peer), deltas, small)
    assert 0 < len(deltas) < 50
