"""Our external-chat client talking to our own chat-completions route over real HTTP.

An Orchestrate agent of ours (its model a scripted peer; runs executed by a real worker) is
registered as an external chat agent of the same tenant, and called through
`wxo.assistants.service.call`: the protocol both sides speak must agree (SSE chunks, `[DONE]`,
bearer auth).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import TenantUser
from tests.integration.assistants.conftest import principal
from tests.integration.documents.workers import WorkerProcess
from tests.integration.llm.peers import AppServer, FakeOpenAI, Reply, register
from tests.integration.orchestrate.conftest import sse_text
from wxo.assistants import service
from wxo.container import Container
from wxo.core.config import Settings
from wxo.external_agents import service as external_service
from wxo.external_agents.outbound import Outbound
from wxo.external_agents.schemas import AuthScheme, ExternalChatAgentCreate
from wxo.llm.service import proxy_for
from wxo.main import create_app


@pytest.fixture(scope="module")
def agent_worker(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A real worker running runs with the default executor (the agent loop)."""
    log = tmp_path_factory.mktemp("assistants-worker") / "worker.log"
    worker = WorkerProcess(
        settings,
        log,
        extra_env={"WXO_RUNS__HEARTBEAT_SECONDS": "0.5", "WXO_DOCUMENTS__WORKER_NICE": "0"},
    )
    try:
        yield
    finally:
        worker.stop()


@pytest.fixture
async def served(container: Container, agent_worker: None) -> AsyncIterator[AppServer]:
    """Our app on a loopback port."""
    server = AppServer(create_app(container.settings, container))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def model_peer() -> AsyncIterator[FakeOpenAI]:
    """The Orchestrate agent's model."""
    server = FakeOpenAI(Reply(events=sse_text(["Hello ", "from ", "our agent."])))
    await server.start()
    yield server
    await server.stop()


async def test_our_chat_completions_route_is_a_valid_external_chat_agent(
    served: AppServer,
    container: Container,
    settings: Settings,
    live_tenant: TenantUser,
    model_peer: FakeOpenAI,
) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=60.0) as http:
        model = await register(
            http, live_tenant, provider="openai-compatible", base_url=model_peer.base_url
        )
        created = await http.post(
            "/v1/orchestrate/agents",
            json={"name": f"agent_{uuid.uuid4().hex[:8]}", "llm": model, "instructions": "Hi."},
            headers=live_tenant.headers,
        )
        assert created.status_code in (200, 201), created.text
        agent: dict[str, Any] = created.json()

    allow = Outbound(allow_networks=("127.0.0.1/32",), read_timeout=30.0)
    async with container.sessionmaker() as session:
        external = await external_service.create(
            session,
            principal(live_tenant),
            ExternalChatAgentCreate(
                api_url=f"{served.url}/v1/orchestrate/{agent['id']}/chat/completions",
                name=f"ours_{uuid.uuid4().hex[:6]}",
                auth_scheme=AuthScheme.BEARER_TOKEN,
                auth_config={"token": live_tenant.token},
            ),
            key=settings.signing_key(),
            outbound=allow,
        )
        try:
            deltas = [
                d
                async for d in service.call(
                    session,
                    proxy_for(container, live_tenant.tenant_id),
                    live_tenant.tenant_id,
                    "external_chat",
                    external.id,
                    message="Say hello",
                    history=[],
                    thread_id=uuid.uuid4(),
                    outbound=allow,
                )
            ]
        finally:
            await external_service.delete(session, external)
    assert "".join(deltas) == "Hello from our agent."
    assert len(deltas) >= 2
    sent = model_peer.seen[0].json()["messages"]
    assert sent[-1] == {"role": "user", "content": "Say hello"}
