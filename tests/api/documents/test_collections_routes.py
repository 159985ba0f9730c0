"""Contract tests for `/document-collections`: create, list, get, patch, delete, stats."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.documents.conftest import RecordingQueue, make_collection, make_text_document
from tests.conftest import TenantUser
from wxo.documents.models import Document, DocumentCollection


@pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
async def test_create_collection_returns_201_with_defaults_and_stats(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser, prefix: str
) -> None:
    response = await client.post(
        f"{prefix}/document-collections",
        json={"name": "handbook", "title": "Handbook", "tags": ["hr"]},
        headers=tenant_a.headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "handbook"
    assert body["title"] == "Handbook"
    assert body["tags"] == ["hr"]
    assert body["tenant_id"] == str(tenant_a.tenant_id)
    assert body["settings"] == {
        "duplicate_policy": "skip",
        "extraction": {"max_pages": None},
        "default_index": True,
        "language": "auto",
    }
    assert body["stats"] == {"documents": 0, "by_status": {}, "bytes": 0, "chunks": 0}
    row = await session.get(DocumentCollection, uuid.UUID(body["id"]))
    assert row is not None
    assert row.tenant_id == tenant_a.tenant_id
    indices = await client.get(
        f"{prefix}/vector-indices", params={"collection_id": body["id"]}, headers=tenant_a.headers
    )
    assert indices.status_code == 200, indices.text
    (index,) = indices.json()["data"]  # its default index, created with it
    assert index["default_for_collection_id"] == body["id"]
    assert index["collection_ids"] == [body["id"]]
    assert index["embeddings_model_name"] == "local/all-minilm-l6-v2"


async def test_create_collection_duplicate_name_is_409_and_other_tenant_may_reuse_it(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    await make_collection(client, tenant_a, "same")

    again = await client.post(
        "/v1/document-collections", json={"name": "same"}, headers=tenant_a.headers
    )
    other = await client.post(
        "/v1/document-collections", json={"name": "same"}, headers=tenant_b.headers
    )

    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]
    assert other.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x", "settings": {"duplicate_policy": "sometimes"}},
        {"name": "x", "settings": {"unknown": 1}},
        {"name": "x", "tags": "not-a-list"},
    ],
)
async def test_create_collection_bad_input_is_422_and_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser, body: dict[str, object]
) -> None:
    response = await client.post("/v1/document-collections", json=body, headers=tenant_a.headers)

    assert response.status_code == 422
    count = await session.scalar(
        select(func.count())
        .select_from(DocumentCollection)
        .where(DocumentCollection.tenant_id == tenant_a.tenant_id)
    )
    assert count == 0


async def test_list_collections_filters_by_names_and_tags_and_pages(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    await make_collection(client, tenant_a, "a", tags=["x", "y"])
    await make_collection(client, tenant_a, "b", tags=["x"])
    await make_collection(client, tenant_a, "c")
    await make_collection(client, tenant_b, "a")

    everything = (await client.get("/v1/document-collections", headers=tenant_a.headers)).json()
    named = (
        await client.get(
            "/v1/document-collections", params={"names": ["a", "c"]}, headers=tenant_a.headers
        )
    ).json()
    tagged = (
        await client.get(
            "/v1/document-collections", params={"tags": ["x", "y"]}, headers=tenant_a.headers
        )
    ).json()
    page = (
        await client.get(
            "/v1/document-collections", params={"limit": 1, "offset": 1}, headers=tenant_a.headers
        )
    ).json()

    assert everything["total"] == 3
    assert sorted(c["name"] for c in named["data"]) == ["a", "c"]
    assert [c["name"] for c in tagged["data"]] == ["a"]
    assert page["total"] == 3
    assert page["limit"] == 1
    assert page["offset"] == 1
    assert len(page["data"]) == 1


async def test_get_collection_reports_stats_by_status(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a)
    await make_text_document(client, tenant_a, collection["id"], text="one")
    await make_text_document(client, tenant_a, collection["id"], text="three", name="b")

    body = (
        await client.get(f"/v1/document-collections/{collection['id']}", headers=tenant_a.headers)
    ).json()

    assert body["stats"] == {"documents": 2, "by_status": {"queued": 2}, "bytes": 8, "chunks": 0}


async def test_patch_collection_changes_only_sent_fields_and_409s_on_taken_name(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    collection = await make_collection(client, tenant_a, "one", title="T", tags=["k"])
    await make_collection(client, tenant_a, "two")
    url = f"/v1/document-collections/{collection['id']}"

    patched = await client.patch(
        url,
        json={"description": "D", "settings": {"duplicate_policy": "reject"}},
        headers=tenant_a.headers,
    )
    clash = await client.patch(url, json={"name": "two"}, headers=tenant_a.headers)

    assert patched.status_code == 200
    body = patched.json()
    assert (body["title"], body["description"], body["tags"]) == ("T", "D", ["k"])
    assert body["settings"]["duplicate_policy"] == "reject"
    assert clash.status_code == 409


async def test_delete_collection_deletes_its_documents(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a)
    doc = (await make_text_document(client, tenant_a, collection["id"])).json()

    response = await client.delete(
        f"/v1/document-collections/{collection['id']}", headers=tenant_a.headers
    )

    assert response.status_code == 200
    assert response.json() == {"id": collection["id"], "deleted": True}
    assert await session.get(Document, uuid.UUID(doc["id"])) is None
    again = await client.get(
        f"/v1/document-collections/{collection['id']}", headers=tenant_a.headers
    )
    assert again.status_code == 404


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_other_tenants_collection_is_404(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser, method: str
) -> None:
    collection = await make_collection(client, tenant_a)

    response = await client.request(
        method,
        f"/v1/document-collections/{collection['id']}",
        json={"title": "x"} if method == "PATCH" else None,
        headers=tenant_b.headers,
    )

    assert response.status_code == 404
    still = await client.get(
        f"/v1/document-collections/{collection['id']}", headers=tenant_a.headers
    )
    assert still.json()["title"] is None


async def test_collections_need_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/document-collections")).status_code == 401
