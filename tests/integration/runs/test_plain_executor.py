"""The built-in plain executor against a scripted OpenAI-compatible model (a hosted stand-in)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import TenantUser
from tests.integration.llm.peers import FakeOpenAI, Reply, chunks, register
from wxo.container import Container
from wxo.llm.service import proxy_for
from wxo.runs.execution import HistoryMessage, RunEnv, RunInput
from wxo.runs.plain import plain_executor


class Collecting:
    """A RunSink that keeps what it is told."""

    def __init__(self) -> None:
        """Start empty."""
        self.deltas: list[str] = []
        self.stop = False
        self.two = asyncio.Event()  # set once two pieces arrived

    async def step(self, step_details: list[dict[str, Any]]) -> None:
        """Unused by the plain executor."""

    async def intermediate(self, text: str, current_agent: str | None = None) -> None:
        """Unused by the plain executor."""

    async def delta(self, text: str) -> None:
        """Keep the piece."""
        self.deltas.append(text)
        if len(self.deltas) >= 2:
            self.two.set()

    def cancelled(self) -> bool:
        """Whether the test asked to stop."""
        return self.stop


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    """A scripted OpenAI-compatible server on the loopback."""
    server = FakeOpenAI(
        Reply(events=chunks(["Hel", "lo ", "there"]), content_type="text/event-stream")
    )
    await server.start()
    yield server
    await server.stop()


def _input(tenant: TenantUser, model: str, **overrides: Any) -> RunInput:
    values: dict[str, Any] = {
        "run_id": uuid.uuid4(),
        "tenant_id": tenant.tenant_id,
        "thread_id": uuid.uuid4(),
        "user_id": tenant.user_id,
        "agent_id": "my-agent",
        "assistant_id": None,
        "message": "and now?",
        "content": [{"response_type": "text", "text": "and now?"}],
        "history": [HistoryMessage("user", "first"), HistoryMessage("assistant", "answer")],
        "llm_params": {
            "max_new_tokens": 12,
            "temperature": 0.2,
            "stop_sequences": ["END"],
            "random_seed": 5,
        },
        "additional_parameters": {"llm_model_id": model},
    }
    values.update(overrides)
    return RunInput(**values)


async def test_plain_executor_streams_with_history_and_mapped_params(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    fake: FakeOpenAI,
) -> None:
    model = await register(
        live_client, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="f"
    )
    env = RunEnv(sessions=container.sessionmaker, proxy=proxy_for(container, live_tenant.tenant_id))
    sink = Collecting()
    output = await plain_executor(env, _input(live_tenant, model), sink)
    assert sink.deltas == ["Hel", "lo ", "there"]
    assert output.content == [{"response_type": "text", "text": "Hello there"}]
    assert output.agent_id == "my-agent"
    assert output.usage["model_usage"][0]["model_name"] == model
    assert output.usage["model_usage"][0]["provider"] == "openai-compatible"
    assert set(output.usage["token_usage"]) == {"total_tokens"}
    sent = fake.seen[-1].json()
    assert [(m["role"], m["content"]) for m in sent["messages"]] == [
        ("user", "first"),
        ("assistant", "answer"),
        ("user", "and now?"),
    ]
    assert sent["max_tokens"] == 12
    assert sent["temperature"] == 0.2
    assert sent["stop"] == ["END"]
    assert sent["seed"] == 5
    assert sent["stream"] is True


async def test_cancelling_the_executor_closes_the_model_call_promptly(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    fake: FakeOpenAI,
) -> None:
    fake.script(
        Reply(
            events=chunks(["tick "] * 100),
            content_type="text/event-stream",
            event_delay=0.2,
        )
    )
    model = await register(
        live_client, live_tenant, provider="openai-compatible", base_url=fake.base_url, model="s"
    )
    env = RunEnv(sessions=container.sessionmaker, proxy=proxy_for(container, live_tenant.tenant_id))
    sink = Collecting()
    task = asyncio.ensure_future(plain_executor(env, _input(live_tenant, model), sink))
    await asyncio.wait_for(sink.two.wait(), timeout=10)
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    seen = fake.seen[-1]
    await asyncio.wait_for(seen.client_left.wait(), timeout=2.0)
    assert seen.left_at is not None
    assert seen.left_at - cancelled_at < 1.0
    assert seen.events_sent < 20
