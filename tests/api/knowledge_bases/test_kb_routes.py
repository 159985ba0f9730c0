"""Contract tests of `/v1/orchestrate/knowledge-bases`: bodies, status codes, rows and jobs."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.knowledge_bases.conftest import RecordingQueue, create_kb, make_kb
from tests.conftest import TenantUser
from wxo.container import Container
from wxo.documents.models import Document, DocumentCollection, DocumentStatus
from wxo.knowledge_bases import repository as kb_repository
from wxo.knowledge_bases.models import KnowledgeBase
from wxo.retrieval.models import VectorIndex

URL = "/v1/orchestrate/knowledge-bases"
FILES = {"a.txt": b"Alpha is the first letter.", "b.md": b"# Beta\n\nBeta comes second."}


async def _kb_row(session: AsyncSession, kb_id: str) -> KnowledgeBase | None:
    result = await session.execute(
        select(KnowledgeBase).where(KnowledgeBase.id == uuid.UUID(kb_id))
    )
    return result.scalar_one_or_none()


async def _documents(session: AsyncSession, collection_id: str) -> list[Document]:
    result = await session.execute(
        select(Document)
        .where(Document.collection_id == uuid.UUID(collection_id))
        .order_by(Document.name)
    )
    return list(result.scalars().all())


async def _collections(session: AsyncSession, tenant: TenantUser) -> list[DocumentCollection]:
    result = await session.execute(
        select(DocumentCollection).where(DocumentCollection.tenant_id == tenant.tenant_id)
    )
    return list(result.scalars().all())


async def test_create_with_files_as_ibm_sends_it(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    response = await create_kb(
        client,
        tenant_a,
        {
            "name": "handbook",
            "description": "The staff handbook",
            "prioritize_built_in_index": True,
            "spec_version": "v1",
            "kind": "knowledge_base",
            "conversational_search_tool": {"language": "en"},
        },
        FILES,
    )

    assert response.status_code == 201, response.text
    kb = response.json()
    assert kb["knowledge_base"] == kb["id"]
    assert kb["name"] == "handbook"
    assert kb["description"] == "The staff handbook"
    assert kb["tenant_id"] == str(tenant_a.tenant_id)
    assert kb["prioritize_built_in_index"] is True
    assert kb["conversational_search_tool"] == {"language": "en"}
    assert kb["spec_version"] == "v1"
    assert sorted((f["filename"], f["outcome"]) for f in kb["files"]) == [
        ("a.txt", "created"),
        ("b.md", "created"),
    ]
    row = await _kb_row(session, kb["id"])
    assert row is not None
    assert row.tenant_id == tenant_a.tenant_id
    assert str(row.collection_id) == kb["collection_id"]
    collection = await session.get(DocumentCollection, row.collection_id)
    assert collection is not None
    assert collection.name == f"knowledge-base-{kb['id']}"
    assert collection.tenant_id == tenant_a.tenant_id
    docs = await _documents(session, kb["collection_id"])
    assert [d.name for d in docs] == ["a.txt", "b.md"]
    assert {d.status for d in docs} == {DocumentStatus.QUEUED}
    assert {f["document_id"] for f in kb["files"]} == {str(d.id) for d in docs}
    index = (
        await session.execute(
            select(VectorIndex).where(VectorIndex.default_for_collection_id == row.collection_id)
        )
    ).scalar_one_or_none()
    assert index is not None  # the automatic index is what agents search
    assert sorted(queue.document_ids()) == sorted(str(d.id) for d in docs)


async def test_create_without_files_json(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    kb = await make_kb(client, tenant_a, "empty", description="nothing yet")
    assert kb["files"] == []
    assert kb["knowledge_base"] == kb["id"]
    assert await _documents(session, kb["collection_id"]) == []
    status = await client.get(f"{URL}/{kb['id']}/status", headers=tenant_a.headers)
    assert status.json()["status"] == "ready"
    assert status.json()["document_counts"]["total"] == 0
    assert queue.sent == []


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        ("{not json", ["body", "knowledge_base"]),
        ('{"description": "no name"}', ["body", "knowledge_base", "name"]),
        ('{"name": "bad name"}', ["body", "knowledge_base", "name"]),
        ('{"name": "0b5e8a3c-1d2f-4e6a-9b7c-8d9e0f1a2b3c"}', ["body", "knowledge_base", "name"]),
        ("[1, 2]", ["body", "knowledge_base"]),
    ],
)
async def test_bad_knowledge_base_field_is_422_and_creates_nothing(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
    raw: str,
    loc: list[str],
) -> None:
    response = await create_kb(client, tenant_a, raw, FILES)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert await _collections(session, tenant_a) == []
    assert queue.sent == []


async def test_missing_knowledge_base_field_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue
) -> None:
    response = await client.post(
        f"{URL}/documents", files=[("files", ("a.txt", b"x"))], headers=tenant_a.headers
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "knowledge_base"]


async def test_duplicate_name_is_409_and_leaves_no_collection(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
) -> None:
    await make_kb(client, tenant_a, "same", files=FILES)
    sent = len(queue.sent)
    again = await create_kb(client, tenant_a, {"name": "same"}, FILES)
    assert again.status_code == 409
    assert "same" in again.json()["detail"]
    assert len(await _collections(session, tenant_a)) == 1
    assert len(queue.sent) == sent
    await make_kb(client, tenant_b, "same")  # another tenant may use the name


async def test_file_over_the_limit_is_413_and_creates_nothing(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(container.settings.documents, "max_file_bytes", 10)
    response = await create_kb(client, tenant_a, {"name": "big"}, {"big.txt": b"x" * 11})
    assert response.status_code == 413
    assert await _collections(session, tenant_a) == []
    rows = await session.execute(
        select(KnowledgeBase).where(KnowledgeBase.tenant_id == tenant_a.tenant_id)
    )
    assert rows.scalars().all() == []


async def test_list_is_a_bare_array_filtered_by_names_and_ids(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser, queue: RecordingQueue
) -> None:
    one = await make_kb(client, tenant_a, "one")
    two = await make_kb(client, tenant_a, "two")
    await make_kb(client, tenant_b, "one")
    listed = await client.get(f"{URL}?include=global", headers=tenant_a.headers)
    assert listed.status_code == 200
    assert [k["id"] for k in listed.json()] == [one["id"], two["id"]]
    by_name = await client.get(f"{URL}?names=two&names=zzz", headers=tenant_a.headers)
    assert [k["name"] for k in by_name.json()] == ["two"]
    by_id = await client.get(f"{URL}?ids={one['id']}", headers=tenant_a.headers)
    assert [k["id"] for k in by_id.json()] == [one["id"]]
    assert (await client.get(f"{URL}?ids=bad", headers=tenant_a.headers)).status_code == 422


async def test_get_by_id_or_name_and_tenancy(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser, queue: RecordingQueue
) -> None:
    kb = await make_kb(client, tenant_a, "mine", description="d")
    for ref in (kb["id"], "mine"):
        got = await client.get(f"{URL}/{ref}", headers=tenant_a.headers)
        assert got.status_code == 200
        assert got.json()["id"] == kb["id"]
        assert got.json()["description"] == "d"
        assert "files" not in got.json()
        for path in (f"{URL}/{ref}", f"{URL}/{ref}/status"):
            foreign = await client.get(path, headers=tenant_b.headers)
            assert foreign.status_code == 404
            assert "not found" in foreign.json()["detail"]
    missing = await client.get(f"{URL}/{uuid.uuid4()}", headers=tenant_a.headers)
    assert missing.status_code == 404
    assert (await client.get(f"{URL}/{kb['id']}")).status_code == 401


async def test_status_counts_documents_per_state(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    kb = await make_kb(client, tenant_a, "tracked", files={**FILES, "c.txt": b"Gamma is third."})
    url = f"{URL}/{kb['id']}/status"
    first = (await client.get(url, headers=tenant_a.headers)).json()
    assert first["status"] == "processing"
    assert first["built_in_index_status"] == "processing"
    assert first["document_counts"] == {"total": 3, "ready": 0, "processing": 3, "failed": 0}
    assert sorted(d["metadata"]["original_file_name"] for d in first["documents"]) == [
        "a.txt",
        "b.md",
        "c.txt",
    ]

    docs = {d.name: d for d in await _documents(session, kb["collection_id"])}

    async def set_status(name: str, status: DocumentStatus, detail: dict[str, object]) -> None:
        await session.execute(
            update(Document)
            .where(Document.id == docs[name].id)
            .values(status=status, status_detail=detail)
        )
        await session.flush()

    await set_status("a.txt", DocumentStatus.READY, {"stage": "ready"})
    await set_status("b.md", DocumentStatus.INDEXING, {"stage": "indexing"})
    middle = (await client.get(url, headers=tenant_a.headers)).json()
    assert middle["status"] == "processing"
    assert middle["document_counts"] == {"total": 3, "ready": 1, "processing": 2, "failed": 0}

    await set_status("b.md", DocumentStatus.READY, {"stage": "ready"})
    await set_status("c.txt", DocumentStatus.READY, {"stage": "ready"})
    ready = (await client.get(url, headers=tenant_a.headers)).json()
    assert ready["status"] == "ready"
    assert ready["built_in_index_status"] == "ready"
    assert ready["document_counts"] == {"total": 3, "ready": 3, "processing": 0, "failed": 0}

    await set_status(
        "c.txt", DocumentStatus.FAILED, {"stage": "extract", "error": {"message": "unreadable"}}
    )
    failed = (await client.get(url, headers=tenant_a.headers)).json()
    assert failed["status"] == "failed"
    assert failed["built_in_index_status"] == "error"  # what IBM's ADK treats as a failure
    assert failed["document_counts"] == {"total": 3, "ready": 2, "processing": 0, "failed": 1}
    assert "c.txt" in failed["built_in_index_status_msg"]
    bad = next(d for d in failed["documents"] if d["name"] == "c.txt")
    assert bad["status"] == "failed"
    assert bad["error"] == "unreadable"


async def test_patch_changes_only_what_is_sent(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
) -> None:
    await make_kb(client, tenant_a, "taken")
    kb = await make_kb(client, tenant_a, "editable", description="before", tags=["x"])
    response = await client.patch(
        f"{URL}/{kb['id']}",
        json={"description": "after", "tags": None, "representation": "tool"},
        headers=tenant_a.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["description"] == "after"
    assert body["name"] == "editable"
    assert "tags" not in body
    assert body["representation"] == "tool"
    row = await _kb_row(session, kb["id"])
    assert row is not None
    await session.refresh(row)
    assert row.description == "after"
    assert row.extra == {"representation": "tool"}

    clash = await client.patch(f"{URL}/editable", json={"name": "taken"}, headers=tenant_a.headers)
    assert clash.status_code == 409
    bad = await client.patch(f"{URL}/editable", json={"name": "a b"}, headers=tenant_a.headers)
    assert bad.status_code == 422
    foreign = await client.patch(
        f"{URL}/{kb['id']}", json={"description": "x"}, headers=tenant_b.headers
    )
    assert foreign.status_code == 404


async def test_put_documents_adds_files(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    kb = await make_kb(client, tenant_a, "growing", files={"a.txt": FILES["a.txt"]})
    sent = len(queue.sent)
    response = await client.put(
        f"{URL}/{kb['id']}/documents",
        data={"knowledge_base": '{"description": "more"}'},
        files=[("files", ("c.txt", b"Gamma.")), ("files", ("a.txt", FILES["a.txt"]))],
        headers=tenant_a.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["description"] == "more"
    outcomes = {f["filename"]: f["outcome"] for f in body["files"]}
    assert outcomes == {"c.txt": "created", "a.txt": "skipped"}
    assert [d.name for d in await _documents(session, kb["collection_id"])] == ["a.txt", "c.txt"]
    assert len(queue.sent) == sent + 1
    no_files = await client.put(f"{URL}/{kb['id']}/documents", headers=tenant_a.headers)
    assert no_files.status_code == 422


async def test_patch_documents_makes_the_upload_the_document_set(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
) -> None:
    kb = await make_kb(client, tenant_a, "synced", files={**FILES, "old.txt": b"To be removed."})
    before = {d.name: (d.id, d.blob_key) for d in await _documents(session, kb["collection_id"])}
    sent = len(queue.sent)
    foreign = await client.patch(
        f"{URL}/{kb['id']}/documents",
        files=[("files", ("x.txt", b"x"))],
        headers=tenant_b.headers,
    )
    assert foreign.status_code == 404
    response = await client.patch(
        f"{URL}/{kb['id']}/documents",
        data={"knowledge_base": '{"name": "synced", "description": "v2"}', "file_urls": "{}"},
        files=[
            ("files", ("a.txt", FILES["a.txt"])),
            ("files", ("b.md", b"# Beta\n\nBeta changed.")),
            ("files", ("new.txt", b"Brand new.")),
        ],
        headers=tenant_a.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["description"] == "v2"
    outcomes = {f["filename"]: f["outcome"] for f in body["files"]}
    assert outcomes == {
        "a.txt": "unchanged",
        "b.md": "replaced",
        "new.txt": "created",
        "old.txt": "removed",
    }
    session.expire_all()
    after = {d.name: d for d in await _documents(session, kb["collection_id"])}
    assert sorted(after) == ["a.txt", "b.md", "new.txt"]
    assert (after["a.txt"].id, after["a.txt"].blob_key) == before["a.txt"]
    assert after["b.md"].id == before["b.md"][0]
    assert after["b.md"].blob_key != before["b.md"][1]
    assert after["b.md"].status == DocumentStatus.QUEUED
    jobs = set(queue.document_ids(since=sent))
    assert jobs == {str(after["b.md"].id), str(after["new.txt"].id)}


async def test_delete_removes_the_collection_and_its_documents(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
) -> None:
    kb = await make_kb(client, tenant_a, "doomed", files=FILES)
    foreign = await client.delete(f"{URL}/{kb['id']}", headers=tenant_b.headers)
    assert foreign.status_code == 404
    assert await _kb_row(session, kb["id"]) is not None

    deleted = await client.delete(f"{URL}/{kb['id']}", headers=tenant_a.headers)
    assert deleted.status_code == 200
    assert deleted.json() == {"id": kb["id"], "deleted": True}
    session.expire_all()
    assert await _kb_row(session, kb["id"]) is None
    assert await session.get(DocumentCollection, uuid.UUID(kb["collection_id"])) is None
    assert await _documents(session, kb["collection_id"]) == []
    assert (await client.get(f"{URL}/{kb['id']}", headers=tenant_a.headers)).status_code == 404
    assert (await client.delete(f"{URL}/{kb['id']}", headers=tenant_a.headers)).status_code == 404


async def test_deleting_the_collection_directly_deletes_the_knowledge_base(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    kb = await make_kb(client, tenant_a, "orphan")
    response = await client.delete(
        f"/v1/document-collections/{kb['collection_id']}", headers=tenant_a.headers
    )
    assert response.status_code == 200
    session.expire_all()
    assert await _kb_row(session, kb["id"]) is None


async def test_a_create_losing_the_name_race_is_409_and_leaves_no_collection(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await make_kb(client, tenant_a, "raced")

    async def not_seen(*_: object) -> None:  # the other create commits after our check
        return None

    monkeypatch.setattr(kb_repository, "get_by_name", not_seen)
    response = await create_kb(client, tenant_a, {"name": "raced"}, FILES)
    assert response.status_code == 409, response.text
    assert len(await _collections(session, tenant_a)) == 1
    assert queue.sent == []
