"""End to end: IBM's `AgentClient` and `KnowledgeBaseClient` against `wxo serve` (real worker)."""

from __future__ import annotations

import io
import json
import time
import uuid

import pytest
from ibm_watsonx_orchestrate_clients.agents.agent_client import AgentClient
from ibm_watsonx_orchestrate_clients.common.base_client import ClientAPIException
from ibm_watsonx_orchestrate_clients.knowledge_bases.knowledge_base_client import (
    KnowledgeBaseClient,
)

from tests.e2e.conftest import ServerProcess

pytestmark = pytest.mark.e2e


def test_knowledge_base_client_create_built_in_poll_get_delete(server: ServerProcess) -> None:
    server.ensure_running()
    client = KnowledgeBaseClient(base_url=server.url, api_key=server.token, is_local=True)
    name = f"kb_{uuid.uuid4().hex[:8]}"
    files = [
        ("files", ("tides.md", io.BytesIO(b"# Tides\n\nThe moon pulls the oceans twice a day."))),
        ("files", ("cats.txt", io.BytesIO(b"Cats sleep most of the day and purr when content."))),
    ]
    payload = {
        "knowledge_base": json.dumps(
            {"name": name, "description": "Two small files", "prioritize_built_in_index": True}
        ),
        "file_urls": json.dumps({}),
    }
    created = client.create_built_in(payload=payload, files=files)
    kb_id = created["knowledge_base"]  # where IBM's ADK reads the new id
    assert created["id"] == kb_id

    deadline = time.monotonic() + 180
    status = client.status(kb_id)
    while status["built_in_index_status"] != "ready" and time.monotonic() < deadline:
        assert status["built_in_index_status"] not in ("error", "not_ready"), status
        time.sleep(1)
        status = client.status(kb_id)
    assert status["built_in_index_status"] == "ready", status
    assert status["document_counts"] == {"total": 2, "ready": 2, "processing": 0, "failed": 0}
    assert sorted(d["metadata"]["original_file_name"] for d in status["documents"]) == [
        "cats.txt",
        "tides.md",
    ]

    fetched = client.get_by_id(kb_id)
    assert fetched["name"] == name
    assert fetched["description"] == "Two small files"
    by_name = client.get_by_name(name)
    assert by_name is not None
    assert by_name["id"] == kb_id
    assert kb_id in {kb["id"] for kb in client.get()}

    agents = AgentClient(base_url=server.url, api_key=server.token, is_local=True)
    agent = agents.create(
        {"name": f"reader_{uuid.uuid4().hex[:6]}", "kind": "native", "knowledge_base": [name]}
    )
    assert agents.get_draft_by_id(agent.id)["knowledge_base"] == [kb_id]
    agents.delete(agent.id)

    client.delete(kb_id)
    assert client.get_by_name(name) is None
    with pytest.raises(ClientAPIException) as gone:
        client.get_by_id(kb_id)
    assert gone.value.response.status_code == 404


def test_agent_client_create_get_by_name_update_delete(server: ServerProcess) -> None:
    server.ensure_running()
    client = AgentClient(base_url=server.url, api_key=server.token, is_local=True)
    name = f"agent_{uuid.uuid4().hex[:8]}"
    helper = client.create({"name": f"{name}_helper", "kind": "native", "description": "helps"})
    assert helper.id
    created = client.create(
        {
            "spec_version": "v1",
            "kind": "native",
            "name": name,
            "display_name": "E2E agent",
            "description": "An agent made by IBM's client",
            "instructions": "Answer briefly.",
            "llm": "local/extractive",
            "style": "default",
            "tools": [],
            "collaborators": [f"{name}_helper"],
            "knowledge_base": [],
            "welcome_content": {"welcome_message": "Hi"},
            "starter_prompts": {"is_default_prompts": False, "prompts": [{"id": "p1"}]},
        }
    )
    assert created.id

    found = client.get_draft_by_name(name)
    assert len(found) == 1
    agent = found[0]
    assert agent["id"] == created.id
    assert agent["display_name"] == "E2E agent"
    assert agent["llm"] == "local/extractive"
    assert agent["collaborators"] == [helper.id]
    # the client folds these into additional_properties and unfolds them on read
    assert agent["welcome_content"]["welcome_message"] == "Hi"
    assert agent["starter_prompts"]["prompts"] == [{"id": "p1"}]
    assert [a["id"] for a in client.get_drafts_by_ids([created.id])] == [created.id]

    updated = client.update(created.id, {"description": "Changed", "style": "react"})
    assert updated.id == created.id
    again = client.get_draft_by_id(created.id)
    assert isinstance(again, dict)
    assert again["description"] == "Changed"
    assert again["style"] == "react"
    assert again["instructions"] == "Answer briefly."

    with pytest.raises(ClientAPIException) as refused:
        client.create({"name": f"{name}_bad", "kind": "native", "llm": "no/such-model"})
    assert refused.value.response.status_code == 400

    with pytest.raises(ClientAPIException) as in_use:
        client.delete(helper.id)
    assert in_use.value.response.status_code == 409
    client.delete(created.id)
    client.delete(helper.id)
    assert client.get_draft_by_name(name) == []
    assert client.get_draft_by_id(created.id) == ""  # the client's "not found"
