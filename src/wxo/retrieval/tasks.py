"""Celery tasks of the Vector Index: index one document; refresh (or rebuild) one index.

Thin wrappers over `indexing` and `service`, on the worker runtime of `wxo.documents.tasks`
(one container and event loop per worker process, built on first use).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from celery import Task

from wxo.container import Container
from wxo.core.errors import AppError, RateLimitedError, UpstreamAuthError, UpstreamError
from wxo.documents import annotation, pipeline
from wxo.documents.jobs import INDEX_TASK
from wxo.documents.tasks import get_runtime, run_in, task
from wxo.llm import service as proxy
from wxo.queue.celery_app import INDEX_SWEEP_TASK
from wxo.retrieval import indexing, service

logger = logging.getLogger(__name__)
EMBED_BATCH = 64  # texts per embedding call: bounded memory, progress between batches


def embedder_for(container: Container) -> indexing.Embedder:
    """Embeddings through the Model Proxy, as the tenant's own API calls would get them."""

    async def embed(
        tenant_id: uuid.UUID, model: str | None, texts: Sequence[str]
    ) -> list[list[float]]:
        ctx = proxy.proxy_for(container, tenant_id)
        try:
            async with container.sessionmaker() as session:
                route = await proxy.resolve_route(session, ctx, model, "embedding")
            vectors: list[list[float]] = []
            for start in range(0, len(texts), EMBED_BATCH):
                _, result = await proxy.embed(ctx, route, texts[start : start + EMBED_BATCH])
                vectors.extend(list(v) for v in result.vectors)
            return vectors
        except AppError as exc:
            transient = isinstance(exc, UpstreamError | RateLimitedError) and not isinstance(
                exc, UpstreamAuthError
            )
            raise indexing.IndexingError(
                "embedding_failed",
                f"Embedding with {model or 'the default model'} failed: {exc}",
                permanent=not transient,
            ) from exc
        finally:
            await container.usage.flush()

    return embed


@task(INDEX_TASK)
def index_document(self: Task, document_id: str) -> str:
    """Index a document; transient embedding failures retry with back-off, then fail it.

    Every document the job made ready (its own and those of its batch) then gets its annotate
    job, at low priority; a lost one is the sweeper's.
    """
    runtime = get_runtime(self)
    container = runtime.container
    settings = container.settings.documents
    try:
        outcome = run_in(
            runtime,
            indexing.index_documents(
                container.sessionmaker, embedder_for(container), uuid.UUID(document_id)
            ),
        )
    except indexing.IndexingError as exc:
        retries = int(self.request.retries or 0)
        if not exc.permanent and retries < settings.max_retries:
            countdown = min(2**retries, settings.retry_backoff_max)
            logger.warning("index %s: %s; retry in %ss", document_id, exc.message, countdown)
            raise self.retry(exc=exc, countdown=countdown) from exc
        run_in(
            runtime,
            pipeline.fail(
                container.sessionmaker,
                uuid.UUID(document_id),
                stage="index",
                code=exc.code,
                message=exc.message,
            ),
        )
        return "failed"
    annotation.queue_annotations(container.queue, outcome.ready, patience=60.0)
    return outcome.status


@task(service.REFRESH_TASK)
def refresh_index(self: Task, index_id: str) -> int:
    """Queue an index job for every document the index lacks or holds an older form of."""
    runtime = get_runtime(self)
    container = runtime.container
    return run_in(
        runtime,
        service.queue_stale_documents(container.sessionmaker, container.queue, uuid.UUID(index_id)),
    )


@task(INDEX_SWEEP_TASK)
def sweep_indices(self: Task) -> int:
    """Queue what indices lack (Celery beat); skipped while the queue holds messages."""
    runtime = get_runtime(self)
    container = runtime.container
    if container.queue.backlog():
        return 0
    return run_in(runtime, service.queue_all_stale(container.sessionmaker, container.queue))
