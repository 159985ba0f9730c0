"""The extraction stage against real PostgreSQL and the blob store, with a fake extractor."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from tests.api.documents.conftest import RecordingQueue
from tests.conftest import TenantUser
from tests.integration.documents import fake_extractor
from wxo.container import Container
from wxo.documents import pipeline
from wxo.documents.models import Document, DocumentElement, DocumentImage
from wxo.documents.tasks import load_extractor
from wxo.retrieval.indexing import run_indexing
from wxo.retrieval.tasks import embedder_for


async def _document(
    live_client: httpx.AsyncClient, tenant: TenantUser, text: str
) -> dict[str, Any]:
    name = f"pipe-{uuid.uuid4().hex[:8]}"
    collection = await live_client.post(
        "/v1/document-collections", json={"name": name}, headers=tenant.headers
    )
    assert collection.status_code == 201
    response = await live_client.post(
        "/v1/documents",
        json={"name": "doc.md", "collection_id": collection.json()["id"], "text": text},
        headers=tenant.headers,
    )
    assert response.status_code == 202
    body: dict[str, Any] = response.json()
    return body


async def _count(container: Container, model: Any, document_id: uuid.UUID) -> int:
    async with container.sessionmaker() as session:
        stmt = select(func.count()).select_from(model).where(model.document_id == document_id)
        return int(await session.scalar(stmt) or 0)


async def _status(
    live_client: httpx.AsyncClient, tenant: TenantUser, document_id: uuid.UUID
) -> dict[str, Any]:
    response = await live_client.get(f"/v1/documents/{document_id}/status", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_extraction_stores_results_leaves_indexing_and_is_idempotent(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    doc = await _document(live_client, live_tenant, "# Intro\n\nFirst para.\n\nSecond IMG.")
    doc_id = uuid.UUID(doc["id"])
    extract = fake_extractor.extract

    outcome = await pipeline.run_extraction(
        container.sessionmaker, container.blobs, extract, doc_id
    )
    again = await pipeline.run_extraction(container.sessionmaker, container.blobs, extract, doc_id)
    extracted = await _status(live_client, live_tenant, doc_id)
    indexed = await run_indexing(container.sessionmaker, fake_extractor.embed, doc_id)
    after_index = await pipeline.run_extraction(
        container.sessionmaker, container.blobs, extract, doc_id
    )
    reprocess = await live_client.post(
        f"/v1/documents/{doc_id}/reprocess", headers=live_tenant.headers
    )
    third = await pipeline.run_extraction(container.sessionmaker, container.blobs, extract, doc_id)

    assert (outcome, again, third) == ("extracted", "done_already", "extracted")
    assert (indexed, after_index) == ("indexed", "done_already")
    assert reprocess.status_code == 202
    assert await _count(container, DocumentElement, doc_id) == 3  # replaced, never doubled
    assert await _count(container, DocumentImage, doc_id) == 1
    assert extracted["status"] == "indexing"
    detail = extracted["status_detail"]
    assert (detail["stage"], detail["progress"], detail["error"]) == ("indexing", 0.7, None)
    [extract_stage] = detail["stages"]  # the index stage is still to come, annotate after it
    assert extract_stage["name"] == "extract"
    assert extract_stage["items"] == 3
    assert extract_stage["duration_ms"] >= 0
    assert extracted["page_count"] == 1
    status = await _status(live_client, live_tenant, doc_id)
    assert status["status"] == "indexing"  # reprocessed and extracted again: not ready yet


async def test_index_stage_makes_an_extracted_document_ready(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    doc = await _document(live_client, live_tenant, "# Intro\n\nFirst para.\n\nSecond IMG.")
    doc_id = uuid.UUID(doc["id"])
    before = await run_indexing(container.sessionmaker, fake_extractor.embed, doc_id)
    await pipeline.run_extraction(
        container.sessionmaker, container.blobs, fake_extractor.extract, doc_id
    )

    outcome = await run_indexing(container.sessionmaker, fake_extractor.embed, doc_id)

    assert before == "not_extracted"
    assert outcome == "indexed"
    status = await _status(live_client, live_tenant, doc_id)
    assert status["status"] == "ready"
    detail = status["status_detail"]
    assert (detail["stage"], detail["progress"], detail["error"]) == ("ready", 1.0, None)
    assert [stage["name"] for stage in detail["stages"]] == ["extract", "index"]
    index_stage = detail["stages"][1]
    assert "skipped" not in index_stage
    assert index_stage["indices"] == 1  # the collection's default index
    assert index_stage["items"] >= 1
    for timing in ("duration_ms", "chunk_ms", "embed_ms", "store_ms"):
        assert index_stage[timing] >= 0
    document = await live_client.get(f"/v1/documents/{doc_id}", headers=live_tenant.headers)
    assert document.json()["chunk_count"] == index_stage["items"]


async def test_extraction_results_are_served_once_ready(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    doc = await _document(live_client, live_tenant, "# Intro\n\nBody text IMG.")
    url = f"/v1/documents/{doc['id']}"
    headers = live_tenant.headers

    not_ready = await live_client.get(f"{url}/elements", headers=headers)
    await pipeline.run_extraction(
        container.sessionmaker, container.blobs, fake_extractor.extract, uuid.UUID(doc["id"])
    )
    elements = (await live_client.get(f"{url}/elements", headers=headers)).json()
    markdown = (await live_client.get(f"{url}/text", headers=headers)).json()
    text = (await live_client.get(f"{url}/text?format=text", headers=headers)).json()
    bad_format = await live_client.get(f"{url}/text?format=html", headers=headers)
    images = (await live_client.get(f"{url}/images", headers=headers)).json()
    image = await live_client.get(f"{url}/images/img-1", headers=headers)
    missing_image = await live_client.get(f"{url}/images/nope", headers=headers)
    metadata = (await live_client.get(f"{url}/metadata", headers=headers)).json()
    document = (await live_client.get(url, headers=headers)).json()

    assert not_ready.status_code == 409
    assert "queued" in not_ready.json()["detail"]
    assert elements["total"] == 2
    assert elements["data"][0] == {
        "id": "e0", "type": "Title", "text": "Intro", "page_number": None, "order": 0,
        "parent_id": None, "html": None, "metadata": {},
    }  # fmt: skip
    assert elements["data"][1]["parent_id"] == "e0"
    assert markdown == {
        "document_id": doc["id"],
        "format": "markdown",
        "text": "# Intro\n\nBody text IMG.",
    }
    assert text["text"] == "Intro\n\nBody text IMG."
    assert bad_format.status_code == 422
    assert images == [
        {"id": "img-1", "page_number": None, "mime_type": "image/png", "width": 1, "height": 1,
         "caption": None},
    ]  # fmt: skip
    assert image.status_code == 200
    assert image.content == fake_extractor.PNG
    assert image.headers["content-type"] == "image/png"
    assert missing_image.status_code == 404
    assert metadata == {
        "language": "en", "title": "Intro", "summary": None,
        "keywords": [{"text": "fake", "score": 0.5}],
        "entities": [{"text": "Ada", "label": "PERSON", "count": 2}], "questions": None,
    }  # fmt: skip
    assert document["content_type"] == "text/markdown"  # the sniffed type replaces the declared


async def test_permanent_extraction_error_fails_the_document_with_its_message(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    doc = await _document(live_client, live_tenant, "FAIL: PDF is encrypted")

    outcome = await pipeline.run_extraction(
        container.sessionmaker, container.blobs, fake_extractor.extract, uuid.UUID(doc["id"])
    )

    assert outcome == "failed"
    status = (
        await live_client.get(f"/v1/documents/{doc['id']}/status", headers=live_tenant.headers)
    ).json()
    assert status["status"] == "failed"
    assert status["status_detail"]["error"] == {
        "stage": "extract", "code": "unsupported_format", "message": "PDF is encrypted",
    }  # fmt: skip
    elements = await live_client.get(
        f"/v1/documents/{doc['id']}/elements", headers=live_tenant.headers
    )
    assert elements.status_code == 409
    assert "PDF is encrypted" in elements.json()["detail"]


async def test_transient_extraction_error_is_raised_for_retry(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    doc = await _document(live_client, live_tenant, "FLAKY: later")

    with pytest.raises(pipeline.TransientStageError):
        await pipeline.run_extraction(
            container.sessionmaker, container.blobs, fake_extractor.extract, uuid.UUID(doc["id"])
        )

    async with container.sessionmaker() as session:
        row = await session.get(Document, uuid.UUID(doc["id"]))
    assert row is not None
    assert row.status == "extracting"
    assert row.status_detail["attempts"] == 1


async def test_results_of_replaced_bytes_are_discarded(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    doc = await _document(live_client, live_tenant, "old text")
    doc_id = uuid.UUID(doc["id"])
    new_key = container.blobs.put(b"new text")
    dsn = make_url(container.settings.require_database_url()).set(drivername="postgresql")

    def extract_while_replaced(data: bytes, **kwargs: Any) -> Any:
        # New bytes arrive while extraction runs (between the stage's two transactions).
        with psycopg.connect(dsn.render_as_string(False)) as conn:
            conn.execute(
                "UPDATE document SET blob_key = %s, content_hash = %s WHERE id = %s",
                (new_key, new_key, doc_id),
            )
        return fake_extractor.extract(data, **kwargs)

    outcome = await pipeline.run_extraction(
        container.sessionmaker, container.blobs, extract_while_replaced, doc_id
    )

    assert outcome == "superseded"
    assert await _count(container, DocumentElement, doc_id) == 0


def test_default_extractor_setting_names_the_extraction_service() -> None:
    from wxo.core.config import DocumentSettings

    assert DocumentSettings().extractor == "wxo.extraction.service:extract_lean"
    assert load_extractor("tests.integration.documents.fake_extractor:extract") is (
        fake_extractor.extract
    )


async def test_sweeper_requeues_documents_left_queued(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    doc = await _document(live_client, live_tenant, "left behind")
    queue = RecordingQueue()

    ids = await pipeline.requeue_stuck(container.sessionmaker, queue, older_than_seconds=0)
    recent = await pipeline.requeue_stuck(container.sessionmaker, queue, older_than_seconds=3600)

    assert uuid.UUID(doc["id"]) in ids
    assert uuid.UUID(doc["id"]) not in recent
    assert ("wxo.documents.extract", {"document_id": doc["id"]}) in queue.sent


async def test_real_extraction_and_embedding_take_markdown_to_ready(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    doc = await _document(live_client, live_tenant, "# Guide\n\nInstall the server first.\n")
    real = load_extractor(container.settings.documents.extractor)

    outcome = await pipeline.run_extraction(
        container.sessionmaker, container.blobs, real, uuid.UUID(doc["id"])
    )
    indexed = await run_indexing(
        container.sessionmaker, embedder_for(container), uuid.UUID(doc["id"])
    )

    assert (outcome, indexed) == ("extracted", "indexed")
    status = await _status(live_client, live_tenant, uuid.UUID(doc["id"]))
    assert status["status"] == "ready"
    assert status["status_detail"]["stages"][-1]["name"] == "index"
    assert status["status_detail"]["stages"][-1]["items"] >= 1
    elements = (
        await live_client.get(f"/v1/documents/{doc['id']}/elements", headers=live_tenant.headers)
    ).json()
    assert "Install the server first." in [e["text"] for e in elements["data"]]


async def test_sweeper_sends_a_fetch_job_for_a_url_document_without_bytes(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    collection = await live_client.post(
        "/v1/document-collections",
        json={"name": f"url-{uuid.uuid4().hex[:8]}"},
        headers=live_tenant.headers,
    )
    created = await live_client.post(
        "/v1/documents",
        json={
            "name": "page.html",
            "collection_id": collection.json()["id"],
            "source_uri": "https://docs.example.org/page.html",
        },
        headers=live_tenant.headers,
    )
    assert created.status_code == 202, created.text
    document_id = created.json()["id"]
    async with container.sessionmaker() as session:  # as if its fetch job had been lost
        await session.execute(
            update(Document)
            .where(Document.id == uuid.UUID(document_id))
            .values(status="queued", blob_key=None)
        )
        await session.commit()
    queue = RecordingQueue()

    ids = await pipeline.requeue_stuck(container.sessionmaker, queue, older_than_seconds=0)

    assert uuid.UUID(document_id) in ids
    assert ("wxo.documents.fetch", {"document_id": document_id}) in queue.sent
    assert ("wxo.documents.extract", {"document_id": document_id}) not in queue.sent


async def test_sweeper_sends_an_index_job_for_a_document_left_indexing(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    doc = await _document(live_client, live_tenant, "extracted, then its index job was lost")
    outcome = await pipeline.run_extraction(
        container.sessionmaker, container.blobs, fake_extractor.extract, uuid.UUID(doc["id"])
    )
    queue = RecordingQueue()

    ids = await pipeline.requeue_stuck(container.sessionmaker, queue, older_than_seconds=0)

    assert outcome == "extracted"
    assert uuid.UUID(doc["id"]) in ids
    assert ("wxo.retrieval.index_document", {"document_id": doc["id"]}) in queue.sent
    assert ("wxo.documents.extract", {"document_id": doc["id"]}) not in queue.sent
