"""The annotate stage after `ready`, and metadata reads that come before it (real PostgreSQL).

The stages are called directly (no worker), so each test decides whether the annotate job has
run: `test_worker.py` shows a real worker sending and running it.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.api.documents.conftest import RecordingQueue
from tests.conftest import TenantUser
from tests.integration.documents import fake_extractor
from wxo.container import Container
from wxo.documents import annotation, pipeline
from wxo.documents.jobs import ANNOTATE_TASK
from wxo.documents.models import DocumentContent
from wxo.documents.tasks import load_extractor
from wxo.extraction import service as extraction
from wxo.extraction.base import Annotation
from wxo.queue.base import Priority
from wxo.retrieval.indexing import index_documents, run_indexing

TEXT = (
    "# Bzip2\n\nJulian Seward released bzip2 in Cambridge in 1996. It compresses files with "
    "the Burrows-Wheeler transform and Huffman coding.\n"
)


def refuse(text: str, language: str | None) -> Annotation:
    """An annotator for jobs that must not compute keywords and entities again."""
    raise AssertionError("keywords and entities were computed again")


async def ready_document(
    http: httpx.AsyncClient,
    tenant: TenantUser,
    container: Container,
    extractor: pipeline.Extractor | None = None,
) -> uuid.UUID:
    """A document taken through extraction and indexing (the default extractor unless given)."""
    collection = await http.post(
        "/v1/document-collections",
        json={"name": f"annotate-{uuid.uuid4().hex[:8]}"},
        headers=tenant.headers,
    )
    created = await http.post(
        "/v1/documents",
        json={"name": "bzip2.md", "collection_id": collection.json()["id"], "text": TEXT},
        headers=tenant.headers,
    )
    assert created.status_code == 202, created.text
    document_id = uuid.UUID(created.json()["id"])
    extract = extractor or load_extractor(container.settings.documents.extractor)
    outcome = await pipeline.run_extraction(
        container.sessionmaker, container.blobs, extract, document_id
    )
    indexed = await run_indexing(container.sessionmaker, fake_extractor.embed, document_id)
    assert (outcome, indexed) == ("extracted", "indexed")
    return document_id


async def stored(container: Container, document_id: uuid.UUID) -> DocumentContent | None:
    async with container.sessionmaker() as session:
        return await session.get(DocumentContent, document_id)


async def _read(
    http: httpx.AsyncClient, tenant: TenantUser, document_id: uuid.UUID, route: str
) -> dict[str, Any]:
    response = await http.get(f"/v1/documents/{document_id}/{route}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def status(
    http: httpx.AsyncClient, tenant: TenantUser, document_id: uuid.UUID
) -> dict[str, Any]:
    return await _read(http, tenant, document_id, "status")


async def metadata(
    http: httpx.AsyncClient, tenant: TenantUser, document_id: uuid.UUID
) -> dict[str, Any]:
    return await _read(http, tenant, document_id, "metadata")


async def test_a_document_is_ready_before_it_is_annotated_then_annotated(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    document_id = await ready_document(live_client, live_tenant, container)
    before = await status(live_client, live_tenant, document_id)
    pending = await stored(container, document_id)

    outcome = await annotation.run_annotation(
        container.sessionmaker, extraction.annotate, document_id
    )

    assert before["status"] == "ready"
    assert [s["name"] for s in before["status_detail"]["stages"]] == ["extract", "index"]
    assert pending is not None
    assert (pending.keywords, pending.entities, pending.annotated_at) == (None, None, None)
    assert outcome == "annotated"
    after = await status(live_client, live_tenant, document_id)
    assert after["status"] == "ready"
    assert (after["status_detail"]["stage"], after["status_detail"]["progress"]) == ("ready", 1.0)
    names = [s["name"] for s in after["status_detail"]["stages"]]
    assert names == ["extract", "index", "annotate"]
    stage = after["status_detail"]["stages"][-1]
    assert {"started_at", "finished_at", "duration_ms", "items"} <= set(stage)
    assert stage["enrich"]["skipped"] is True  # no default chat model
    content = await stored(container, document_id)
    assert content is not None
    assert content.keywords
    assert content.entities
    assert content.annotated_at is not None
    assert stage["items"] == len(content.keywords) + len(content.entities)
    assert stage["nlp_ms"] >= 0
    found = await metadata(live_client, live_tenant, document_id)
    assert found["keywords"] == content.keywords
    assert found["entities"] == content.entities
    assert "huffman coding" in {k["text"].lower() for k in found["keywords"]}
    assert {"Cambridge", "Julian Seward"} & {e["text"] for e in found["entities"]}  # NER or not
    assert (found["summary"], found["questions"]) == (None, None)


async def test_a_repeated_annotate_job_changes_nothing(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    document_id = await ready_document(live_client, live_tenant, container)
    first = await annotation.run_annotation(
        container.sessionmaker, extraction.annotate, document_id
    )
    before = await status(live_client, live_tenant, document_id)
    content_before = await stored(container, document_id)

    again = await annotation.run_annotation(container.sessionmaker, refuse, document_id)

    assert (first, again) == ("annotated", "done_already")
    assert await status(live_client, live_tenant, document_id) == before
    content_after = await stored(container, document_id)
    assert content_before is not None
    assert content_after is not None
    assert (content_after.keywords, content_after.entities, content_after.extra) == (
        content_before.keywords,
        content_before.entities,
        content_before.extra,
    )
    assert content_after.annotated_at == content_before.annotated_at


async def test_metadata_read_before_the_stage_computes_and_stores_keywords_and_entities(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    document_id = await ready_document(live_client, live_tenant, container)

    found = await metadata(live_client, live_tenant, document_id)
    kept = await stored(container, document_id)
    again = await metadata(live_client, live_tenant, document_id)
    outcome = await annotation.run_annotation(container.sessionmaker, refuse, document_id)

    assert found["keywords"]
    assert found["entities"]
    assert (found["summary"], found["questions"]) == (None, None)  # they need the stage's LLM
    assert kept is not None
    assert (kept.keywords, kept.entities) == (found["keywords"], found["entities"])
    assert kept.annotated_at is None  # the stage has not run
    assert again == found
    assert outcome == "annotated"  # without computing them again (`refuse`)
    stage = (await status(live_client, live_tenant, document_id))["status_detail"]["stages"][-1]
    assert (stage["name"], stage["nlp_ms"]) == ("annotate", 0)
    content = await stored(container, document_id)
    assert content is not None
    assert (content.keywords, content.entities) == (found["keywords"], found["entities"])
    assert content.annotated_at is not None


async def test_keywords_an_extractor_returns_are_stored_and_not_computed_again(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    document_id = await ready_document(
        live_client, live_tenant, container, extractor=fake_extractor.extract
    )

    found = await metadata(live_client, live_tenant, document_id)
    outcome = await annotation.run_annotation(container.sessionmaker, refuse, document_id)

    assert found["keywords"] == [{"text": "fake", "score": 0.5}]
    assert found["entities"] == [{"text": "Ada", "label": "PERSON", "count": 2}]
    assert outcome == "annotated"
    assert (await metadata(live_client, live_tenant, document_id)) == found


async def test_annotating_a_deleted_or_requeued_document_does_nothing(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    deleted = await ready_document(live_client, live_tenant, container)
    requeued = await ready_document(live_client, live_tenant, container)
    gone = await live_client.delete(f"/v1/documents/{deleted}", headers=live_tenant.headers)
    again = await live_client.post(
        f"/v1/documents/{requeued}/reprocess", headers=live_tenant.headers
    )

    outcomes = [
        await annotation.run_annotation(container.sessionmaker, refuse, document_id)
        for document_id in (deleted, requeued, uuid.uuid4())
    ]

    assert (gone.status_code, again.status_code) == (200, 202)
    assert outcomes == ["missing", "not_ready", "missing"]
    content = await stored(container, requeued)
    assert content is not None
    assert content.annotated_at is None


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE document SET content_hash = md5(content_hash) WHERE id = %(id)s",
        # Extracted again from the same bytes (a reprocess): the extract stage starts anew.
        "UPDATE document SET status_detail = jsonb_set(status_detail, '{stages,0,started_at}',"
        " '\"2030-01-01T00:00:00+00:00\"') WHERE id = %(id)s",
    ],
    ids=["new-bytes", "extracted-again"],
)
async def test_annotation_of_a_document_that_changed_meanwhile_is_discarded(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container, change: str
) -> None:
    document_id = await ready_document(live_client, live_tenant, container)
    dsn = make_url(container.settings.require_database_url()).set(drivername="postgresql")

    def annotate_while_changed(text: str, language: str | None) -> Annotation:
        # The document changes while the stage computes (between its two transactions).
        with psycopg.connect(dsn.render_as_string(False)) as conn:
            conn.execute(change, {"id": document_id})
        return extraction.annotate(text, language)

    outcome = await annotation.run_annotation(
        container.sessionmaker, annotate_while_changed, document_id
    )

    assert outcome == "superseded"
    content = await stored(container, document_id)
    assert content is not None
    assert (content.keywords, content.entities, content.annotated_at) == (None, None, None)
    stages = (await status(live_client, live_tenant, document_id))["status_detail"]["stages"]
    assert "annotate" not in [s["name"] for s in stages]


async def test_the_index_hand_off_queues_annotation_of_its_batch_at_low_priority(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    collection = await live_client.post(
        "/v1/document-collections", json={"name": "handoff"}, headers=live_tenant.headers
    )
    ids = []
    for name in ("a.md", "b.md"):
        created = await live_client.post(
            "/v1/documents",
            json={
                "name": name,
                "collection_id": collection.json()["id"],
                "text": f"{name}: {TEXT}",
            },
            headers=live_tenant.headers,
        )
        ids.append(uuid.UUID(created.json()["id"]))
        await pipeline.run_extraction(
            container.sessionmaker, container.blobs, fake_extractor.extract, ids[-1]
        )
    queue = RecordingQueue()

    outcome = await index_documents(container.sessionmaker, fake_extractor.embed, ids[1])
    sent = annotation.queue_annotations(queue, outcome.ready)
    again = await index_documents(container.sessionmaker, fake_extractor.embed, ids[0])

    assert sent == 2  # the own document and its batch companion
    assert sorted(str(payload["document_id"]) for _, payload in queue.sent) == sorted(
        str(d) for d in ids
    )
    assert {name for name, _ in queue.sent} == {ANNOTATE_TASK}
    assert queue.priorities == [Priority.LOW, Priority.LOW]
    assert (again.status, again.ready) == ("done_already", ())  # nothing to send twice


async def test_sweeper_requeues_ready_documents_left_unannotated(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    document_id = await ready_document(live_client, live_tenant, container)
    queue = RecordingQueue()

    recent = await pipeline.requeue_stuck(container.sessionmaker, queue, older_than_seconds=3600)
    ids = await pipeline.requeue_stuck(container.sessionmaker, queue, older_than_seconds=0)
    await annotation.run_annotation(container.sessionmaker, extraction.annotate, document_id)
    annotated = await pipeline.requeue_stuck(container.sessionmaker, queue, older_than_seconds=0)

    assert document_id not in recent
    assert document_id in ids
    job = (ANNOTATE_TASK, {"document_id": str(document_id)})
    assert queue.sent.count(job) == 1
    assert queue.priorities[queue.sent.index(job)] is Priority.LOW
    assert document_id not in annotated


async def test_keywords_that_keep_failing_end_the_stage_with_an_error_not_a_loop(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    document_id = await ready_document(live_client, live_tenant, container)
    queue = RecordingQueue()

    def broken(text: str, language: str | None) -> Annotation:
        raise ValueError("the NLP cannot take this text")

    outcomes = []
    for _ in range(annotation.MAX_ANNOTATE_ATTEMPTS - 1):
        outcomes.append(
            await annotation.run_annotation(container.sessionmaker, broken, document_id)
        )
    content = await stored(container, document_id)
    assert content is not None
    assert content.annotated_at is None  # not yet given up: the sweeper sends it again
    assert document_id in await pipeline.requeue_stuck(
        container.sessionmaker, queue, older_than_seconds=0
    )
    outcomes.append(await annotation.run_annotation(container.sessionmaker, broken, document_id))

    assert outcomes == ["retry_later"] * (annotation.MAX_ANNOTATE_ATTEMPTS - 1) + ["failed"]
    content = await stored(container, document_id)
    assert content is not None
    assert (content.keywords, content.entities) == ([], [])
    assert content.annotated_at is not None
    document = await status(live_client, live_tenant, document_id)
    assert document["status"] == "ready"  # still searchable
    stage = next(s for s in document["status_detail"]["stages"] if s["name"] == "annotate")
    assert stage["error"]["code"] == "annotate_failed"
    assert "ValueError" in stage["error"]["message"]
    assert document_id not in await pipeline.requeue_stuck(
        container.sessionmaker, queue, older_than_seconds=0
    )
    read = await metadata(live_client, live_tenant, document_id)  # a 200
    assert (read["keywords"], read["entities"]) == ([], [])
