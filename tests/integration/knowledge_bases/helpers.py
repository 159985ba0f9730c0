"""Knowledge bases made for real (committed, extracted and indexed) for integration tests."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import text

from tests.api.documents.conftest import RecordingQueue
from tests.conftest import TenantUser
from tests.integration.retrieval.conftest import CountingEmbedder, process
from wxo.container import Container
from wxo.documents.dependencies import get_queue
from wxo.main import create_app


@contextlib.asynccontextmanager
async def committing_client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """A committing client whose routes send jobs to a recording queue (processed by hand)."""
    application = create_app(container.settings, container)
    recording = RecordingQueue()

    async def override() -> RecordingQueue:
        return recording

    application.dependency_overrides[get_queue] = override
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def indexed_knowledge_base(
    http: httpx.AsyncClient,
    tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    *,
    name: str,
    description: str,
    files: dict[str, str],
) -> dict[str, Any]:
    """A knowledge base of `files` (name -> text), every document extracted and indexed."""
    response = await http.post(
        "/v1/orchestrate/knowledge-bases/documents",
        data={
            "knowledge_base": json.dumps({"name": name, "description": description}),
            "file_urls": "{}",
        },
        files=[("files", (file, body.encode())) for file, body in files.items()],
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    kb: dict[str, Any] = response.json()
    for placed in kb["files"]:
        await process(container, embedder, placed["document_id"])
    return kb


async def collection_chunks(container: Container, collection_id: str) -> set[str]:
    """The text of every chunk of the collection's documents."""
    async with container.sessionmaker() as session:
        rows = await session.execute(
            text(
                "SELECT c.text FROM chunk c JOIN document d ON d.id = c.document_id"
                " WHERE d.collection_id = :c"
            ),
            {"c": uuid.UUID(collection_id)},
        )
        return {r[0] for r in rows}
