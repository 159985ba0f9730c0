"""`/v1/vector-indices`: status codes, bodies, queued jobs and rows in the database."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.documents.conftest import RecordingQueue, make_collection
from tests.conftest import TenantUser
from wxo.documents.models import DocumentCollection
from wxo.retrieval.models import VectorIndex, VectorIndexCollection
from wxo.retrieval.service import REFRESH_TASK, ensure_default_index

MODEL = "local/all-minilm-l6-v2"


async def _create(client: httpx.AsyncClient, tenant: TenantUser, **body: Any) -> httpx.Response:
    return await client.post(
        "/v1/vector-indices",
        json={"name": "idx", "embeddings_model_name": MODEL, **body},
        headers=tenant.headers,
    )


async def test_collections_get_an_automatic_index(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    collection = await make_collection(client, tenant_a, "auto")
    listed = await client.get(
        "/v1/vector-indices", params={"collection_id": collection["id"]}, headers=tenant_a.headers
    )
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 1
    index = body["data"][0]
    assert index["default_for_collection_id"] == collection["id"]
    assert index["collection_ids"] == [collection["id"]]
    assert index["embeddings_model_name"] == MODEL
    assert (index["chunk_size"], index["chunk_overlap"], index["top_k"]) == (200, 20, 10)
    assert index["status"] == "ready"
    assert index["stats"] == {"documents": 0, "chunks": 0, "pending_documents": 0}

    without = await make_collection(client, tenant_a, "manual", settings={"default_index": False})
    none = await client.get(
        "/v1/vector-indices", params={"collection_id": without["id"]}, headers=tenant_a.headers
    )
    assert none.json()["total"] == 0


async def test_create_validates_and_queues_its_collections(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
) -> None:
    mine = await make_collection(client, tenant_a, "mine")
    theirs = await make_collection(client, tenant_b, "theirs")

    unknown = await _create(client, tenant_a, collection_ids=[theirs["id"]])
    assert unknown.status_code == 400
    assert theirs["id"] in unknown.json()["detail"]
    overlap = await _create(client, tenant_a, chunk_size=100, chunk_overlap=100)
    assert overlap.status_code == 422
    missing_model = await client.post(
        "/v1/vector-indices", json={"name": "x"}, headers=tenant_a.headers
    )
    assert missing_model.status_code == 422
    assert (await session.scalar(select(VectorIndex).where(VectorIndex.name == "idx"))) is None

    created = await _create(
        client, tenant_a, collection_ids=[mine["id"]], chunk_size=300, tags=["t"], title="T"
    )
    assert created.status_code == 201, created.text
    index = created.json()
    assert index["collection_ids"] == [mine["id"]]
    assert (index["chunk_size"], index["title"], index["tags"]) == (300, "T", ["t"])
    assert index["settings"]["hybrid"]["fusion"] in ("rrf", "convex")
    assert (REFRESH_TASK, {"index_id": index["id"]}) in queue.sent
    rows = await session.scalars(
        select(VectorIndexCollection.collection_id).where(
            VectorIndexCollection.index_id == uuid.UUID(index["id"])
        )
    )
    assert [str(r) for r in rows] == [mine["id"]]
    assert (await _create(client, tenant_a)).status_code == 409


async def test_patch_reindexes_only_when_chunking_or_model_change(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    index = (await _create(client, tenant_a)).json()
    path = f"/v1/vector-indices/{index['id']}"
    renamed = await client.patch(path, json={"title": "New", "top_k": 7}, headers=tenant_a.headers)
    assert renamed.status_code == 200
    assert (renamed.json()["title"], renamed.json()["top_k"]) == ("New", 7)
    assert not [s for s in queue.sent if s[0] == REFRESH_TASK]
    row = await session.get(VectorIndex, uuid.UUID(index["id"]))
    assert row is not None
    generation = row.generation

    rechunked = await client.patch(path, json={"chunk_size": 120}, headers=tenant_a.headers)
    assert rechunked.status_code == 200
    assert (REFRESH_TASK, {"index_id": index["id"]}) in queue.sent
    await session.refresh(row)
    assert row.generation == generation + 1
    bad = await client.patch(path, json={"chunk_overlap": 500}, headers=tenant_a.headers)
    assert bad.status_code == 400
    assert "chunk_overlap" in bad.json()["detail"]


async def test_attach_refresh_and_rebuild_return_tasks(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    index = (await _create(client, tenant_a)).json()
    base = f"/v1/vector-indices/{index['id']}"
    assert index["status"] == "not_ready"
    collection = await make_collection(client, tenant_a, "later")
    attached = await client.post(
        f"{base}/collections", json={"collection_ids": [collection["id"]]}, headers=tenant_a.headers
    )
    assert attached.status_code == 200
    assert attached.json()["collection_ids"] == [collection["id"]]
    assert attached.json()["status"] == "ready"

    refreshed = await client.post(f"{base}/refresh", headers=tenant_a.headers)
    assert refreshed.status_code == 202
    assert refreshed.json()["task_name"] == "refresh_vector_index"
    assert refreshed.json()["status"] == "completed"
    for method in ("PUT", "POST"):
        rebuilt = await client.request(method, f"{base}/rebuild", headers=tenant_a.headers)
        assert rebuilt.status_code == 202, method
        task = rebuilt.json()
        assert set(task) == {"task_id", "task_name", "status", "task_obj"}
        followed = await client.get(f"{base}/tasks/{task['task_id']}", headers=tenant_a.headers)
        # nothing to re-index: the rebuild completes as soon as it is looked at
        assert followed.json()["status"] == "completed"
    unknown_task = await client.get(f"{base}/tasks/{uuid.uuid4()}", headers=tenant_a.headers)
    assert unknown_task.status_code == 404


async def test_retrieve_rejects_bad_input_with_clear_messages(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    index = (await _create(client, tenant_a)).json()
    path = f"/v1/vector-indices/{index['id']}/retrieve"
    for body in (
        {"query": ""},
        {"query": "x", "top_k": 501},
        {"query": "x", "mode": "fuzzy"},
        {"query": "x", "filters": {"color": "red"}},
        {"query": "x", "filters": {"meta": {"n": {"between": 3}}}},
    ):
        response = await client.post(path, json=body, headers=tenant_a.headers)
        assert response.status_code == 422, body
    rerank = await client.post(path, json={"query": "x", "rerank": True}, headers=tenant_a.headers)
    assert rerank.status_code == 400
    assert "rerank" in rerank.json()["detail"].lower()
    empty = await client.get(path, params={"query": "anything"}, headers=tenant_a.headers)
    assert empty.status_code == 200
    assert empty.json()["results"] == []


async def test_delete_removes_the_index_and_its_collections_stay(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    collection = await make_collection(client, tenant_a, "kept")
    index = (await _create(client, tenant_a, collection_ids=[collection["id"]])).json()
    deleted = await client.delete(f"/v1/vector-indices/{index['id']}", headers=tenant_a.headers)
    assert deleted.status_code == 200
    assert deleted.json() == {"id": index["id"], "deleted": True}
    assert await session.get(VectorIndex, uuid.UUID(index["id"])) is None
    gone = await client.get(f"/v1/vector-indices/{index['id']}", headers=tenant_a.headers)
    assert gone.status_code == 404
    still = await client.get(
        f"/v1/document-collections/{collection['id']}", headers=tenant_a.headers
    )
    assert still.status_code == 200


async def test_the_automatic_index_takes_a_longer_name_when_its_own_is_taken(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    collection = await make_collection(client, tenant_a, "clash", settings={"default_index": False})
    short = f"clash-{collection['id'][:8]}"
    assert (await _create(client, tenant_a, name=short)).status_code == 201
    row = await session.get(DocumentCollection, uuid.UUID(collection["id"]))
    assert row is not None
    row.settings = {**row.settings, "default_index": True}
    await session.flush()

    made = await ensure_default_index(session, row)
    again = await ensure_default_index(session, row)

    assert made is not None
    assert made.name == f"clash-{collection['id']}"
    assert made.default_for_collection_id == row.id
    assert again is not None
    assert again.id == made.id
