"""IBM's own clients (`ibm-watsonx-orchestrate-clients`) against our app over real HTTP.

`AssistantAgentClient` (`/v1/assistants/watsonx`) and `ExternalAgentClient`
(`/v1/agents/external-chat`) create, list, find by name and id, update and delete; the sync
clients run in a thread while uvicorn serves in the test's loop.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ibm_watsonx_orchestrate_clients.agents.assistant_agent_client import AssistantAgentClient
from ibm_watsonx_orchestrate_clients.agents.external_agent_client import ExternalAgentClient

from tests.conftest import TenantUser
from tests.integration.llm.peers import AppServer
from wxo.container import Container
from wxo.main import create_app


@pytest.fixture
async def served(container: Container) -> AsyncIterator[AppServer]:
    """Our app on a free loopback port."""
    server = AppServer(create_app(container.settings, container))
    await server.start()
    yield server
    await server.stop()


async def test_external_agent_client_round_trip(served: AppServer, live_tenant: TenantUser) -> None:
    client = ExternalAgentClient(base_url=served.url, api_key=live_tenant.token, is_local=True)
    name = f"ext_{uuid.uuid4().hex[:8]}"
    created: dict[str, Any] = await asyncio.to_thread(
        client.create,
        {
            "name": name,
            "title": "News agent",
            "description": "Summarises the news",
            "api_url": "https://news.example.com/v1/chat/completions",
            "auth_scheme": "BEARER_TOKEN",
            "auth_config": {"token": "news-secret"},
            "chat_params": {"stream": True},
            "config": {"hidden": False, "enable_cot": False},
            "nickname": "News",
            "provider": "external_chat",
            "tags": ["news"],
        },
    )
    assert created["name"] == name
    assert created["auth_config"] == {"token": "********"}
    agent_id = created["id"]

    listed = await asyncio.to_thread(client.get)
    assert agent_id in [a["id"] for a in listed]
    by_name = await asyncio.to_thread(client.get_draft_by_name, name)
    assert [a["id"] for a in by_name] == [agent_id]
    by_id = await asyncio.to_thread(client.get_draft_by_id, agent_id)
    assert isinstance(by_id, dict)
    assert by_id["api_url"] == "https://news.example.com/v1/chat/completions"

    updated = await asyncio.to_thread(
        client.update,
        agent_id,
        {"description": "Summarises world news", "auth_config": {"token": "********"}},
    )
    assert updated["description"] == "Summarises world news"
    await asyncio.to_thread(client.delete, agent_id)
    assert await asyncio.to_thread(client.get_draft_by_id, agent_id) == ""


async def test_assistant_agent_client_round_trip(
    served: AppServer, live_tenant: TenantUser
) -> None:
    client = AssistantAgentClient(base_url=served.url, api_key=live_tenant.token, is_local=True)
    nickname = f"HR desk {uuid.uuid4().hex[:6]}"
    created: dict[str, Any] = await asyncio.to_thread(
        client.create,
        {
            "nickname": nickname,
            "description": "Answers HR questions",
            "title": "HR",
            "config": {
                "service_instance_url": "https://api.us-south.assistant.watson.cloud.ibm.com/instances/x",
                "assistant_id": "a-1",
                "environment_id": "e-1",
                "api_key": "ibm-key",
                "auth_type": "IBM_CLOUD_IAM",
                "api_version": "2023-06-15",
            },
        },
    )
    assert created["nickname"] == nickname
    assert created["name"] == nickname.lower().replace(" ", "_")
    assert created["api_key"] == "********"
    assistant_id = created["id"]
    by_name = await asyncio.to_thread(client.get_draft_by_name, created["name"])
    assert [a["id"] for a in by_name] == [assistant_id]
    by_ids = await asyncio.to_thread(client.get_drafts_by_ids, [assistant_id])
    assert [a["environment_id"] for a in by_ids] == ["e-1"]
    updated = await asyncio.to_thread(
        client.update, assistant_id, {"config": {"environment_id": "e-2"}, "hidden": True}
    )
    assert (updated["environment_id"], updated["assistant_id"], updated["hidden"]) == (
        "e-2",
        "a-1",
        True,
    )
    hidden_included = await asyncio.to_thread(client.get)
    assert assistant_id in [a["id"] for a in hidden_included]
    await asyncio.to_thread(client.delete, assistant_id)
    assert await asyncio.to_thread(client.get_draft_by_id, assistant_id) == ""
