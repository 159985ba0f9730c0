"""Bad input through the real API and a real Celery worker running the real extraction service.

Each bad file of a batch ends `failed` with `status_detail.error {stage, code, message}`, or is
extracted as what it really is; the good file of the same batch is unaffected. Oversized uploads
are refused with 413 before anything is stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TenantUser
from tests.integration.documents import files
from tests.integration.documents.workers import WorkerProcess, wait_for_status
from wxo.container import Container
from wxo.core.config import Settings
from wxo.extraction import sniff
from wxo.main import create_app

GOOD_TEXT = "Good document.\n\nThe pipeline extracted this text despite its neighbours."
CP1252_TEXT = (
    "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e \u2014 na\u00efve fa\u00e7ade, "
    "\u201cquoted\u201d for 20\u20ac."
)
SCRIPT_MARKER = "SCRIPT-MARKER-7f3a"
HTML_WITH_SCRIPTS = f"""<!DOCTYPE html>
<html><head><title>Scripted page</title>
<script>var token = "{SCRIPT_MARKER}-head";</script>
<style>body {{ color: red }}</style></head>
<body><h1>Visible heading</h1>
<p>Visible paragraph of the page.</p>
<script type="text/javascript">document.write("{SCRIPT_MARKER}-body");</script>
<noscript>{SCRIPT_MARKER}-noscript</noscript>
<p onclick="alert('{SCRIPT_MARKER}-attr')">Second visible paragraph.</p>
</body></html>""".encode()
HTML_NAMED_PDF = (
    b"<!DOCTYPE html><html><head><title>Lies</title></head>"
    b"<body><h1>Not a PDF</h1><p>This page is really HTML.</p></body></html>"
)


@pytest.fixture
def real_worker(settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    """`wxo worker` with the default extractor (`wxo.extraction.service:extract_lean`)."""
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        yield worker
    finally:
        worker.stop()


async def _collection(client: httpx.AsyncClient, tenant: TenantUser) -> str:
    response = await client.post(
        "/v1/document-collections",
        json={"name": f"bad-input-{uuid.uuid4().hex[:8]}"},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    collection_id: str = response.json()["id"]
    return collection_id


async def _get(client: httpx.AsyncClient, tenant: TenantUser, path: str) -> Any:
    response = await client.get(path, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_bad_files_fail_clearly_and_the_rest_of_the_batch_is_extracted(
    real_worker: WorkerProcess, live_client: httpx.AsyncClient, live_tenant: TenantUser
) -> None:
    report = ["Quarterly report", "Revenue grew by ten percent."]
    batch: dict[str, tuple[bytes, str]] = {
        "good.txt": (GOOD_TEXT.encode(), "text/plain"),
        "truncated.pdf": (files.pdf(report)[:300], "application/pdf"),
        "encrypted.pdf": (files.encrypted_pdf(report), "application/pdf"),
        "empty.txt": (b"", "text/plain"),
        "bomb.docx": (files.zip_bomb_docx(), sniff.DOCX),
        "page.pdf": (HTML_NAMED_PDF, "application/pdf"),
        "notes.txt": (files.docx_file(3, label="Docx paragraph"), "text/plain"),
        "menu.txt": (CP1252_TEXT.encode("cp1252"), "text/plain"),
        "scripts.html": (HTML_WITH_SCRIPTS, "text/html"),
    }
    collection_id = await _collection(live_client, live_tenant)

    uploaded = await live_client.post(
        f"/v1/document-collections/{collection_id}/documents",
        files=[("files", (name, data, kind)) for name, (data, kind) in batch.items()],
        headers=live_tenant.headers,
    )
    assert uploaded.status_code == 202, uploaded.text
    ids = {one["filename"]: one["document"]["id"] for one in uploaded.json()["data"]}
    assert [one["outcome"] for one in uploaded.json()["data"]] == ["created"] * len(batch)
    final = await wait_for_status(
        live_client, live_tenant.headers, ids.values(), within=60, workers=[real_worker]
    )
    by_name = {name: final[document_id] for name, document_id in ids.items()}

    failed = {
        name: body["status_detail"]["error"]
        for name, body in by_name.items()
        if body["status"] == "failed"
    }
    assert failed == {
        "truncated.pdf": {
            "stage": "extract",
            "code": "corrupted",
            "message": "PDF cannot be read: the file is damaged.",
        },
        "encrypted.pdf": {
            "stage": "extract",
            "code": "encrypted",
            "message": "PDF is encrypted (it needs a password).",
        },
        "empty.txt": {"stage": "extract", "code": "empty", "message": "The file is empty."},
        "bomb.docx": {
            "stage": "extract",
            "code": "zip_bomb",
            "message": failed["bomb.docx"]["message"],
        },
    }
    assert "refused as a ZIP bomb" in failed["bomb.docx"]["message"]
    for name in failed:
        assert by_name[name]["status_detail"]["stage"] == "failed"
        elements = await live_client.get(
            f"/v1/documents/{ids[name]}/elements", headers=live_tenant.headers
        )
        assert elements.status_code == 409  # a failed document has no results to serve

    for name in ("good.txt", "page.pdf", "notes.txt", "menu.txt", "scripts.html"):
        assert by_name[name]["status"] == "ready", (name, by_name[name]["status_detail"])
        assert by_name[name]["status_detail"]["error"] is None

    good = await _get(live_client, live_tenant, f"/v1/documents/{ids['good.txt']}/text?format=text")
    assert good["text"] == GOOD_TEXT

    # The extension lies: extracted as what the bytes are, and the document says so.
    for name, real_type, expected_text in (
        ("page.pdf", sniff.HTML, "This page is really HTML."),
        ("notes.txt", sniff.DOCX, "Docx paragraph 2:"),
    ):
        document = await _get(live_client, live_tenant, f"/v1/documents/{ids[name]}")
        assert document["content_type"] == real_type
        extract_stage = by_name[name]["status_detail"]["stages"][0]
        assert any(
            f"The file name says {batch[name][1]} but the content is {real_type}" in warning
            for warning in extract_stage["warnings"]
        ), extract_stage
        text = await _get(live_client, live_tenant, f"/v1/documents/{ids[name]}/text?format=text")
        assert expected_text in text["text"]

    # Windows-1252 bytes are decoded as such, not as mojibake or replacement characters.
    menu = await _get(live_client, live_tenant, f"/v1/documents/{ids['menu.txt']}/text?format=text")
    assert menu["text"] == CP1252_TEXT
    menu_stage = by_name["menu.txt"]["status_detail"]["stages"][0]
    assert "Text is not UTF-8; decoded as cp1252." in menu_stage["warnings"]

    # Script, style and noscript contents and event handlers never reach the text or elements.
    url = f"/v1/documents/{ids['scripts.html']}"
    markdown = await _get(live_client, live_tenant, f"{url}/text?format=markdown")
    plain = await _get(live_client, live_tenant, f"{url}/text?format=text")
    elements = await _get(live_client, live_tenant, f"{url}/elements")
    served = [markdown["text"], plain["text"], *(str(e) for e in elements["data"])]
    assert not [part for part in served if SCRIPT_MARKER in part or "color: red" in part]
    assert [e["text"] for e in elements["data"]] == [
        "Visible heading",
        "Visible paragraph of the page.",
        "Second visible paragraph.",
    ]


async def test_oversized_uploads_are_refused_with_413_and_nothing_is_stored(
    container: Container, live_tenant: TenantUser
) -> None:
    limits = container.settings.model_copy(deep=True)
    limits.documents.max_file_bytes = 64 * 1024
    limits.documents.max_batch_bytes = 256 * 1024
    app = create_app(limits, dataclasses.replace(container, settings=limits))
    big = b"x" * (64 * 1024 + 1)
    small = b"A small file that would fit on its own: " + uuid.uuid4().bytes
    huge = b"y" * (2 * 1024 * 1024)  # over the batch limit and its multipart slack
    headers = live_tenant.headers
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        collection_id = await _collection(client, live_tenant)
        batch_url = f"/v1/document-collections/{collection_id}/documents"

        alone = await client.post(batch_url, files=[("files", ("big.txt", big))], headers=headers)
        mixed = await client.post(
            batch_url,
            files=[("files", ("small.txt", small)), ("files", ("big.txt", big))],
            headers=headers,
        )
        over_batch = await client.post(
            batch_url, files=[("files", ("huge.txt", huge))], headers=headers
        )
        empty = await client.post(
            "/v1/documents",
            json={"name": "later.txt", "collection_id": collection_id},
            headers=headers,
        )
        upload = await client.post(
            f"/v1/documents/{empty.json()['id']}/upload",
            files={"file": ("big.txt", big)},
            headers=headers,
        )
        as_text = await client.post(
            "/v1/documents",
            json={"name": "t.txt", "collection_id": collection_id, "text": big.decode()},
            headers=headers,
        )
        listed = await client.get(f"/v1/documents?collection_id={collection_id}", headers=headers)
        later = await client.get(f"/v1/documents/{empty.json()['id']}", headers=headers)

    assert [r.status_code for r in (alone, mixed, over_batch, upload, as_text)] == [413] * 5
    assert "limit" in alone.json()["detail"]
    assert "big.txt" in mixed.json()["detail"]
    # All or nothing: the small file of the refused batch is not stored either.
    assert [d["name"] for d in listed.json()["data"]] == ["later.txt"]
    assert later.json()["size_bytes"] is None
    assert later.json()["status_detail"]["stage"] == "upload"  # still waiting for its bytes
    for data in (big, small, huge):
        assert not container.blobs.exists(hashlib.sha256(data).hexdigest())
