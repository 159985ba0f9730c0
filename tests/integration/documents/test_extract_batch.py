"""One extract job for several documents, against real PostgreSQL and the blob store."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import TenantUser
from tests.integration.documents import fake_extractor
from wxo.container import Container
from wxo.documents import pipeline, repository
from wxo.documents.models import Document, DocumentElement, DocumentStatus


async def _documents(
    live_client: httpx.AsyncClient, tenant: TenantUser, texts: list[str]
) -> list[uuid.UUID]:
    collection = await live_client.post(
        "/v1/document-collections",
        json={"name": f"batch-{uuid.uuid4().hex[:8]}"},
        headers=tenant.headers,
    )
    assert collection.status_code == 201
    uploaded = await live_client.post(
        f"/v1/document-collections/{collection.json()['id']}/documents",
        files=[("files", (f"doc-{i}.md", text.encode())) for i, text in enumerate(texts)],
        headers=tenant.headers,
    )
    assert uploaded.status_code == 202, uploaded.text
    return [uuid.UUID(one["document"]["id"]) for one in uploaded.json()["data"]]


async def _rows(container: Container, ids: list[uuid.UUID]) -> dict[uuid.UUID, Document]:
    async with container.sessionmaker() as session:
        found = await session.scalars(select(Document).where(Document.id.in_(ids)))
        return {d.id: d for d in found}


async def _elements(container: Container, document_id: uuid.UUID) -> int:
    async with container.sessionmaker() as session:
        stmt = select(func.count()).where(DocumentElement.document_id == document_id)
        return int(await session.scalar(stmt) or 0)


async def _extract(container: Container, ids: list[uuid.UUID], extract: Any = None) -> Any:
    return await pipeline.extract_documents(
        container.sessionmaker, container.blobs, extract or fake_extractor.extract, ids
    )


async def test_one_job_extracts_every_document_and_stores_each_ones_results(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    ids = await _documents(live_client, live_tenant, ["# A\n\none", "# B\n\ntwo\n\nthree", "four"])

    batch = await _extract(container, ids)
    again = await _extract(container, ids)

    assert batch.outcomes == dict.fromkeys(ids, "extracted")
    assert batch.transient == {}
    assert again.outcomes == dict.fromkeys(ids, "done_already")
    rows = await _rows(container, ids)
    assert {rows[i].status for i in ids} == {"indexing"}
    assert [await _elements(container, i) for i in ids] == [2, 3, 1]
    for document_id in ids:
        (stage,) = rows[document_id].status_detail["stages"]
        assert (stage["name"], stage["batch"]) == ("extract", 3)
        assert rows[document_id].status_detail["attempts"] == 1


async def test_a_failure_stays_with_its_document(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    good, broken, flaky = await _documents(
        live_client, live_tenant, ["fine text", "FAIL: PDF is encrypted", "FLAKY: later"]
    )

    batch = await _extract(container, [good, broken, flaky])

    assert batch.outcomes == {good: "extracted", broken: "failed"}
    assert batch.transient == {flaky: "timeout: try again"}
    rows = await _rows(container, [good, broken, flaky])
    assert rows[good].status == "indexing"
    assert rows[broken].status == "failed"
    assert rows[broken].status_detail["error"] == {
        "stage": "extract", "code": "unsupported_format", "message": "PDF is encrypted",
    }  # fmt: skip
    assert rows[flaky].status == "extracting"  # its retry extracts it


async def test_a_document_cut_short_before_is_not_extracted_with_others(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    first, second, third = await _documents(live_client, live_tenant, ["one", "two", "three"])
    # A worker died extracting `second` (its job claimed it, then nothing stored).
    calls: list[str] = []

    def dying(data: bytes, **kwargs: Any) -> Any:
        calls.append(data.decode())
        raise SystemExit("killed")

    with pytest.raises(SystemExit):
        await _extract(container, [second], dying)
    assert calls == ["two"]

    batch = await _extract(container, [first, second, third])
    alone = await _extract(container, [second])

    assert batch.outcomes == {first: "extracted", second: "alone", third: "extracted"}
    assert alone.outcomes == {second: "extracted"}
    rows = await _rows(container, [first, second, third])
    assert rows[second].status_detail["attempts"] == 2  # the batch left it as it was


async def test_documents_missing_or_without_bytes_are_reported_not_extracted(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    (known,) = await _documents(live_client, live_tenant, ["text"])
    unknown = uuid.uuid4()

    batch = await _extract(container, [unknown, known, known])

    assert batch.outcomes == {unknown: "missing", known: "extracted"}


async def test_statuses_of_several_documents_are_set_together_each_with_its_own_columns(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    first, second, untouched = await _documents(live_client, live_tenant, ["a", "b", "c"])
    before = await _rows(container, [first, second, untouched])

    async with container.sessionmaker() as session:
        await repository.set_statuses(
            session,
            {
                first: {"status": DocumentStatus.EXTRACTING, "status_detail": {"stage": "x"}},
                second: {"status_detail": {"stage": "y"}, "page_count": 7},
            },
        )
        await session.commit()

    after = await _rows(container, [first, second, untouched])
    assert (after[first].status, after[first].status_detail) == ("extracting", {"stage": "x"})
    assert after[first].page_count == before[first].page_count
    assert after[second].status == before[second].status
    assert (after[second].status_detail, after[second].page_count) == ({"stage": "y"}, 7)
    assert after[first].updated_at > before[first].updated_at
    assert after[second].updated_at > before[second].updated_at
    assert after[untouched].status_detail == before[untouched].status_detail
    assert after[untouched].updated_at == before[untouched].updated_at
