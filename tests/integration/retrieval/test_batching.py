"""Batched indexing: one embedding call for waiting documents, locks respected, failures isolated.

Real PostgreSQL row locks and the real local embedder.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import httpx
import pytest
from sqlalchemy import select, text

from tests.conftest import TenantUser
from tests.integration.retrieval.conftest import CountingEmbedder, make_corpus
from wxo.container import Container
from wxo.documents import pipeline
from wxo.documents.models import Document
from wxo.documents.tasks import load_extractor
from wxo.retrieval import indexing
from wxo.retrieval.models import IndexedDocument

BODIES = [
    "Glaciers retreat as summers warm.",
    "Volcanoes erupt when magma rises.",
    "Coral reefs bleach in hot water.",
    "Deserts bloom after rare rains.",
    "Rivers carve canyons over millennia.",
]


class CallLog(CountingEmbedder):
    """The real embedder; remembers each call's texts, and refuses texts naming `poison`."""

    def __init__(self, container: Container, poison: str | None = None) -> None:
        """Wrap the worker's embedder."""
        super().__init__(container)
        self.calls: list[list[str]] = []
        self.poison = poison

    async def __call__(
        self, tenant_id: uuid.UUID, model: str | None, texts: Sequence[str]
    ) -> list[list[float]]:
        """Record the call; fail it when a poisoned text is in it."""
        self.calls.append(list(texts))
        if self.poison and any(self.poison in t for t in texts):
            raise indexing.IndexingError("embedding_failed", "poisoned", permanent=False)
        return await super().__call__(tenant_id, model, texts)


async def _waiting_documents(
    client: httpx.AsyncClient, tenant: TenantUser, container: Container, embedder: CallLog
) -> list[uuid.UUID]:
    """Five documents extracted and waiting in `indexing`, in a collection with one indexed."""
    corpus = await make_corpus(client, tenant, container, embedder, {"seed.md": "# Seed\n\nseed"})
    extractor = load_extractor(container.settings.documents.extractor)
    ids = []
    for i, body in enumerate(BODIES):
        created = await client.post(
            "/v1/documents",
            json={"name": f"b{i}.md", "collection_id": corpus.collection_id, "text": body},
            headers=tenant.headers,
        )
        assert created.status_code == 202, created.text
        doc_id = uuid.UUID(created.json()["id"])
        assert await pipeline.run_extraction(
            container.sessionmaker, container.blobs, extractor, doc_id
        ) == ("extracted")
        ids.append(doc_id)
    embedder.calls.clear()
    return ids


async def _statuses(container: Container, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    async with container.sessionmaker() as session:
        rows = await session.execute(
            select(Document.id, Document.status).where(Document.id.in_(ids))
        )
        return {doc_id: str(status) for doc_id, status in rows.all()}


async def test_one_job_embeds_every_waiting_document_in_one_call(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    embedder = CallLog(container)
    ids = await _waiting_documents(live_client, live_tenant, container, embedder)

    outcome = await indexing.index_documents(container.sessionmaker, embedder, ids[2])

    assert outcome.status == "indexed"
    assert set(outcome.ready) == set(ids)
    assert len(embedder.calls) == 1  # one model call for the five documents
    assert sorted(t.split("\n")[-1] for t in embedder.calls[0]) == sorted(BODIES)
    assert set((await _statuses(container, ids)).values()) == {"ready"}
    status = (
        await live_client.get(f"/v1/documents/{ids[0]}/status", headers=live_tenant.headers)
    ).json()
    stage = status["status_detail"]["stages"][-1]
    assert (stage["name"], stage["batch"], stage["items"]) == ("index", 5, 1)
    # The companions' own jobs find them done and embed nothing.
    for doc_id in ids:
        assert await indexing.run_indexing(container.sessionmaker, embedder, doc_id) == (
            "done_already"
        )
    assert len(embedder.calls) == 1
    async with container.sessionmaker() as session:
        held = await session.execute(
            select(IndexedDocument.document_id).where(IndexedDocument.document_id.in_(ids))
        )
        assert set(held.scalars().all()) == set(ids)


async def test_documents_another_job_holds_are_skipped_and_the_own_one_waited_for(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    embedder = CallLog(container)
    ids = await _waiting_documents(live_client, live_tenant, container, embedder)
    own, held = ids[0], ids[3]
    async with container.sessionmaker() as other:  # another job's batch holds two documents
        await other.execute(
            text("SELECT 1 FROM document WHERE id = ANY(:ids) FOR UPDATE"), {"ids": [own, held]}
        )
        job = asyncio.create_task(indexing.index_documents(container.sessionmaker, embedder, own))
        for _ in range(200):  # the job indexes the three free ones, then waits for its own
            statuses = await _statuses(container, ids)
            if list(statuses.values()).count("ready") == 3:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        assert [statuses[d] for d in ids] == ["indexing", "ready", "ready", "indexing", "ready"]
        assert not job.done()
        await other.rollback()  # the other job ends without indexing them
    outcome = await asyncio.wait_for(job, timeout=30)

    assert outcome.status == "indexed"  # its own document, alone, once the lock was free
    assert set(outcome.ready) == {ids[1], ids[2], ids[4], own}
    assert [len(call) for call in embedder.calls] == [3, 1]
    assert (await _statuses(container, [held]))[held] == "indexing"  # left to its own job
    assert await indexing.run_indexing(container.sessionmaker, embedder, held) == "indexed"


async def test_a_failing_document_does_not_fail_the_others(
    live_client: httpx.AsyncClient, live_tenant: TenantUser, container: Container
) -> None:
    embedder = CallLog(container, poison="magma")
    ids = await _waiting_documents(live_client, live_tenant, container, embedder)
    poisoned = ids[1]

    assert await indexing.run_indexing(container.sessionmaker, embedder, ids[0]) == "indexed"

    statuses = await _statuses(container, ids)
    assert statuses[ids[0]] == "ready"  # retried alone after the batch failed
    assert [statuses[d] for d in ids[1:]] == ["indexing"] * 4  # the batch left no trace
    with pytest.raises(indexing.IndexingError):
        await indexing.run_indexing(container.sessionmaker, embedder, poisoned, batch=1)
    # Once its own job has failed it, batches form again around it.
    await pipeline.fail(
        container.sessionmaker, poisoned, stage="index", code="embedding_failed", message="x"
    )
    embedder.calls.clear()
    outcome = await indexing.index_documents(container.sessionmaker, embedder, ids[2])
    assert set(outcome.ready) == set(ids[2:])
    assert len(embedder.calls) == 1
    statuses = await _statuses(container, ids)
    assert [statuses[d] for d in ids] == ["ready", "failed", "ready", "ready", "ready"]
