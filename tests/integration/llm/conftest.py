"""Peers for the Model Proxy's integration tests: a real llama.cpp server, our app over real HTTP.

`served` runs our app with uvicorn in the session's event loop (its database pool belongs to that
loop), so requests commit for real: use `live_tenant` with it. Its Model Proxy keeps the default
retry count (2) with short back-off delays, to keep fault tests fast.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.integration.llm.peers import AppServer, FakeOpenAI, LlamaServer
from wxo.api.deps import ContainerDep, CurrentTenant
from wxo.container import Container
from wxo.llm.dependencies import get_proxy_context
from wxo.llm.service import ProxyContext
from wxo.main import create_app

LLAMA_API_KEY = "llama-peer-secret-key"


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """llama-cpp-python's OpenAI-compatible server with SmolLM2-135M (n_ctx 2048, API key)."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'wxo[local-llm]')")
    from wxo.llm.local.smollm import gguf_path

    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    server = LlamaServer(gguf_path(), api_key=LLAMA_API_KEY, log=log)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def served(container: Container) -> AsyncIterator[AppServer]:
    """Our app on a free loopback port, with fast retry back-off (same retry count)."""
    app = create_app(container.settings, container)
    fast = container.settings.llm.model_copy(
        update={"retry_base_delay": 0.02, "retry_max_delay": 0.1}
    )

    async def fast_proxy(container: ContainerDep, principal: CurrentTenant) -> ProxyContext:
        return dataclasses.replace(await get_proxy_context(container, principal), settings=fast)

    app.dependency_overrides[get_proxy_context] = fast_proxy
    server = AppServer(app)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http(served: AppServer) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to `served` over the loopback."""
    async with httpx.AsyncClient(base_url=served.url, timeout=30.0) as client:
        yield client


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    """A scripted fake OpenAI-compatible server (answers "ok" until scripted otherwise)."""
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.stop()
