"""Fixtures: a scripted HTTP peer on the loopback (OpenAI-compatible, any path), and helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import TenantUser
from tests.integration.llm.peers import LOOPBACK, FakeOpenAI
from wxo.auth.schemas import TenantPrincipal
from wxo.external_agents.outbound import Outbound

ALLOW_LOOPBACK = Outbound(allow_networks=("127.0.0.1/32",), connect_timeout=2.0, read_timeout=1.0)
"""What the tests' outgoing calls may reach: the loopback peer, with short time limits."""


@pytest.fixture
async def peer() -> AsyncIterator[FakeOpenAI]:
    """A real HTTP server on 127.0.0.1 answering scripted replies in order."""
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.stop()


def root(peer: FakeOpenAI) -> str:
    """The peer's origin (`http://127.0.0.1:<port>`)."""
    return f"http://{LOOPBACK}:{peer.port}"


def principal(tenant: TenantUser) -> TenantPrincipal:
    """The tenant user as the services see it."""
    return TenantPrincipal(
        user_id=tenant.user_id,
        username=tenant.username,
        token_id=tenant.user_id,
        tenant_id=tenant.tenant_id,
        tenant_name=tenant.tenant_name,
    )
