"""Document Store test fixtures: a recording queue instead of Celery, helpers to create things."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import TenantUser
from wxo.documents.dependencies import get_queue
from wxo.documents.jobs import job_ids
from wxo.queue.base import Priority


class RecordingQueue:
    """A `Queue` that remembers what was enqueued (no worker needed)."""

    def __init__(self) -> None:
        """Start empty."""
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.priorities: list[Priority] = []  # one per entry of `sent`
        self.waiting = 0  # what `backlog` reports (set it to test backpressure)

    def enqueue(
        self, task_name: str, *, priority: Priority = Priority.NORMAL, **payload: Any
    ) -> str:
        """Record the task."""
        self.sent.append((task_name, payload))
        self.priorities.append(priority)
        return f"job-{len(self.sent)}"

    def document_ids(self, since: int = 0) -> list[str]:
        """The documents of the pipeline jobs sent (from entry `since` on), in order."""
        return [str(i) for _, payload in self.sent[since:] for i in job_ids(**payload)]

    def backlog(self) -> int:
        """Jobs said to be waiting."""
        return self.waiting

    def workers_alive(self, timeout: float) -> int:
        """No workers here."""
        return 0

    def warm_up(self) -> None:
        """Nothing to load."""


@pytest.fixture
def queue(app: FastAPI) -> RecordingQueue:
    """The recording queue the app's document routes use."""
    recording = RecordingQueue()

    async def override() -> RecordingQueue:
        return recording

    app.dependency_overrides[get_queue] = override
    return recording


async def make_collection(
    client: httpx.AsyncClient, tenant: TenantUser, name: str = "docs", **body: Any
) -> dict[str, Any]:
    """Create a collection; assert 201."""
    response = await client.post(
        "/v1/document-collections", json={"name": name, **body}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    collection: dict[str, Any] = response.json()
    return collection


async def make_text_document(
    client: httpx.AsyncClient,
    tenant: TenantUser,
    collection_id: str,
    text: str = "Hello world",
    name: str = "hello.txt",
    **body: Any,
) -> httpx.Response:
    """POST /v1/documents with text."""
    return await client.post(
        "/v1/documents",
        json={"name": name, "collection_id": collection_id, "text": text, **body},
        headers=tenant.headers,
    )
