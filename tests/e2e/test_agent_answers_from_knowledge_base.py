"""End to end: an agent answers from its knowledge base on a real `wxo serve`.

Everything goes through IBM's clients (`KnowledgeBaseClient`, `AgentClient`, `RunClient`,
`ThreadsClient`).

The agent uses the built-in `local/extractive` model, which cannot call tools, so the agent loop
searches the knowledge base directly: the answer is a `conversational_search` content item whose
citations quote the indexed files, and the step history says how it was found.
"""

from __future__ import annotations

import io
import json
import time
import uuid

import pytest
from ibm_watsonx_orchestrate_clients.agents.agent_client import AgentClient
from ibm_watsonx_orchestrate_clients.chat.run_client import RunClient
from ibm_watsonx_orchestrate_clients.knowledge_bases.knowledge_base_client import (
    KnowledgeBaseClient,
)
from ibm_watsonx_orchestrate_clients.threads.threads_client import ThreadsClient

from tests.e2e.conftest import ServerProcess

pytestmark = pytest.mark.e2e

TIDES = "# Tides\n\nThe moon pulls the oceans, so the tides rise twice a day."
CATS = "Cats sleep most of the day. A cat purrs when it is content."


def test_agent_with_a_knowledge_base_answers_with_citations(server: ServerProcess) -> None:
    kbs = KnowledgeBaseClient(base_url=server.url, api_key=server.token, is_local=True)
    name = f"nature_{uuid.uuid4().hex[:6]}"
    created = kbs.create_built_in(
        payload={
            "knowledge_base": json.dumps({"name": name, "description": "Tides and cats"}),
            "file_urls": json.dumps({}),
        },
        files=[
            ("files", ("tides.md", io.BytesIO(TIDES.encode()))),
            ("files", ("cats.txt", io.BytesIO(CATS.encode()))),
        ],
    )
    kb_id = created["knowledge_base"]
    deadline = time.monotonic() + 180
    status = kbs.status(kb_id)
    while status["built_in_index_status"] != "ready" and time.monotonic() < deadline:
        assert status["built_in_index_status"] not in ("error", "not_ready"), status
        time.sleep(0.5)
        status = kbs.status(kb_id)
    assert status["built_in_index_status"] == "ready", status

    agents = AgentClient(base_url=server.url, api_key=server.token, is_local=True)
    agent = agents.create(
        {
            "name": f"{name}_agent",
            "kind": "native",
            "llm": "local/extractive",
            "description": "Knows about tides and cats.",
            "instructions": "Answer from the knowledge base.",
            "knowledge_base": [name],
        }
    )

    runs = RunClient(base_url=server.url, api_key=server.token, is_local=True)
    started = runs.create_run("Why do the tides rise?", agent_id=agent.id)
    done = runs.wait_for_run_completion(started["run_id"], poll_interval=1, max_retries=90)
    assert done["status"] == "completed", done

    threads = ThreadsClient(base_url=server.url, api_key=server.token, is_local=True)
    messages = threads.get_thread_messages(started["thread_id"])
    assert [m["role"] for m in messages] == ["user", "assistant"]
    answer = messages[1]
    [item] = answer["content"]
    assert item["response_type"] == "conversational_search"
    assert "moon pulls the oceans" in item["text"]
    assert item["citations"]
    for citation in item["citations"]:
        body = item["search_results"][citation["search_result_idx"]]["body"]
        assert citation["text"] in body
        assert citation["text"] in TIDES or citation["text"] in CATS
    assert item["search_results"][0]["title"] == "tides.md"
    details = [d for step in answer["step_history"] for d in step["step_details"]]
    assert [d["type"] for d in details] == ["tool_calls", "tool_response"]
    assert details[0]["tool_calls"][0]["args"] == {"query": "Why do the tides rise?"}
    assert "cannot call tools" in json.loads(details[1]["content"])["note"]
