"""Closing a stream early, or cancelling its task, closes the upstream HTTP response.

The fake upstream streams 200 chunks, one every 50 ms (10 s in all), and records when the client
goes away. A client that kept reading, or left the connection open, would not be seen leaving.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest

from tests.integration.llm.providers.cases import ALL, Case
from tests.integration.llm.providers.conftest import Built
from tests.integration.llm.providers.fake_upstream import FakeUpstream, StreamLog
from wxo.llm.base import ChatMessage, ChatRequest

REQUEST = ChatRequest(messages=[ChatMessage(role="user", content="Count to two hundred.")])
TOTAL = 200
CASES = pytest.mark.parametrize("case", ALL, ids=lambda c: c.provider)


def slow_stream(upstream: FakeUpstream, case: Case) -> None:
    case.prepare(upstream)
    reply = case.stream_reply([f"{i} " for i in range(TOTAL)], chunk_delay=0.05)
    upstream.reply("POST", case.stream_path, reply)


async def left_early(upstream: FakeUpstream) -> StreamLog:
    """The stream's log, once the server has seen the client leave (or after 5 s)."""
    log = upstream.streams[0]
    assert await asyncio.to_thread(log.disconnected.wait, 5), "upstream never saw the client go"
    return log


@CASES
async def test_closing_the_stream_closes_the_upstream_response(
    upstream: FakeUpstream, build: Built, case: Case
) -> None:
    slow_stream(upstream, case)
    model = build.chat(case.target(upstream.url))
    received = []

    async with aclosing(model.stream(REQUEST)) as chunks:  # type: ignore[type-var]
        async for chunk in chunks:
            received.append(chunk.content)
            if len(received) == 3:
                break

    log = await left_early(upstream)
    assert received == ["0 ", "1 ", "2 "]
    assert not log.finished
    assert log.sent < TOTAL // 2


@CASES
async def test_cancelling_the_consumer_closes_the_upstream_response(
    upstream: FakeUpstream, build: Built, case: Case
) -> None:
    slow_stream(upstream, case)
    model = build.chat(case.target(upstream.url))
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in model.stream(REQUEST):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    log = await left_early(upstream)
    assert not log.finished
    assert log.sent < TOTAL // 2


@CASES
async def test_a_stream_read_to_the_end_finishes_normally(
    upstream: FakeUpstream, build: Built, case: Case
) -> None:
    case.prepare(upstream)
    upstream.reply("POST", case.stream_path, case.stream_reply(["a", "b", "c"]))
    model = build.chat(case.target(upstream.url))

    chunks = [chunk async for chunk in model.stream(REQUEST)]

    assert "".join(c.content for c in chunks) == "abc"
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage is not None
    assert all(c.finish_reason is None for c in chunks[:-1])
    # The fake server runs in another thread: give it a moment to record the end of its reply.
    # A client that closes right after the last event (Ollama's `done` line) may race the
    # server's empty closing frame, so what must hold is that every event was sent.
    log = upstream.streams[0]
    for _ in range(100):
        if log.finished or log.disconnected.is_set():
            break
        await asyncio.sleep(0.02)
    assert log.sent == log.total
