"""The console's Models page in Chromium: list, register (write-only key), try a prompt, delete.

Prompts go to the built-in local models (`local/extractive` always, SmolLM2 when installed) and to
a registered OpenAI-compatible model whose base URL is the test server's own `/v1`: a real local
peer, called over HTTP with the development token as its API key.
"""

from __future__ import annotations

import json
import math
import re
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Response, expect

from tests.e2e.conftest import ServerProcess, free_port

Shot = Callable[[Page, str], Path]
EXTRACTIVE = "local/extractive"
SMOLLM = "local/smollm2-135m-instruct"
CONTEXT = "The Eiffel Tower stands in Paris. Bananas are yellow."
QUESTION = "Where does the Eiffel Tower stand?"


@pytest.fixture
def allowed_errors() -> list[str]:
    """Console errors a test provokes on purpose (e.g. a 502 from an unreachable provider)."""
    return []


def api(server: ServerProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, server.url + path, headers=server.headers, timeout=60, **kwargs)


def catalog(server: ServerProcess, path: str = "/v1/models/list") -> list[dict[str, Any]]:
    response = api(server, "GET", path)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["resources"]
    return entries


def is_completion(response: Response) -> bool:
    return response.url.endswith("/v1/chat/completions") and response.request.method == "POST"


def is_registration(response: Response) -> bool:
    return response.url.endswith("/v1/models") and response.request.method == "POST"


def sse_reply(body: str) -> tuple[str, dict[str, int]]:
    """The answer and usage of an OpenAI chat-completions SSE body (with include_usage)."""
    answer, usage = "", dict[str, int]()
    for line in body.splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line.removeprefix("data: "))
        usage = chunk.get("usage") or usage
        answer += "".join(c["delta"].get("content") or "" for c in chunk["choices"])
    return answer, usage


def reply_of(response: Response) -> tuple[str, dict[str, int]]:
    """The answer and usage the server sent, streamed or not."""
    if "text/event-stream" in (response.headers.get("content-type") or ""):
        return sse_reply(response.text())
    body = response.json()
    return body["choices"][0]["message"]["content"], body["usage"]


def row_of(page: Page, name: str) -> Any:
    table = page.get_by_role("table", name="Models", exact=True)
    return table.locator("tr").filter(has=page.get_by_text(name, exact=True))


def ask(page: Page, model: str, prompt: str, context: str = "") -> tuple[Response, float]:
    """Send a prompt with Enter; the server's response and the wall time around it (ms)."""
    panel = page.get_by_role("region", name="Try a prompt")
    panel.get_by_label("Model", exact=True).select_option(model)
    panel.get_by_label("Context (system message, optional)").fill(context)
    box = panel.get_by_label("Prompt", exact=True)
    box.fill(prompt)
    started = time.monotonic()
    with page.expect_response(is_completion) as info:
        box.press("Enter")
    response = info.value
    if response.ok:
        expect(panel.get_by_test_id("latency")).to_be_visible()
    return response, (time.monotonic() - started) * 1000


def assert_shown(page: Page, response: Response, wall_ms: float) -> str:
    """The answer and usage on the page are the server's; the latency is plausible."""
    answer, usage = reply_of(response)
    panel = page.get_by_role("region", name="Try a prompt")
    expect(panel.get_by_test_id("answer")).to_have_text(answer)
    expect(panel.get_by_test_id("prompt-tokens")).to_have_text(str(usage["prompt_tokens"]))
    expect(panel.get_by_test_id("completion-tokens")).to_have_text(str(usage["completion_tokens"]))
    expect(panel.get_by_test_id("total-tokens")).to_have_text(str(usage["total_tokens"]))
    latency = panel.get_by_test_id("latency").inner_text()
    match = re.fullmatch(r"(\d+) ms", latency)
    assert match, latency
    assert 0 <= int(match.group(1)) <= wall_ms + 1
    return answer


def test_lists_the_built_in_models_and_filters_by_kind(
    signed_in: Page, console_server: ServerProcess
) -> None:
    builtins = [e for e in catalog(console_server) if not e["is_custom"]]
    assert {EXTRACTIVE} <= {e["name"] for e in builtins}
    signed_in.goto("/#/models")
    for entry in builtins:
        row = row_of(signed_in, entry["name"])
        expect(row).to_contain_text("Built-in")
        expect(row).to_contain_text("embedding" if entry["model_type"] == "embedding" else "chat")

    embedding = next(e for e in builtins if e["model_type"] == "embedding")
    signed_in.get_by_role("button", name=f"Details of {embedding['name']}").click()
    details = signed_in.locator(".models-details-row")
    expect(details).to_contain_text(embedding["description"])
    expect(details).to_contain_text(f"Dimensions{embedding['dimensions']}")

    embeddings = [e["name"] for e in catalog(console_server, "/v1/models/list/embeddings")]
    listing = signed_in.get_by_role("region", name="Built-in and registered models")
    listing.get_by_label("Kind", exact=True).select_option("embedding")
    expect(listing.locator("tbody strong")).to_have_text(embeddings)
    signed_in.get_by_label("Filter by name").fill("no such model at all")
    expect(signed_in.get_by_text("No model matches the filter.")).to_be_visible()


def test_registers_a_model_with_a_write_only_key_and_tries_it(
    signed_in: Page, console_server: ServerProcess, shot: Shot
) -> None:
    page, key = signed_in, console_server.token  # the peer is this server: its token is the key
    page.goto("/#/models")
    form = page.get_by_role("form", name="Register a model")
    form.get_by_label("Provider", exact=True).select_option(label="OpenAI-compatible")
    form.get_by_label("Base URL").fill(console_server.url + "/v1")
    form.get_by_label("API key").fill(key)
    form.get_by_label("Provider's model id").fill("not a valid id")
    with page.expect_response(is_registration) as refused:
        form.get_by_role("button", name="Register").click()
    assert refused.value.status == 422
    expect(form.get_by_role("alert")).to_contain_text(refused.value.json()["detail"][0]["msg"])

    display = f"Local peer {uuid.uuid4().hex[:6]}"
    form.get_by_label("Provider's model id").fill(EXTRACTIVE)
    form.get_by_label("Display name").fill(display)
    name = f"virtual-model/openai-compatible/{EXTRACTIVE}"
    expect(form.get_by_test_id("derived-name")).to_have_text(name)
    with page.expect_response(is_registration) as created:
        form.get_by_role("button", name="Register").click()
    assert created.value.status == 201, created.value.text()
    expect(form.get_by_role("status")).to_have_text(f"Registered {name}.")
    expect(form.get_by_label("API key")).to_have_value("")

    # The API has it, with the fields the form sent, and never returns the key.
    listed = api(console_server, "GET", "/v1/models", params={"name": name})
    assert key not in listed.text
    (model,) = listed.json()
    assert model["display_name"] == display
    assert model["provider"] == "openai-compatible"
    assert model["model_type"] == "chat"
    assert model["provider_config"] == {
        "provider": "openai-compatible",
        "custom_host": console_server.url + "/v1",
        "api_key": "********",
    }
    assert key not in api(console_server, "GET", f"/v1/models/{model['id']}").text

    # The table shows it as registered; its details tell a key is stored, never the key.
    row = row_of(page, display)
    expect(row).to_contain_text("Registered")
    expect(row).to_contain_text("OpenAI-compatible")
    page.get_by_role("button", name=f"Details of {name}").click()
    details = page.locator(".models-details-row")
    expect(details).to_contain_text(console_server.url + "/v1")
    expect(details).to_contain_text("stored (write-only, never shown)")
    assert key not in page.content()
    assert key not in page.inner_text("body")
    shot(page, "models")

    # Try a prompt through it: the proxy calls this server's own OpenAI-compatible route.
    page.get_by_role("button", name=f"Try {name}").click()
    expect(page).to_have_url(re.compile(r"#/models/try/"))
    expect(page.get_by_label("Model", exact=True)).to_have_value(name)
    expect(page.get_by_label("Prompt", exact=True)).to_be_focused()
    response, wall = ask(page, name, QUESTION, CONTEXT)
    assert response.status == 200
    answer = assert_shown(page, response, wall)
    assert "The Eiffel Tower stands in Paris." in answer


def test_a_configuration_rule_the_server_enforces_is_shown_beside_the_form(
    signed_in: Page, console_server: ServerProcess
) -> None:
    page = signed_in
    page.goto("/#/models")
    form = page.get_by_role("form", name="Register a model")
    form.get_by_label("Provider", exact=True).select_option(label="watsonx.ai")
    expect(form.get_by_label("watsonx.ai project id")).to_be_visible()
    form.get_by_label("Provider's model id").fill(f"ibm/granite-{uuid.uuid4().hex[:6]}")
    form.get_by_label("API key").fill("an-ibm-cloud-key")
    with page.expect_response(is_registration) as refused:
        form.get_by_role("button", name="Register").click()
    assert refused.value.status == 400
    expect(form.get_by_role("alert")).to_have_text(refused.value.json()["detail"])
    expect(form.get_by_label("API key")).to_have_value("an-ibm-cloud-key")  # kept to fix and resend

    form.get_by_label("watsonx.ai project id").fill("a-project")
    with page.expect_response(is_registration) as created:
        form.get_by_role("button", name="Register").click()
    assert created.value.status == 201
    model = created.value.json()
    assert model["provider"] == "watsonx"
    assert model["provider_config"]["watsonx_project_id"] == "a-project"
    assert model["provider_config"]["api_key"] == "********"
    expect(form.get_by_role("alert")).to_have_count(0)


def test_tries_a_prompt_against_the_built_in_local_models(
    signed_in: Page, console_server: ServerProcess, shot: Shot
) -> None:
    available = {e["name"] for e in catalog(console_server) if e["available"]}
    page = signed_in
    page.goto("/#/models")
    if SMOLLM in available:  # installed by `make test`: a real generative model, not streamed
        page.get_by_label("Stream the answer").uncheck()
        page.get_by_label("Max tokens").fill("24")
        response, wall = ask(page, SMOLLM, "Say hello in one short sentence.")
        assert response.status == 200
        assert "json" in (response.headers.get("content-type") or "")
        assert assert_shown(page, response, wall).strip()
        page.get_by_label("Stream the answer").check()
        page.get_by_label("Max tokens").fill("")

    response, wall = ask(page, EXTRACTIVE, QUESTION, CONTEXT)
    assert "text/event-stream" in (response.headers.get("content-type") or "")
    answer = assert_shown(page, response, wall)
    assert "The Eiffel Tower stands in Paris." in answer
    assert "Bananas" not in answer
    # Shift+Enter adds a line instead of sending.
    box = page.get_by_label("Prompt", exact=True)
    box.press("Shift+Enter")
    expect(box).to_have_value(QUESTION + "\n")
    shot(page, "models-try")

    # The usage table shows the server's counters for the model (refreshed after each prompt).
    usage = page.get_by_role("region", name="Usage")
    usage.get_by_label("Usage of model").select_option(EXTRACTIVE)
    counted = api(console_server, "GET", "/v1/models/usage", params={"model": EXTRACTIVE})
    (today,) = counted.json()["data"]
    row = usage.get_by_role("row").filter(has=page.get_by_role("cell", name=EXTRACTIVE))
    expect(row.get_by_role("cell")).to_have_text(
        [
            today["day"],
            EXTRACTIVE,
            str(today["requests"]),
            str(today["errors"]),
            str(today["prompt_tokens"]),
            str(today["completion_tokens"]),
            str(today["total_tokens"]),
            f"{math.floor(today['avg_latency_ms'] + 0.5)} ms",  # JavaScript's Math.round
        ]
    )


def test_an_unreachable_provider_shows_the_server_error(
    signed_in: Page, console_server: ServerProcess, allowed_errors: list[str]
) -> None:
    allowed_errors.append("Failed to load resource: the server responded with a status of 5")
    name = f"virtual-model/ollama/gone-{uuid.uuid4().hex[:6]}"
    closed = f"http://127.0.0.1:{free_port()}"
    created = api(
        console_server,
        "POST",
        "/v1/models",
        json={"name": name, "provider_config": {"provider": "ollama", "custom_host": closed}},
    )
    assert created.status_code == 201, created.text
    page = signed_in
    page.goto(f"/#/models/try/{name}")
    expect(page.get_by_label("Model", exact=True)).to_have_value(name)
    response, _ = ask(page, name, "Hello?")
    assert response.status >= 500
    message = response.json()["detail"]
    assert "ollama" in message
    panel = page.get_by_role("region", name="Try a prompt")
    expect(panel.get_by_role("alert")).to_contain_text(message)
    with page.expect_response(is_completion) as again:
        panel.get_by_role("button", name="Retry").click()
    assert again.value.status == response.status
    expect(panel.get_by_role("alert")).to_contain_text(message)


def test_a_rejected_key_is_shown_and_replaced_without_signing_out(
    signed_in: Page, console_server: ServerProcess
) -> None:
    # The local peer (this server) rejects a wrong key with 401; the proxy passes that on as a
    # 401 of its own, which must not end the console's session.
    # The name's segment after `virtual-model/` is free when provider_config names the provider;
    # what follows it is the upstream model id.
    peer = f"virtual-model/peer-{uuid.uuid4().hex[:6]}/{EXTRACTIVE}"
    config = {
        "provider": "openai-compatible",
        "custom_host": console_server.url + "/v1",
        "api_key": "not-the-key",
    }
    created = api(
        console_server, "POST", "/v1/models", json={"name": peer, "provider_config": config}
    )
    assert created.status_code == 201, created.text
    page = signed_in
    page.goto(f"/#/models/try/{peer}")
    response, _ = ask(page, peer, QUESTION, CONTEXT)
    assert response.status == 401
    panel = page.get_by_role("region", name="Try a prompt")
    expect(panel.get_by_role("alert")).to_contain_text(response.json()["detail"])
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()  # still signed in

    page.get_by_role("button", name=f"Details of {peer}").click()
    replace = page.get_by_role("form", name=f"Replace the API key of {peer}")
    replace.get_by_label("New API key").fill(console_server.token)
    with page.expect_response(lambda r: r.request.method == "PATCH") as patched:
        replace.get_by_role("button", name="Replace key").click()
    assert patched.value.status == 200
    assert console_server.token not in patched.value.text()
    expect(replace.get_by_role("status")).to_have_text("API key replaced.")
    expect(replace.get_by_label("New API key")).to_have_value("")
    model = api(console_server, "GET", f"/v1/models/{created.json()['id']}").json()
    assert model["provider_config"]["api_key"] == "********"
    assert model["provider_config"]["custom_host"] == console_server.url + "/v1"

    response, wall = ask(page, peer, QUESTION, CONTEXT)
    assert response.status == 200
    assert "The Eiffel Tower stands in Paris." in assert_shown(page, response, wall)


def test_stops_a_prompt_that_waits_for_a_silent_provider(
    signed_in: Page, console_server: ServerProcess
) -> None:
    # A peer that accepts connections and never answers; the model gives up after 5 s anyway.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        host = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        name = f"virtual-model/openai-compatible/silent-{uuid.uuid4().hex[:6]}"
        config = {"provider": "openai-compatible", "custom_host": host, "request_timeout": 5000}
        created = api(
            console_server, "POST", "/v1/models", json={"name": name, "provider_config": config}
        )
        assert created.status_code == 201, created.text
        page = signed_in
        page.goto(f"/#/models/try/{name}")
        panel = page.get_by_role("region", name="Try a prompt")
        panel.get_by_label("Prompt", exact=True).fill("Anyone there?")
        panel.get_by_role("button", name="Send").click()
        expect(panel.get_by_role("button", name="Waiting…")).to_be_disabled()
        panel.get_by_role("button", name="Stop").click()
        expect(panel.get_by_role("alert")).to_contain_text("Stopped.")
        expect(panel.get_by_role("button", name="Retry")).to_be_visible()
        expect(panel.get_by_role("button", name="Stop")).to_have_count(0)


def test_deletes_a_registered_model_after_confirming(
    signed_in: Page, console_server: ServerProcess
) -> None:
    name = f"virtual-model/openai/doomed-{uuid.uuid4().hex[:6]}"
    created = api(
        console_server,
        "POST",
        "/v1/models",
        json={"name": name, "provider_config": {"provider": "openai", "api_key": "sk-doomed"}},
    )
    assert created.status_code == 201, created.text
    model_id = created.json()["id"]
    page = signed_in
    page.goto("/#/models")
    page.get_by_role("button", name=f"Delete {name}").click()
    dialog = page.get_by_role("dialog", name=f"Delete {name}?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert api(console_server, "GET", f"/v1/models/{model_id}").status_code == 200

    page.get_by_role("button", name=f"Delete {name}").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(row_of(page, name)).to_have_count(0)
    assert api(console_server, "GET", f"/v1/models/{model_id}").status_code == 404


def test_models_page_at_phone_width(
    signed_in: Page, console_server: ServerProcess, shot: Shot
) -> None:
    page = signed_in
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/#/models")
    expect(row_of(page, EXTRACTIVE)).to_be_visible()
    expect(page.get_by_label("Prompt", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "models-phone")
