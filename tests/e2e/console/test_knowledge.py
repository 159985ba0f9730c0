"""The knowledge page in Chromium: collections, many-file uploads with live statuses, a document.

Everything the page shows is checked against the API afterwards: the documents exist, are ready
(or failed with the reason the page showed), and the document view shows the server's own text,
elements, keywords, entities and extracted image.
"""

from __future__ import annotations

import base64
import io
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, FilePayload, Locator, Page, Route, expect

from tests.e2e.conftest import ServerProcess, running
from tests.e2e.console.conftest import console_tab, sign_in_with_token

PROCESSING = 120_000  # ms: the first document also loads the embedding model


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (24, 16), "red").save(out, format="PNG")
    return out.getvalue()


def _html_page(marker: str) -> bytes:
    image = base64.b64encode(_png()).decode()
    return f"""<!doctype html><html lang="en"><head><title>Robins of London {marker}</title></head>
<body><main>
<h1>Robins of London</h1>
<p>Ada Lovelace watched robins in Hyde Park with Charles Babbage every spring in London.
Robins sing at dawn; the robin population of London grows when winters are mild. {marker}</p>
<h2>Feeding robins</h2>
<ul><li>Mealworms in the morning</li><li>Suet in the winter</li></ul>
<img alt="A robin on a branch" src="data:image/png;base64,{image}">
</main></body></html>""".encode()


def _sparrows(marker: str) -> bytes:
    return f"Sparrows nest under roofs in Paris. {marker}\n".encode()


def _api(server: ServerProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, server.url + path, headers=server.headers, timeout=30, **kwargs)


def _collection_documents(server: ServerProcess, collection_id: str) -> dict[str, dict[str, Any]]:
    response = _api(
        server, "GET", "/v1/documents", params={"collection_id": collection_id, "limit": 100}
    )
    response.raise_for_status()
    return {doc["name"]: doc for doc in response.json()["data"]}


def _upload_row(page: Page, name: str) -> Locator:
    return page.get_by_test_id("upload-row").filter(has_text=name)


def _create_collection_in_ui(page: Page, name: str, description: str) -> str:
    page.goto("/#/knowledge")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Create collection").click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    return page.url.rsplit("/", 1)[-1]


def _drop_file(page: Page, name: str, text: str, mime: str) -> None:
    """Drag-and-drop as the browser does it: a DataTransfer carrying a File, dropped on the zone."""
    page.evaluate(
        """([name, text, mime]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, { type: mime }));
            const zone = document.querySelector('[data-testid="dropzone"]');
            for (const type of ["dragenter", "dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type, {
                    bubbles: true, cancelable: true, dataTransfer: transfer,
                }));
            }
        }""",
        [name, text, mime],
    )


@pytest.fixture
def uploaded(
    signed_in: Page, console_server: ServerProcess, shot: Callable[[Page, str], Path]
) -> dict[str, Any]:
    """A collection made in the page, with files uploaded through the file input and a drop."""
    page = signed_in
    marker = uuid.uuid4().hex[:8]
    name = f"Field notes {marker}"
    collection_id = _create_collection_in_ui(page, name, "Birds seen in town")
    files = [
        FilePayload(name=f"robins-{marker}.html", mimeType="text/html", buffer=_html_page(marker)),
        FilePayload(name=f"sparrows-{marker}.txt", mimeType="text/plain", buffer=_sparrows(marker)),
        FilePayload(
            name=f"broken-{marker}.pdf",
            mimeType="application/pdf",
            buffer=b"%PDF-1.7\nthis is not really a PDF at all\n",
        ),
    ]
    page.get_by_label("Files to upload").set_input_files(files)
    dropped = f"wrens-{marker}.md"
    _drop_file(page, dropped, f"# Wrens\n\nWrens are small and loud. {marker}\n", "text/markdown")
    return {
        "page": page,
        "marker": marker,
        "name": name,
        "collection_id": collection_id,
        "ready": [files[0]["name"], files[1]["name"], dropped],
        "broken": files[2]["name"],
        "html": files[0]["name"],
        "txt": files[1]["name"],
    }


def test_upload_many_files_and_watch_them_become_ready(
    uploaded: dict[str, Any], console_server: ServerProcess, shot: Callable[[Page, str], Path]
) -> None:
    page: Page = uploaded["page"]
    for name in uploaded["ready"]:
        row = _upload_row(page, name)
        expect(row.get_by_text("created")).to_be_visible(timeout=PROCESSING)
        expect(row.get_by_test_id("document-status")).to_have_text("ready", timeout=PROCESSING)
    broken = _upload_row(page, uploaded["broken"])
    expect(broken.get_by_test_id("document-status")).to_have_text("failed", timeout=PROCESSING)

    # The server agrees, and the reason the page shows is the server's own.
    documents = _collection_documents(console_server, uploaded["collection_id"])
    assert sorted(documents) == sorted([*uploaded["ready"], uploaded["broken"]])
    for name in uploaded["ready"]:
        assert documents[name]["status"] == "ready", documents[name]["status_detail"]
    failure = documents[uploaded["broken"]]
    assert failure["status"] == "failed"
    reason = failure["status_detail"]["error"]["message"]
    assert reason
    expect(broken.get_by_test_id("failure-reason")).to_contain_text(reason)

    # The list below shows the same statuses.
    listed = page.get_by_role("list", name="Documents")
    expect(listed.get_by_test_id("document-row")).to_have_count(4)
    html_row = listed.get_by_test_id("document-row").filter(has_text=uploaded["html"])
    expect(html_row.get_by_test_id("document-status")).to_have_text("ready")
    shot(page, "knowledge-upload")

    # The same bytes again: the collection's duplicate policy (skip) answers, in its own words.
    page.get_by_label("Files to upload").set_input_files(
        [
            FilePayload(
                name=uploaded["txt"], mimeType="text/plain", buffer=_sparrows(uploaded["marker"])
            )
        ]
    )
    again = _upload_row(page, uploaded["txt"]).first
    expect(again.get_by_text("skipped")).to_be_visible()
    expect(again).to_contain_text("already")
    assert len(_collection_documents(console_server, uploaded["collection_id"])) == 4

    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "knowledge-phone")

    page.goto("/#/knowledge")
    row = page.get_by_test_id("collection-row").filter(has_text=uploaded["name"])
    expect(row).to_contain_text("4 documents (")
    expect(row).to_contain_text("1 failed")
    page.set_viewport_size({"width": 1280, "height": 860})
    shot(page, "knowledge")


def _wait_ready(server: ServerProcess, document_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = _api(server, "GET", f"/v1/documents/{document_id}/status").json()
        if status["status"] in ("ready", "failed"):
            assert status["status"] == "ready", status
            return dict(_api(server, "GET", f"/v1/documents/{document_id}").json())
        time.sleep(0.3)
    raise AssertionError(f"document {document_id} not ready in {timeout}s")


def test_document_view_shows_text_elements_images_and_metadata(
    signed_in: Page, console_server: ServerProcess, shot: Callable[[Page, str], Path]
) -> None:
    page = signed_in
    marker = uuid.uuid4().hex[:8]
    created = _api(
        console_server, "POST", "/v1/document-collections", json={"name": f"Guides {marker}"}
    )
    collection_id = created.json()["id"]
    original = _html_page(marker)
    upload = _api(
        console_server,
        "POST",
        f"/v1/document-collections/{collection_id}/documents",
        files=[("files", (f"robins-{marker}.html", original, "text/html"))],
    )
    assert upload.status_code == 202, upload.text
    document_id = upload.json()["data"][0]["document"]["id"]
    doc = _wait_ready(console_server, document_id)
    base = f"/v1/documents/{document_id}"
    text = _api(console_server, "GET", f"{base}/text", params={"format": "text"}).json()["text"]
    elements = _api(console_server, "GET", f"{base}/elements").json()
    metadata = _api(console_server, "GET", f"{base}/metadata").json()
    images = _api(console_server, "GET", f"{base}/images").json()
    assert metadata["keywords"]
    assert metadata["entities"]
    assert images

    page.goto(f"/#/knowledge/{collection_id}/{document_id}")
    title = page.get_by_role("heading", level=1)
    expect(title).to_have_text(doc["title"] or doc["name"])
    expect(page.get_by_test_id("document-status")).to_have_text("ready")

    # Clean text, rendered from Markdown and as plain text.
    shown = page.get_by_test_id("document-text")
    expect(shown).to_contain_text("Ada Lovelace watched robins")
    expect(shown.get_by_role("heading", name="Feeding robins")).to_be_visible()
    expect(title).to_have_count(1)  # the document's own headings sit below the page's
    # The Markdown's `image:ID` reference is shown from the token-protected image route.
    inline = shown.get_by_role("img", name=images[0]["caption"])
    expect(inline).to_have_attribute("src", re.compile(r"^blob:"))
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 24", arg=inline.element_handle()
    )
    shot(page, "knowledge-document")
    page.get_by_label("Show as").select_option("text")
    first_line = next(line for line in text.splitlines() if line.strip())
    expect(page.get_by_test_id("document-text")).to_contain_text(first_line.strip())

    page.get_by_role("tab", name="Elements").click()
    items = page.get_by_test_id("element")
    expect(items).to_have_count(elements["total"])
    for index, element in enumerate(elements["data"]):
        expect(items.nth(index)).to_contain_text(element["type"])
        if element["text"]:
            expect(items.nth(index)).to_contain_text(element["text"].split("\n")[0])

    page.get_by_role("tab", name="Images").click()
    image = page.get_by_role("img", name=images[0]["caption"])
    expect(image).to_be_visible()
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 24", arg=image.element_handle()
    )

    page.get_by_role("tab", name="Metadata").click()
    keywords = page.get_by_role("list", name="Keywords")
    for keyword in metadata["keywords"]:
        expect(keywords).to_contain_text(keyword["text"])
    entities = page.get_by_role("list", name="Entities")
    for entity in metadata["entities"]:
        expect(entities).to_contain_text(entity["text"])
    expect(page.get_by_test_id("metadata")).to_contain_text(metadata["language"])
    if metadata["summary"] is None:  # no chat model: the page says so rather than invent one
        expect(page.get_by_test_id("metadata").locator(".kn-none").first).to_have_text("none")
    shot(page, "knowledge-document-metadata")
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    page.get_by_role("tab", name="Elements").click()
    expect(items.first).to_be_visible()
    shot(page, "knowledge-document-phone")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 860})

    # The original comes back byte for byte through the token-protected download.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download original").click()
    assert Path(info.value.path()).read_bytes() == original

    # Reprocess runs the pipeline again; the page follows it back to ready.
    before = doc["status_detail"]
    page.get_by_role("button", name="Reprocess").click()
    expect(page.get_by_test_id("document-status")).to_have_text("ready", timeout=PROCESSING)
    assert _wait_ready(console_server, document_id)["status_detail"] != before

    page.get_by_role("button", name="Delete document").click()
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_role("heading", level=1, name=f"Guides {marker}")).to_be_visible()
    assert _api(console_server, "GET", base).status_code == 404

    page.get_by_role("link", name="← Collections").click()
    row = page.get_by_test_id("collection-row").filter(has_text=f"Guides {marker}")
    row.get_by_role("button", name="Delete").click()
    row.get_by_role("button", name="Yes, delete").click()
    expect(row).to_have_count(0)
    assert (
        _api(console_server, "GET", f"/v1/document-collections/{collection_id}").status_code == 404
    )


SMALL_LIMIT = 4096  # bytes per file on the second server


class SmallLimitServer(ServerProcess):
    """`wxo serve` with a tiny per-file limit, so an oversized upload is cheap to provoke."""

    def env(self) -> dict[str, str]:
        """The usual environment plus the limit."""
        env = super().env()
        env["WXO_DOCUMENTS__MAX_FILE_BYTES"] = str(SMALL_LIMIT)
        return env


@pytest.fixture(scope="module")
def small_limit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A second server, for the 413 test only."""
    data_dir = tmp_path_factory.mktemp("console-413") / "data"
    with running(SmallLimitServer(data_dir=data_dir)) as instance:
        yield instance


@pytest.fixture
def small_page(browser: Browser, small_limit_server: ServerProcess) -> Iterator[Page]:
    """A signed-in tab on the second server."""
    with console_tab(browser, small_limit_server) as tab:
        yield sign_in_with_token(tab, small_limit_server.token)


def test_oversized_and_rejected_files_show_the_servers_message_per_file(
    small_page: Page, small_limit_server: ServerProcess, shot: Callable[[Page, str], Path]
) -> None:
    page = small_page
    marker = uuid.uuid4().hex[:8]
    page.goto("/#/knowledge")
    page.get_by_label("Name").fill(f"Strict {marker}")
    page.get_by_label("When the same file is uploaded again").select_option("reject")
    page.get_by_role("button", name="Create collection").click()
    expect(page.get_by_role("heading", level=1, name=f"Strict {marker}")).to_be_visible()
    collection_id = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_text("duplicates: reject")).to_be_visible()

    small = FilePayload(name=f"small-{marker}.txt", mimeType="text/plain", buffer=_sparrows(marker))
    big = FilePayload(
        name=f"big-{marker}.txt", mimeType="text/plain", buffer=b"too big " * SMALL_LIMIT
    )
    # Keyboard only: the "Choose files" button opens the browser's file chooser.
    # (`Locator.press` focuses the button as it is then: the page may re-render after loading.)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Choose files").press("Enter")
    assert chooser.value.is_multiple()
    chooser.value.set_files([small, big])
    big_row = _upload_row(page, big["name"])
    expect(big_row.get_by_role("alert")).to_contain_text(
        f"larger than the limit of {SMALL_LIMIT} bytes"
    )
    small_row = _upload_row(page, small["name"])
    expect(small_row.get_by_test_id("document-status")).to_have_text("ready", timeout=PROCESSING)

    # Once every document settled, the page stops asking for statuses.
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/status") else None)
    page.wait_for_timeout(2500)
    assert asked == []

    # The same bytes again in a `reject` collection: refused, in the server's words.
    page.get_by_label("Files to upload").set_input_files([small])
    again = _upload_row(page, small["name"]).first
    expect(again.get_by_text("rejected")).to_be_visible()
    expect(again).to_contain_text("already")
    shot(page, "knowledge-upload-errors")
    documents = _collection_documents(small_limit_server, collection_id)
    assert list(documents) == [small["name"]]
    assert documents[small["name"]]["status"] == "ready"


def test_upload_progress_is_shown_per_file(
    signed_in: Page, console_server: ServerProcess, shot: Callable[[Page, str], Path]
) -> None:
    page = signed_in
    marker = uuid.uuid4().hex[:8]
    created = _api(
        console_server, "POST", "/v1/document-collections", json={"name": f"Slow {marker}"}
    )
    collection_id = created.json()["id"]
    page.goto(f"/#/knowledge/{collection_id}")
    expect(page.get_by_role("heading", level=1, name=f"Slow {marker}")).to_be_visible()
    # A slow uplink (Chromium's own network emulation) makes the progress visible.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 256_000},
    )
    payload = FilePayload(
        name=f"noise-{marker}.bin",
        mimeType="application/octet-stream",
        buffer=os.urandom(1_500_000),
    )
    page.get_by_label("Files to upload").set_input_files([payload])
    bar = page.get_by_role("progressbar", name=f"Upload of {payload['name']}")
    expect(bar).to_be_visible()
    page.wait_for_function(
        "bar => bar.value > 0 && bar.value < 100", arg=bar.element_handle(), polling=50
    )
    shot(page, "knowledge-upload-progress")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    row = _upload_row(page, payload["name"])
    expect(row.get_by_test_id("document-status")).to_have_text("failed", timeout=PROCESSING)
    (doc,) = _collection_documents(console_server, collection_id).values()
    expect(row.get_by_test_id("failure-reason")).to_contain_text(
        doc["status_detail"]["error"]["message"]
    )


def test_polling_shows_the_stage_and_stops_when_the_page_unmounts(
    signed_in: Page, console_server: ServerProcess
) -> None:
    """The status route is held at `extracting` (a routed answer) to watch the poller itself."""
    page = signed_in
    marker = uuid.uuid4().hex[:8]
    collection_id = _api(
        console_server, "POST", "/v1/document-collections", json={"name": f"Poll {marker}"}
    ).json()["id"]
    upload = _api(
        console_server,
        "POST",
        f"/v1/document-collections/{collection_id}/documents",
        files=[("files", (f"poll-{marker}.txt", _sparrows(marker), "text/plain"))],
    )
    document_id = upload.json()["data"][0]["document"]["id"]
    _wait_ready(console_server, document_id)

    asked: list[str] = []

    def held(route: Route) -> None:
        asked.append(route.request.url)
        route.fulfill(
            json={
                "id": document_id,
                "status": "extracting",
                "status_detail": {"stage": "extract", "progress": 0.5, "error": None},
                "page_count": None,
                "chunk_count": 0,
                "updated_at": "2099-01-01T00:00:00Z",
            }
        )

    page.route(f"**/v1/documents/{document_id}/status", held)
    page.goto(f"/#/knowledge/{collection_id}/{document_id}")
    expect(page.get_by_test_id("document-status")).to_have_text("ready")
    page.get_by_role("button", name="Reprocess").click()
    expect(page.get_by_test_id("document-status")).to_have_text("extracting")
    expect(page.get_by_text("50%")).to_be_visible()
    expect(page.get_by_role("tab", name="Text")).to_have_count(0)
    page.wait_for_timeout(2500)
    assert len(asked) >= 2  # about one a second

    page.get_by_role("link", name="Knowledge").click()
    expect(page.get_by_role("heading", level=1, name="Knowledge")).to_be_visible()
    page.wait_for_timeout(300)
    before = len(asked)
    page.wait_for_timeout(2500)
    assert len(asked) == before
    page.unroute(f"**/v1/documents/{document_id}/status")
    _wait_ready(console_server, document_id)
