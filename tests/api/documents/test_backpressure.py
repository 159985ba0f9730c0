"""Backpressure: while the processing queue is full, new documents get 503 and change nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.documents.conftest import RecordingQueue, make_collection
from tests.conftest import TenantUser
from wxo.container import Container
from wxo.documents.models import Document


@pytest.fixture
def full_queue(queue: RecordingQueue, container: Container) -> RecordingQueue:
    queue.waiting = container.settings.documents.max_queued_jobs
    return queue


async def count_documents(session: AsyncSession, tenant: TenantUser) -> int:
    stmt = select(func.count()).select_from(Document).where(Document.tenant_id == tenant.tenant_id)
    return int(await session.scalar(stmt) or 0)


async def test_uploads_and_text_are_refused_with_503_and_retry_after(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantUser,
    full_queue: RecordingQueue,
) -> None:
    collection = await make_collection(client, tenant_a)

    batch = await client.post(
        f"/v1/document-collections/{collection['id']}/documents",
        files=[("files", ("a.txt", b"alpha", "text/plain"))],
        headers=tenant_a.headers,
    )
    text = await client.post(
        "/v1/documents",
        json={"name": "b.txt", "collection_id": collection["id"], "text": "beta"},
        headers=tenant_a.headers,
    )

    for response in (batch, text):
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "60"
        assert "queue is full" in response.json()["detail"]
    assert await count_documents(session, tenant_a) == 0
    assert full_queue.sent == []


async def test_below_the_limit_documents_are_accepted(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, container: Container
) -> None:
    queue.waiting = container.settings.documents.max_queued_jobs - 1
    collection = await make_collection(client, tenant_a)

    response = await client.post(
        "/v1/documents",
        json={"name": "c.txt", "collection_id": collection["id"], "text": "gamma"},
        headers=tenant_a.headers,
    )

    assert response.status_code == 202, response.text
    assert [task for task, _ in queue.sent] == ["wxo.documents.extract"]
