"""End to end: Orchestrate runs on a real `wxo serve`, driven by IBM's RunClient and ThreadsClient.

The server runs the default executor; with no chat model configured it answers with the
built-in `local/extractive` responder, which quotes the conversation so far.
"""

from __future__ import annotations

import json

import httpx
import pytest
from ibm_watsonx_orchestrate_clients.chat.run_client import RunClient
from ibm_watsonx_orchestrate_clients.threads.threads_client import ThreadsClient

from tests.e2e.conftest import ServerProcess

pytestmark = pytest.mark.e2e

ORDER_HEAD = ["run.started", "message.started"]
ORDER_TAIL = ["message.created", "message.completed", "run.completed", "done"]


def _assistant_text(message: dict[str, object]) -> str:
    content = message["content"]
    assert isinstance(content, list)
    return "".join(str(item.get("text", "")) for item in content)


def test_ibm_run_client_runs_polls_and_reads_the_thread(server: ServerProcess) -> None:
    runs = RunClient(base_url=server.url, api_key=server.token, is_local=True)
    threads = ThreadsClient(base_url=server.url, api_key=server.token, is_local=True)

    first = runs.create_run("The Eiffel Tower stands in Paris. Bananas are yellow fruit.")
    assert set(first) == {"thread_id", "run_id", "task_id", "message_id"}
    status = runs.wait_for_run_completion(first["run_id"], poll_interval=1, max_retries=60)
    assert status["status"] == "completed", status
    assert status["run_id"] == first["run_id"]
    assert status["thread_id"] == first["thread_id"]

    second = runs.create_run("Where does the Eiffel Tower stand?", thread_id=first["thread_id"])
    assert second["thread_id"] == first["thread_id"]
    status = runs.wait_for_run_completion(second["run_id"], poll_interval=1, max_retries=60)
    assert status["status"] == "completed", status

    messages = threads.get_thread_messages(first["thread_id"])
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[0]["id"] == first["message_id"]
    assert messages[2]["id"] == second["message_id"]
    # The second answer quotes the first message: the thread's history reached the model.
    assert "The Eiffel Tower stands in Paris." in _assistant_text(messages[3])
    assert all(m["thread_id"] == first["thread_id"] for m in messages)
    assert messages[3]["step_history"] == [] or isinstance(messages[3]["step_history"], list)


def test_stream_as_the_adk_parses_it_and_resume_after_a_real_disconnect(
    server: ServerProcess,
) -> None:
    runs = RunClient(base_url=server.url, api_key=server.token, is_local=True)
    payload = {"message": {"role": "user", "content": "Hello"}, "capture_logs": False}
    events = runs._post_nd_json("/orchestrate/runs?stream=true&multiple_content=false", payload)
    names = [e["event"] for e in events]
    assert names[:2] == ORDER_HEAD
    assert names[-4:] == ORDER_TAIL
    assert set(names[2:-4]) <= {"message.delta", "run.step.intermediate", "run.step.delta"}
    thread_id = events[0]["data"]["thread_id"]
    assert all(e["data"]["thread_id"] == thread_id for e in events)

    # A client that drops the connection after two events, then resumes from the last id.
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as http:
        seen = []
        with http.stream(
            "POST",
            "/api/v1/orchestrate/runs/stream",
            json={"message": {"content": "Hello again"}, "thread_id": thread_id},
        ) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.strip():
                    seen.append(json.loads(line))
                if len(seen) == 2:
                    break
        run_id = seen[0]["data"]["run_id"]
        rest = http.get(
            f"/v1/orchestrate/runs/{run_id}/events",
            params={"after": seen[-1]["id"], "follow": "true"},
        )
        assert rest.status_code == 200
        resumed = seen + [json.loads(line) for line in rest.text.splitlines() if line.strip()]
        replay = http.get(f"/v1/orchestrate/runs/{run_id}/events").json()
        assert resumed == replay
        assert [e["event"] for e in replay][-4:] == ORDER_TAIL
        status = runs.get_run_status(run_id)
        assert status["status"] == "completed"
        listed = http.get("/v1/orchestrate/runs", params={"limit": 100}).json()
        assert run_id in [r["id"] for r in listed["data"]]
