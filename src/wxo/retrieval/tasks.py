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
from wxo.documents.jobs import INDEX_TASK, job_ids, job_kwargs
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
def index_document(
    self: Task, document_id: str | None = None, document_ids: list[str] | None = None
) -> str:
    """Index a job's documents; transient embedding failures retry with back-off, then fail.

    Each document's indexing takes others waiting in its collection along (`index_documents`);
    a document made ready that way is not looked at again. Every document the job made ready
    then gets its annotate job, at low priority; a lost one is the sweeper's.
    """
    runtime = get_runtime(self)
    container = runtime.container
    settings = container.settings.documents
    ids = job_ids(document_id, document_ids)
    ready: list[uuid.UUID] = []
    outcomes: list[str] = []
    for position, own in enumerate(ids):
        if own in ready:
            continue
        try:
            outcome = run_in(
                runtime,
                indexing.index_documents(container.sessionmaker, embedder_for(container), own),
            )
        except indexing.IndexingError as exc:
            retries = int(self.request.retries or 0)
            if not exc.permanent and retries < settings.max_retries:
                annotation.queue_annotations(container.queue, ready, patience=60.0)
                countdown = min(2**retries, settings.retry_backoff_max)
                logger.warning("index %s: %s; retry in %ss", own, exc.message, countdown)
                raise self.retry(
                    kwargs=job_kwargs(ids[position:]), exc=exc, countdown=countdown
                ) from exc
            run_in(
                runtime,
                pipeline.fail(
                    container.sessionmaker, own, stage="index", code=exc.code, message=exc.message
                ),
            )
            outcomes.append("failed")
            continue
        ready.extend(outcome.ready)
        outcomes.append(outcome.status)
    annotation.queue_annotations(container.queue, ready, patience=60.0)
    return ", ".join(outcomes)


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
