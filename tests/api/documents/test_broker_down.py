"""A broker that is down when a document arrives: the document is kept, the job sent later."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.api.documents.conftest import make_collection
from tests.conftest import TenantUser
from wxo.documents.dependencies import get_queue
from wxo.queue.base import Priority


class DownQueue:
    """A queue whose broker refuses every message (as kombu does with Redis down)."""

    def enqueue(
        self, task_name: str, *, priority: Priority = Priority.NORMAL, **payload: Any
    ) -> str:
        """Fail like a broker that is down."""
        raise ConnectionRefusedError("redis is down")

    def backlog(self) -> int:
        """Fail like a broker that is down."""
        raise ConnectionRefusedError("redis is down")

    def workers_alive(self, timeout: float) -> int:
        """No worker answers."""
        return 0

    def warm_up(self) -> None:
        """Fail like a broker that is down."""
        raise ConnectionRefusedError("redis is down")


async def test_an_upload_while_the_broker_is_down_is_accepted_and_stays_queued(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    # The sweeper sends its job later: tests/integration/documents/test_pipeline.py.
    async def down() -> DownQueue:
        return DownQueue()

    app.dependency_overrides[get_queue] = down
    collection = await make_collection(client, tenant_a)

    response = await client.post(
        f"/v1/document-collections/{collection['id']}/documents",
        files=[("files", ("a.txt", b"kept while redis is down", "text/plain"))],
        headers=tenant_a.headers,
    )

    assert response.status_code == 202, response.text
    document = response.json()["data"][0]["document"]
    assert document["status"] == "queued"
    fetched = await client.get(f"/v1/documents/{document['id']}", headers=tenant_a.headers)
    assert fetched.json()["status"] == "queued"
