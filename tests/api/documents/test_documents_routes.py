"""Contract tests for `/documents` and uploads.

Create (text, URL, empty), uploads, list, get, patch, delete, download, status, reprocess,
duplicate policies, limits and tenant isolation.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.documents.conftest import RecordingQueue, make_collection, make_text_document
from tests.conftest import TenantUser
from wxo.container import Container
from wxo.documents.jobs import EXTRACT_TASK, FETCH_TASK
from wxo.documents.models import Document

DOCUMENT_KEYS = {
    "id", "tenant_id", "collection_id", "name", "title", "description", "tags", "meta",
    "source_uri", "source_date", "source_name", "source_title", "content_type", "size_bytes",
    "content_hash", "version", "status", "status_detail", "page_count", "chunk_count",
    "created_by", "created_by_username", "created_at", "updated_at",
}  # fmt: skip


async def _count_documents(session: AsyncSession, tenant: TenantUser) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Document).where(Document.tenant_id == tenant.tenant_id)
    )
    return int(count or 0)


@pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
async def test_create_text_document_is_202_queued_stored_and_enqueued(
    client: httpx.AsyncClient,
    session: AsyncSession,
    container: Container,
    tenant_a: TenantUser,
    queue: RecordingQueue,
    prefix: str,
) -> None:
    collection = await make_collection(client, tenant_a)
    response = await client.post(
        f"{prefix}/documents",
        json={
            "name": "note.md",
            "collection_id": collection["id"],
            "text": "# Title\n\nBody",
            "content_type": "text/markdown",
            "tags": ["t"],
            "meta": {"team": "x"},
            "source_date": "2026-01-02T03:04:05",
        },
        headers=tenant_a.headers,
    )

    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == DOCUMENT_KEYS
    digest = hashlib.sha256(b"# Title\n\nBody").hexdigest()
    assert body["content_hash"] == digest
    assert (body["status"], body["version"], body["size_bytes"]) == ("queued", 1, 13)
    assert body["status_detail"]["stage"] == "queued"
    assert body["source_date"].startswith("2026-01-02T03:04:05")
    assert queue.sent == [(EXTRACT_TASK, {"document_id": body["id"]})]
    assert container.blobs.get(digest) == b"# Title\n\nBody"
    row = await session.get(Document, uuid.UUID(body["id"]))
    assert row is not None
    assert row.blob_key == digest
    assert row.meta == {"team": "x"}


async def test_create_document_with_url_is_queued_for_fetch(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a)
    response = await client.post(
        "/v1/documents",
        json={"name": "page", "collection_id": collection["id"], "source_uri": "https://x.test/a"},
        headers=tenant_a.headers,
    )

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert body["content_hash"] is None
    assert queue.sent == [(FETCH_TASK, {"document_id": body["id"]})]


async def test_create_document_without_content_waits_for_upload(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a)
    response = await client.post(
        "/v1/documents",
        json={"name": "later.pdf", "collection_id": collection["id"]},
        headers=tenant_a.headers,
    )

    assert response.status_code == 202
    assert response.json()["status_detail"]["stage"] == "upload"
    assert queue.sent == []
    download = await client.get(
        f"/v1/documents/{response.json()['id']}/download", headers=tenant_a.headers
    )
    assert download.status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "x", "source_uri": "file:///etc/passwd"}, 400),
        ({"name": "x", "source_uri": "ftp://host/file"}, 400),
        ({"name": "", "text": "a"}, 422),
        ({"text": "a"}, 422),
        ({"name": "x", "text": "a\u0000b"}, 422),
        ({"name": "x", "text": "a", "collection_id": "not-a-uuid"}, 422),
    ],
)
async def test_create_document_bad_input_is_4xx_and_stores_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantUser,
    queue: RecordingQueue,
    body: dict[str, Any],
    status: int,
) -> None:
    collection = await make_collection(client, tenant_a)
    response = await client.post(
        "/v1/documents",
        json={"collection_id": collection["id"], **body},
        headers=tenant_a.headers,
    )

    assert response.status_code == status, response.text
    assert await _count_documents(session, tenant_a) == 0
    assert queue.sent == []


async def test_create_document_in_other_tenants_collection_is_404(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
) -> None:
    collection = await make_collection(client, tenant_a)

    response = await make_text_document(client, tenant_b, collection["id"])

    assert response.status_code == 404
    assert await _count_documents(session, tenant_b) == 0


async def test_text_over_the_file_limit_is_413(
    client: httpx.AsyncClient,
    session: AsyncSession,
    container: Container,
    tenant_a: TenantUser,
    queue: RecordingQueue,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(container.settings.documents, "max_file_bytes", 10)
    collection = await make_collection(client, tenant_a)

    response = await make_text_document(client, tenant_a, collection["id"], text="x" * 11)

    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert await _count_documents(session, tenant_a) == 0


@pytest.mark.parametrize(
    ("policy", "status", "outcome_count", "version"),
    [("skip", 202, 1, 1), ("replace", 202, 1, 1), ("version", 202, 2, 2), ("reject", 409, 1, 1)],
)
async def test_duplicate_text_follows_the_collection_policy(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantUser,
    queue: RecordingQueue,
    policy: str,
    status: int,
    outcome_count: int,
    version: int,
) -> None:
    collection = await make_collection(client, tenant_a, settings={"duplicate_policy": policy})
    first = (await make_text_document(client, tenant_a, collection["id"], name="a")).json()

    second = await make_text_document(client, tenant_a, collection["id"], name="b", title="New")

    assert second.status_code == status, second.text
    assert await _count_documents(session, tenant_a) == outcome_count
    if status == 202:
        body = second.json()
        assert body["version"] == version
        assert (body["id"] == first["id"]) == (policy != "version")
        if policy == "replace":
            assert (body["name"], body["title"]) == ("b", "New")
        if policy == "skip":
            assert body["name"] == "a"
    assert len(queue.sent) == (2 if policy == "version" else 1)


async def test_batch_upload_reports_one_entry_per_file_with_policy_outcome(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a, settings={"duplicate_policy": "reject"})
    response = await client.post(
        f"/v1/document-collections/{collection['id']}/documents",
        files=[
            ("files", ("a.txt", b"alpha", "text/plain")),
            ("files", ("b.md", b"# beta", "text/markdown")),
            ("files", ("a-again.txt", b"alpha", "text/plain")),
        ],
        data={"meta": json.dumps({"batch": 1})},
        headers=tenant_a.headers,
    )

    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert [(d["filename"], d["outcome"]) for d in data] == [
        ("a.txt", "created"),
        ("b.md", "created"),
        ("a-again.txt", "rejected"),
    ]
    assert data[2]["document"]["id"] == data[0]["document"]["id"]
    assert data[1]["document"]["meta"] == {"batch": 1}
    assert data[1]["document"]["content_type"] == "text/markdown"
    assert await _count_documents(session, tenant_a) == 2
    # One extract job for the two new documents (not the rejected one).
    created = [data[0]["document"]["id"], data[1]["document"]["id"]]
    assert queue.sent == [("wxo.documents.extract", {"document_ids": created})]


@pytest.mark.parametrize(
    ("policy", "outcomes", "versions", "stored"),
    [
        ("version", ["versioned", "versioned", "created"], [2, 3, 1], 4),
        ("replace", ["replaced", "replaced", "created"], [1, 1, 1], 2),
        ("skip", ["skipped", "skipped", "created"], [1, 1, 1], 2),
    ],
)
async def test_batch_upload_meets_duplicates_in_the_collection_and_in_the_same_batch(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantUser,
    policy: str,
    outcomes: list[str],
    versions: list[int],
    stored: int,
) -> None:
    collection = await make_collection(client, tenant_a, settings={"duplicate_policy": policy})
    url = f"/v1/document-collections/{collection['id']}/documents"
    first = await client.post(
        url, files=[("files", ("a.txt", b"alpha", "text/plain"))], headers=tenant_a.headers
    )
    assert first.status_code == 202, first.text
    original = first.json()["data"][0]["document"]

    response = await client.post(
        url,
        files=[
            ("files", ("a-2.txt", b"alpha", "text/plain")),
            ("files", ("a-3.txt", b"alpha", "text/plain")),
            ("files", ("b.txt", b"beta", "text/plain")),
        ],
        headers=tenant_a.headers,
    )

    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert [d["outcome"] for d in data] == outcomes
    assert [d["document"]["version"] for d in data] == versions
    assert await _count_documents(session, tenant_a) == stored
    if policy == "version":  # each version a document of its own
        assert len({original["id"], *(d["document"]["id"] for d in data)}) == 4
    else:  # both met the stored document; `replace` left the last file's name on it
        assert data[0]["document"]["id"] == data[1]["document"]["id"] == original["id"]
        rows = await session.execute(
            select(Document.name).where(Document.id == uuid.UUID(original["id"]))
        )
        assert rows.scalar_one() == ("a-3.txt" if policy == "replace" else "a.txt")


async def test_batch_upload_with_one_file_too_large_is_413_and_stores_none(
    client: httpx.AsyncClient,
    session: AsyncSession,
    container: Container,
    tenant_a: TenantUser,
    queue: RecordingQueue,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(container.settings.documents, "max_file_bytes", 5)
    collection = await make_collection(client, tenant_a)

    response = await client.post(
        f"/v1/document-collections/{collection['id']}/documents",
        files=[("files", ("ok.txt", b"tiny", "text/plain")), ("files", ("big", b"x" * 6))],
        headers=tenant_a.headers,
    )

    assert response.status_code == 413
    assert await _count_documents(session, tenant_a) == 0
    assert queue.sent == []


@pytest.mark.parametrize(
    ("data", "files"),
    [({"meta": "{not json"}, [("files", ("a", b"x"))]), ({"meta": "{}"}, [])],
)
async def test_batch_upload_bad_form_is_422(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    queue: RecordingQueue,
    data: dict[str, str],
    files: list[Any],
) -> None:
    collection = await make_collection(client, tenant_a)
    response = await client.post(
        f"/v1/document-collections/{collection['id']}/documents",
        data=data,
        files=files or None,
        headers=tenant_a.headers,
    )
    assert response.status_code == 422


async def test_batch_upload_to_other_tenants_collection_is_404(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a)
    response = await client.post(
        f"/v1/document-collections/{collection['id']}/documents",
        files=[("files", ("a", b"x"))],
        headers=tenant_b.headers,
    )
    assert response.status_code == 404


async def test_upload_replaces_bytes_bumps_version_and_requeues(
    client: httpx.AsyncClient, container: Container, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a)
    doc = (await make_text_document(client, tenant_a, collection["id"], text="v1")).json()
    url = f"/v1/documents/{doc['id']}"

    same = await client.post(
        f"{url}/upload", files={"file": ("x.txt", b"v1", "text/plain")}, headers=tenant_a.headers
    )
    new = await client.post(
        f"{url}/upload",
        files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")},
        headers=tenant_a.headers,
    )

    assert same.status_code == 202
    assert same.json()["version"] == 1
    assert new.status_code == 202
    body = new.json()
    assert (body["version"], body["content_type"], body["size_bytes"]) == (2, "text/csv", 8)
    assert body["status"] == "queued"
    assert [t for t, _ in queue.sent] == [EXTRACT_TASK, EXTRACT_TASK]
    download = await client.get(f"{url}/download", headers=tenant_a.headers)
    assert download.content == b"a,b\n1,2\n"
    assert not container.blobs.exists(hashlib.sha256(b"v1").hexdigest())


async def test_upload_over_the_limit_is_413_and_changes_nothing(
    client: httpx.AsyncClient,
    container: Container,
    tenant_a: TenantUser,
    queue: RecordingQueue,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collection = await make_collection(client, tenant_a)
    doc = (await make_text_document(client, tenant_a, collection["id"], text="v1")).json()
    monkeypatch.setattr(container.settings.documents, "max_file_bytes", 4)

    response = await client.post(
        f"/v1/documents/{doc['id']}/upload",
        files={"file": ("big", b"12345")},
        headers=tenant_a.headers,
    )

    assert response.status_code == 413
    after = (await client.get(f"/v1/documents/{doc['id']}", headers=tenant_a.headers)).json()
    assert after["content_hash"] == doc["content_hash"]


async def test_upload_route_accepts_bodies_over_the_json_limit(
    client: httpx.AsyncClient, container: Container, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a)
    doc = (await make_text_document(client, tenant_a, collection["id"], text="v1")).json()
    big = b"y" * (container.settings.server.max_body_bytes + 10)

    upload = await client.post(
        f"/v1/documents/{doc['id']}/upload", files={"file": ("big", big)}, headers=tenant_a.headers
    )
    json_body = await client.post(
        "/v1/documents",
        json={"name": "n", "collection_id": collection["id"], "text": big.decode()},
        headers=tenant_a.headers,
    )

    assert upload.status_code == 202
    assert json_body.status_code == 413


async def test_list_documents_filters_and_pages(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser, queue: RecordingQueue
) -> None:
    one = await make_collection(client, tenant_a, "one")
    two = await make_collection(client, tenant_a, "two")
    await make_text_document(client, tenant_a, one["id"], text="1", name="a", tags=["x", "y"])
    await make_text_document(client, tenant_a, one["id"], text="2", name="b", tags=["x"])
    await make_text_document(client, tenant_a, two["id"], text="3", name="a")
    other = await make_collection(client, tenant_b, "one")
    await make_text_document(client, tenant_b, other["id"], text="4", name="a")

    async def names(**params: Any) -> tuple[int, list[str]]:
        body = (await client.get("/v1/documents", params=params, headers=tenant_a.headers)).json()
        assert set(body) == {"total", "limit", "offset", "data"}
        return body["total"], sorted(d["name"] for d in body["data"])

    assert await names() == (3, ["a", "a", "b"])
    assert await names(collection_id=one["id"]) == (2, ["a", "b"])
    assert await names(tags=["x", "y"]) == (1, ["a"])
    assert await names(name="a") == (2, ["a", "a"])
    total, one_page = await names(status="queued", limit=1)
    assert total == 3
    assert len(one_page) == 1
    assert await names(status="ready") == (0, [])
    bad = await client.get("/v1/documents", params={"status": "nope"}, headers=tenant_a.headers)
    assert bad.status_code == 422


async def test_patch_document_changes_only_sent_fields(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a)
    doc = (
        await make_text_document(client, tenant_a, collection["id"], title="T", tags=["k"])
    ).json()

    response = await client.patch(
        f"/v1/documents/{doc['id']}",
        json={"description": "D", "meta": {"a": 1}, "title": None},
        headers=tenant_a.headers,
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["description"], body["tags"], body["meta"]) == (
        None, "D", ["k"], {"a": 1},
    )  # fmt: skip
    assert body["content_hash"] == doc["content_hash"]


async def test_delete_document_removes_row_and_unused_blob(
    client: httpx.AsyncClient,
    session: AsyncSession,
    container: Container,
    tenant_a: TenantUser,
    queue: RecordingQueue,
) -> None:
    collection = await make_collection(client, tenant_a)
    other = await make_collection(client, tenant_a, "other")
    doc = (await make_text_document(client, tenant_a, collection["id"], text="shared")).json()
    await make_text_document(client, tenant_a, other["id"], text="shared")
    lonely = (await make_text_document(client, tenant_a, collection["id"], text="lonely")).json()

    first = await client.delete(f"/v1/documents/{doc['id']}", headers=tenant_a.headers)
    second = await client.delete(f"/v1/documents/{lonely['id']}", headers=tenant_a.headers)

    assert first.status_code == 200
    assert first.json() == {"id": doc["id"], "deleted": True}
    assert second.status_code == 200
    assert container.blobs.exists(doc["content_hash"])  # still used in the other collection
    assert not container.blobs.exists(lonely["content_hash"])
    assert (
        await client.get(f"/v1/documents/{doc['id']}", headers=tenant_a.headers)
    ).status_code == 404


async def test_download_returns_bytes_type_and_file_name(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a)
    doc = (
        await make_text_document(
            client, tenant_a, collection["id"], text="hé", name='ré"port.md',
            content_type="text/markdown",
        )
    ).json()  # fmt: skip

    response = await client.get(f"/v1/documents/{doc['id']}/download", headers=tenant_a.headers)

    assert response.status_code == 200
    assert response.content == "hé".encode()
    assert response.headers["content-type"].startswith("text/markdown")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="r__port.md"')
    assert "filename*=UTF-8''r%C3%A9%22port.md" in disposition


async def test_status_and_reprocess(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a)
    doc = (await make_text_document(client, tenant_a, collection["id"])).json()

    status = await client.get(f"/v1/documents/{doc['id']}/status", headers=tenant_a.headers)
    again = await client.post(f"/v1/documents/{doc['id']}/reprocess", headers=tenant_a.headers)

    assert status.status_code == 200
    assert set(status.json()) == {
        "id", "status", "status_detail", "page_count", "chunk_count", "updated_at",
    }  # fmt: skip
    assert again.status_code == 202
    assert again.json()["status"] == "queued"
    assert [t for t, _ in queue.sent] == [EXTRACT_TASK, EXTRACT_TASK]


async def test_reprocess_without_content_is_404(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a)
    doc = await client.post(
        "/v1/documents",
        json={"name": "empty", "collection_id": collection["id"]},
        headers=tenant_a.headers,
    )
    response = await client.post(
        f"/v1/documents/{doc.json()['id']}/reprocess", headers=tenant_a.headers
    )
    assert response.status_code == 404
    assert "upload" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("GET", "/download"),
        ("GET", "/status"),
        ("POST", "/reprocess"),
        ("POST", "/upload"),
        ("GET", "/elements"),
        ("GET", "/text"),
        ("GET", "/images"),
        ("GET", "/images/img-1"),
        ("GET", "/metadata"),
    ],
)
async def test_other_tenants_document_is_404_on_every_route(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
    method: str,
    suffix: str,
) -> None:
    collection = await make_collection(client, tenant_a)
    doc = (await make_text_document(client, tenant_a, collection["id"])).json()
    kwargs: dict[str, Any] = {}
    if method == "PATCH":
        kwargs["json"] = {"title": "stolen"}
    if suffix == "/upload":
        kwargs["files"] = {"file": ("x", b"other bytes")}

    response = await client.request(
        method, f"/v1/documents/{doc['id']}{suffix}", headers=tenant_b.headers, **kwargs
    )

    assert response.status_code == 404
    row = await session.get(Document, uuid.UUID(doc["id"]))
    assert row is not None
    assert row.title is None
    assert row.content_hash == doc["content_hash"]


async def test_unknown_document_is_404(client: httpx.AsyncClient, tenant_a: TenantUser) -> None:
    response = await client.get(f"/v1/documents/{uuid.uuid4()}", headers=tenant_a.headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "Document not found"}
