"""The Search page in Chromium: create an engine, suggestions, results, facets, pages, answer.

A collection of short harbour notes (Markdown files uploaded in one batch, plus plain-text
documents with tags) is set up and indexed through the HTTP API; the browser then drives the
page against the real search engine routes.
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

from tests.e2e.conftest import ServerProcess

HARBOURS = 12  # Markdown notes: with the tagged texts, more than one page of ten results
NOTES = {
    f"harbour-{i:02d}.md": (
        f"# Harbour {i} tide tables\n\nAt harbour {i} the tides rise twice a day because the moon"
        f" pulls the oceans; sailors of harbour {i} leave on the ebb."
    )
    for i in range(HARBOURS)
}
TAGGED = {
    "lighthouse.txt": (
        "The lighthouse keeper logs the tides and the weather every night.",
        ["coast", "keepers"],
    ),
    "pier.txt": ("Fishing boats wait at the old pier until the tides turn.", ["coast"]),
    "cats.txt": ("Cats sleep most of the day. A cat purrs when it is content.", ["pets"]),
    # Markup in a document is text: the snippet shows it, the page never runs it.
    "markup.txt": ('Tides <img src=x onerror="alert(1)"> and <b>moon</b> markup.', ["web"]),
}
YEARS = {"lighthouse.txt": 2021, "pier.txt": 2021, "cats.txt": 2020}
ANSWER_NOTE = re.compile(r"quotes the passages|quoted verbatim", re.I)


def _api(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=server.headers, timeout=30)


@pytest.fixture(scope="module")
def corpus(console_server: ServerProcess) -> dict[str, Any]:
    """A collection of indexed notes and its default vector index."""
    with _api(console_server) as api:
        name = f"harbours-{uuid.uuid4().hex[:6]}"
        made = api.post("/v1/document-collections", json={"name": name})
        assert made.status_code == 201, made.text
        collection = made.json()
        files = [("files", (n, text.encode(), "text/markdown")) for n, text in NOTES.items()]
        uploaded = api.post(
            f"/v1/document-collections/{collection['id']}/documents",
            files=files,
            data={"meta": '{"region": "north"}'},
        )
        assert uploaded.status_code == 202, uploaded.text
        for doc_name, (text, tags) in TAGGED.items():
            created = api.post(
                "/v1/documents",
                json={
                    "name": doc_name,
                    "collection_id": collection["id"],
                    "text": text,
                    "tags": tags,
                    "meta": {"year": YEARS[doc_name]} if doc_name in YEARS else {},
                    "content_type": "text/plain",
                },
            )
            assert created.status_code == 202, created.text
        expected = len(NOTES) + len(TAGGED)
        deadline = time.monotonic() + 240
        statuses: list[str] = []
        while time.monotonic() < deadline:
            listed = api.get(
                "/v1/documents", params={"collection_id": collection["id"], "limit": 100}
            ).json()
            statuses = [d["status"] for d in listed["data"]]
            assert "failed" not in statuses, listed
            if len(statuses) == expected and set(statuses) == {"ready"}:
                break
            time.sleep(0.5)
        assert statuses == ["ready"] * expected
        indices = api.get("/v1/vector-indices", params={"collection_id": collection["id"]}).json()
        [index] = [i for i in indices["data"] if i["default_for_collection_id"] == collection["id"]]
        return {"collection": collection, "index": index}


@pytest.fixture(scope="module")
def engine(console_server: ServerProcess, corpus: dict[str, Any]) -> dict[str, Any]:
    """A search engine over the collection, made through the API."""
    with _api(console_server) as api:
        made = api.post(
            "/v1/search-engines",
            json={
                "name": f"notes-{uuid.uuid4().hex[:6]}",
                "index_ids": [corpus["index"]["id"]],
                "settings": {
                    "facets": ["collection", "tags", "content_type", "meta.region", "meta.year"]
                },
            },
        )
        assert made.status_code == 201, made.text
        body: dict[str, Any] = made.json()
        return body


def test_a_search_engine_is_created_with_the_form(
    signed_in: Page, console_server: ServerProcess, corpus: dict[str, Any]
) -> None:
    page = signed_in
    page.get_by_role("link", name="Search").click()
    new = page.get_by_role("button", name="New search engine")
    form = page.get_by_role("form", name="New search engine")
    expect(new.or_(form)).to_be_visible()
    if new.is_visible():
        new.click()
    name = f"made-in-form-{uuid.uuid4().hex[:6]}"
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_role("button", name="Create search engine").click()
    expect(form.get_by_role("alert")).to_have_text("Pick at least one collection to search.")
    form.get_by_label(corpus["collection"]["name"]).check()
    form.get_by_label("Answer every search").check()
    form.get_by_role("button", name="Create search engine").click()

    expect(page).to_have_url(re.compile(r"#/search/[0-9a-f-]{36}$"))
    engine_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("combobox", name="Search engine", exact=True)).to_have_value(engine_id)
    expect(page.get_by_role("checkbox", name="Generate an answer")).to_be_checked()
    with _api(console_server) as api:
        stored = api.get(f"/v1/search-engines/{engine_id}").json()
    assert stored["name"] == name
    assert stored["index_ids"] == [corpus["index"]["id"]]
    assert stored["settings"]["answer"]["enabled"] is True


def test_suggest_search_filter_page_and_open_a_result(
    signed_in: Page,
    console_server: ServerProcess,
    engine: dict[str, Any],
    corpus: dict[str, Any],
    shot: Callable[[Page, str], Path],
) -> None:
    page = signed_in
    page.goto(f"/#/search/{engine['id']}")
    expect(page.get_by_text(f"Searches {corpus['collection']['name']}")).to_be_visible()
    box = page.get_by_role("combobox", name="Search query")
    box.press_sequentially("harb", delay=30)
    suggestions = page.get_by_role("listbox", name="Suggestions")
    expect(suggestions).to_be_visible()
    first = suggestions.get_by_role("option").first
    expect(first).to_contain_text(re.compile("harbour", re.I))
    box.press("Escape")
    expect(suggestions).to_be_hidden()
    expect(box).to_have_value("harb")

    box.fill("")
    box.press_sequentially("tides moon", delay=20)
    box.press("Enter")
    results = page.get_by_role("list", name="Results")
    expect(results.get_by_role("listitem").first).to_be_visible()
    marks = results.locator(".search-snippet mark")
    expect(marks.first).to_be_visible()
    assert marks.first.inner_text().lower() in {"tides", "tide", "moon"}
    summary = page.get_by_test_id("search-summary")
    expect(summary).to_contain_text(re.compile(r"\d+ results"))
    counted = re.search(r"(\d+) results", summary.inner_text())
    assert counted
    total = int(counted.group(1))
    assert total > 10

    facets = page.get_by_role("complementary", name="Filter by facet")
    collection_facet = facets.get_by_role("button", name=corpus["collection"]["name"])
    expect(collection_facet).to_contain_text(str(total))
    expect(facets.get_by_role("button", name=re.compile(r"^coast 2 documents"))).to_be_visible()
    shot(page, "search")

    pager = page.get_by_role("navigation", name="Result pages")
    pager.get_by_role("button", name="Next page").click()
    expect(pager).to_contain_text("Page 2")
    expect(summary).to_contain_text(re.compile(r"showing 11\W"))
    pager.get_by_role("button", name="Previous page").click()
    expect(pager).to_contain_text("Page 1")

    # A facet value filters the search: only the two coast notes are left.
    facets.get_by_role("button", name=re.compile(r"^coast")).click()
    expect(summary).to_contain_text(re.compile(r"^2 results"))
    expect(results.get_by_role("listitem")).to_have_count(2)
    page.get_by_role("button", name="Clear filters").click()
    expect(summary).to_contain_text(f"{total} results")
    # Meta facets: a number (the facet says "2021", the documents hold 2021), then a string.
    year = facets.get_by_role("region", name="year")
    year.get_by_role("button", name=re.compile("^2021")).click()
    expect(summary).to_contain_text(re.compile(r"^2 results"))
    region = facets.get_by_role("region", name="region")
    expect(region.get_by_role("button", name=re.compile(r"^north"))).to_have_count(0)
    page.get_by_role("button", name="Remove filter year: 2021").click()
    expect(summary).to_contain_text(f"{total} results")
    region.get_by_role("button", name=re.compile(r"^north")).click()
    expect(summary).to_contain_text(f"{HARBOURS} results")
    expect(region.get_by_role("button", name=re.compile(r"^north"))).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_role("button", name="Clear filters").click()
    expect(summary).to_contain_text(f"{total} results")

    # Opening a result shows its passage and links to the document on the Knowledge page.
    note = results.get_by_role("listitem").filter(has_text="harbour-").first
    title = note.get_by_role("button").first
    name = re.search(r"harbour-\d\d\.md", title.inner_text())
    assert name
    title.click()
    expect(title).to_have_attribute("aria-expanded", "true")
    passage = note.get_by_test_id("passage")
    expect(passage).to_have_text(NOTES[name.group(0)].split("\n\n", 1)[1])
    expect(passage.locator("mark").first).to_be_visible()
    link = note.get_by_role("link", name="Open the document")
    with _api(console_server) as api:
        [document] = api.get(
            "/v1/documents",
            params={"collection_id": corpus["collection"]["id"], "name": name.group(0)},
        ).json()["data"]
    expect(link).to_have_attribute(
        "href", f"#/knowledge/{corpus['collection']['id']}/{document['id']}"
    )

    # The server escapes a document's markup and the page shows it as text.
    box.fill("markup")
    box.press("Enter")
    markup = results.get_by_role("listitem").filter(has_text="markup.txt")
    expect(markup.locator(".search-snippet")).to_contain_text('<img src=x onerror="alert(1)">')
    expect(results.locator("img, b")).to_have_count(0)


def test_suggestions_ignore_stale_answers_and_are_picked_with_the_keyboard(
    signed_in: Page, engine: dict[str, Any]
) -> None:
    page = signed_in
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(re.compile(r"/suggest\?"), hold_the_first)
    page.goto(f"/#/search/{engine['id']}")
    box = page.get_by_role("combobox", name="Search query")
    box.press_sequentially("ha", delay=30)
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "no suggestion request for 'ha'"
    box.press_sequentially("rbour 1", delay=30)
    listbox = page.get_by_role("listbox", name="Suggestions")
    options = listbox.get_by_role("option")
    expect(options.first).to_contain_text(re.compile("harbour 1", re.I))
    # The answer to "ha" arrives last: it is older than what is shown, so it is dropped.
    held[0].fulfill(
        json={"query": "ha", "suggestions": [{"text": "STALE", "source": "title", "documents": 1}]}
    )
    page.wait_for_timeout(400)
    expect(listbox).not_to_contain_text("STALE")

    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id") or "")
    picked = options.first.locator("span").first.inner_text()
    box.press("Enter")
    expect(box).to_have_value(picked)
    expect(listbox).to_be_hidden()
    expect(page.get_by_role("list", name="Results").get_by_role("listitem").first).to_be_visible()


def test_generated_answer_with_citations(
    signed_in: Page, engine: dict[str, Any], shot: Callable[[Page, str], Path]
) -> None:
    page = signed_in
    page.goto(f"/#/search/{engine['id']}")
    toggle = page.get_by_role("checkbox", name="Generate an answer")
    expect(toggle).not_to_be_checked()  # the engine does not answer by default
    toggle.check()
    box = page.get_by_role("combobox", name="Search query")
    box.fill("Why do the tides rise twice a day?")
    box.press("Enter")
    answer = page.get_by_role("region", name="Answer")
    expect(answer.get_by_test_id("answer-text")).to_contain_text("tides")
    # No chat model is configured: the server quotes the passages and says so.
    expect(answer.get_by_test_id("answer-note")).to_have_text(ANSWER_NOTE)
    cite = answer.get_by_role("button", name=re.compile(r"^Source 1: "))
    expect(cite.first).to_be_visible()
    cite.first.click()
    cited = answer.get_by_role("region", name="Cited passage 1")
    expect(cited.locator("mark").first).to_be_visible()
    quoted = cited.locator("mark").first.inner_text()
    assert quoted.strip()
    assert quoted.strip()[:20] in answer.get_by_test_id("answer-text").inner_text()
    shot(page, "search-answer")

    # The tab keeps the last search of the engine: a reload shows it again.
    page.reload()
    expect(box).to_have_value("Why do the tides rise twice a day?")
    expect(toggle).to_be_checked()
    expect(answer.get_by_role("button", name=re.compile(r"^Source 1: ")).first).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    expect(answer).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    shot(page, "search-phone")


def test_a_failed_search_shows_the_server_message_and_retries(
    signed_in: Page, engine: dict[str, Any]
) -> None:
    page = signed_in
    failures: list[str] = []

    def fail_once(route: Route) -> None:
        if failures:
            route.continue_()
        else:
            failures.append(route.request.url)
            route.fulfill(status=400, json={"detail": "The engine asks for reranking"})

    page.route(re.compile(r"/search-engines/[^/]+/search$"), fail_once)
    page.goto(f"/#/search/{engine['id']}")
    box = page.get_by_role("combobox", name="Search query")
    box.fill("tides")
    box.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The engine asks for reranking")
    alert.get_by_role("button", name="Retry").click()
    expect(alert).to_be_hidden()
    expect(page.get_by_role("list", name="Results").get_by_role("listitem").first).to_be_visible()
    assert len(failures) == 1
