"""A custom assistant's files: documents of a Document Store collection made for it."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.assistants.conftest import create_custom
from tests.api.documents.conftest import RecordingQueue
from tests.conftest import TenantUser
from wxo.container import Container
from wxo.documents.dependencies import get_document_io
from wxo.documents.service import DocumentIO, document_io

BASE = "/v1/assistants/custom"


async def upload(
    client: httpx.AsyncClient, tenant: TenantUser, assistant_id: str, *names: str
) -> httpx.Response:
    """POST the files (multipart field `file`)."""
    files = [("file", (n, f"Contents of {n}.".encode(), "text/plain")) for n in names]
    return await client.post(f"{BASE}/{assistant_id}/files", files=files, headers=tenant.headers)


async def test_upload_makes_the_collection_once_and_queues_extraction(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession, queue: RecordingQueue
) -> None:
    assistant = await create_custom(client, tenant_a, name="filer")
    empty = await client.get(f"{BASE}/{assistant['id']}/files", headers=tenant_a.headers)
    assert (empty.status_code, empty.json()) == (200, [])

    response = await upload(client, tenant_a, assistant["id"], "a.txt", "b.txt")
    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert [(d["filename"], d["outcome"]) for d in data] == [
        ("a.txt", "created"),
        ("b.txt", "created"),
    ]
    collection_id = data[0]["document"]["collection_id"]
    assert queue.document_ids() == [d["document"]["id"] for d in data]

    got = await client.get(f"{BASE}/{assistant['id']}", headers=tenant_a.headers)
    assert got.json()["collection_id"] == collection_id
    row = (
        await session.execute(
            text("SELECT name, tenant_id FROM document_collection WHERE id = :i"),
            {"i": uuid.UUID(collection_id)},
        )
    ).one()
    assert tuple(row) == (f"assistant-{assistant['id']}", tenant_a.tenant_id)

    more = await upload(client, tenant_a, assistant["id"], "c.txt")
    assert more.json()["data"][0]["document"]["collection_id"] == collection_id
    listed = await client.get(f"{BASE}/{assistant['id']}/files", headers=tenant_a.headers)
    assert sorted(d["name"] for d in listed.json()) == ["a.txt", "b.txt", "c.txt"]
    collections = await session.scalar(
        text("SELECT count(*) FROM document_collection WHERE tenant_id = :t"),
        {"t": tenant_a.tenant_id},
    )
    assert collections == 1


async def test_delete_file_removes_only_that_document_and_refuses_foreign_ones(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    session: AsyncSession,
    queue: RecordingQueue,
) -> None:
    one = await create_custom(client, tenant_a, name="one")
    two = await create_custom(client, tenant_a, name="two")
    doc_one = (await upload(client, tenant_a, one["id"], "x.txt")).json()["data"][0]["document"]
    doc_two = (await upload(client, tenant_a, two["id"], "y.txt")).json()["data"][0]["document"]

    foreign = await client.delete(
        f"{BASE}/{one['id']}/files/{doc_two['id']}", headers=tenant_a.headers
    )
    assert foreign.status_code == 404
    other_tenant = await client.delete(
        f"{BASE}/{one['id']}/files/{doc_one['id']}", headers=tenant_b.headers
    )
    assert other_tenant.status_code == 404
    missing = await client.delete(
        f"{BASE}/{one['id']}/files/{uuid.uuid4()}", headers=tenant_a.headers
    )
    assert missing.status_code == 404

    response = await client.delete(
        f"{BASE}/{one['id']}/files/{doc_one['id']}", headers=tenant_a.headers
    )
    assert response.status_code == 204
    remaining = await session.scalar(
        text("SELECT count(*) FROM document WHERE id = ANY(:ids)"),
        {"ids": [uuid.UUID(doc_one["id"]), uuid.UUID(doc_two["id"])]},
    )
    assert remaining == 1
    listed = await client.get(f"{BASE}/{one['id']}/files", headers=tenant_a.headers)
    assert listed.json() == []


async def test_deleting_the_assistant_deletes_its_collection_and_files(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession, queue: RecordingQueue
) -> None:
    assistant = await create_custom(client, tenant_a, name="gone")
    doc = (await upload(client, tenant_a, assistant["id"], "z.txt")).json()["data"][0]["document"]
    response = await client.delete(f"{BASE}/{assistant['id']}", headers=tenant_a.headers)
    assert response.status_code == 204
    left = await session.scalar(
        text("SELECT count(*) FROM document_collection WHERE id = :c"),
        {"c": uuid.UUID(doc["collection_id"])},
    )
    docs = await session.scalar(
        text("SELECT count(*) FROM document WHERE id = :d"), {"d": uuid.UUID(doc["id"])}
    )
    assert (left, docs) == (0, 0)


async def test_upload_without_a_file_is_422_and_a_too_large_file_413_storing_nothing(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    session: AsyncSession,
    queue: RecordingQueue,
    app: FastAPI,
    container: Container,
) -> None:
    assistant = await create_custom(client, tenant_a, name="limits")
    none = await client.post(
        f"{BASE}/{assistant['id']}/files", data={"x": "1"}, headers=tenant_a.headers
    )
    assert none.status_code == 422
    small = container.settings.documents.model_copy(update={"max_file_bytes": 10})

    async def tiny_io() -> DocumentIO:
        return document_io(small, container.blobs, queue)

    app.dependency_overrides[get_document_io] = tiny_io
    response = await upload(client, tenant_a, assistant["id"], "big.txt")
    assert response.status_code == 413
    assert "big.txt" in response.json()["detail"]
    documents = await session.scalar(
        text("SELECT count(*) FROM document WHERE tenant_id = :t"), {"t": tenant_a.tenant_id}
    )
    assert documents == 0
    assert queue.sent == []
