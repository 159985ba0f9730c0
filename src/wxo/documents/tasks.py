"""Celery tasks of the document pipeline: thin wrappers that run `pipeline` use-cases.

Tasks take ids only. Each worker process builds its own container (engine, blob store, queue)
lazily on first use, in a per-process event loop, never at import time: prefork children must
not share the parent's connections.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from celery import Task, shared_task

from wxo.container import Container, build_container
from wxo.core.config import Settings, get_settings
from wxo.documents import annotation, enrich, pipeline, service
from wxo.documents.jobs import (
    ANNOTATE_TASK,
    EXTRACT_TASK,
    FETCH_TASK,
    INDEX_TASK,
    job_ids,
    job_kwargs,
    send_batch_job,
    send_job,
)
from wxo.extraction import service as extraction
from wxo.llm.service import proxy_for
from wxo.queue.celery_app import CeleryQueue

logger = logging.getLogger(__name__)
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
SWEEP_TASK = "wxo.documents.sweep"


@dataclass
class WorkerRuntime:
    pid: int
    loop: asyncio.AbstractEventLoop
    container: Container
    extractor: pipeline.Extractor
    enricher: annotation.Enricher


_runtime: WorkerRuntime | None = None


def task(name: str) -> Callable[[F], F]:
    """`shared_task(name=..., bind=True)`, typed (Celery's decorator is not)."""
    return cast(Callable[[F], F], shared_task(name=name, bind=True))


def load_extractor(path: str) -> pipeline.Extractor:
    """Import `module:function` (the default is `wxo.extraction.service:extract_lean`)."""
    module_name, _, attribute = path.partition(":")
    return cast(pipeline.Extractor, getattr(importlib.import_module(module_name), attribute))


# Enough text for language detection, in the most common format.
_WARM_UP_PAGE = (
    b"<html><head><title>Warm-up</title></head><body><h1>Warm-up</h1>"
    b"<p>This page loads what the extractor loads on first use.</p></body></html>"
)


def warm_up(settings: Settings) -> None:
    """Extract a small page once, in the worker's main process, before it forks its pool.

    What the extractor loads on first use (py3langid's model, about 0.6 s) is then loaded once
    and shared by the pool's processes, instead of delaying each one's first document.
    """
    extractor = load_extractor(settings.documents.extractor)
    try:
        extractor(_WARM_UP_PAGE, filename="warm-up.html", declared_type="text/html")
    except Exception:  # a custom extractor may refuse HTML: it then loads on first use
        logger.warning("the extractor failed on its warm-up page", exc_info=True)


def _settings(task: Task) -> Settings:
    configured = task.app.conf.get("wxo_settings")
    return configured if isinstance(configured, Settings) else get_settings()


def get_runtime(task: Task) -> WorkerRuntime:
    global _runtime
    if _runtime is None or _runtime.pid != os.getpid():
        settings = _settings(task)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        container = build_container(settings, backend_nice=settings.documents.worker_nice)
        _runtime = WorkerRuntime(
            pid=os.getpid(),
            loop=loop,
            container=container,
            extractor=load_extractor(settings.documents.extractor),
            enricher=_enricher(container),
        )
    return _runtime


def _enricher(container: Container) -> annotation.Enricher:
    """Summaries through the Model Proxy, as the tenant's API calls would get them."""

    async def enrich_for(tenant_id: uuid.UUID, text: str) -> enrich.Enrichment | None:
        proxy = proxy_for(container, tenant_id)
        try:
            async with container.sessionmaker() as session:
                return await enrich.enrich(session, proxy, text)
        finally:
            await container.usage.flush()  # the worker's loop only runs during tasks

    return enrich_for


def run_in(runtime: WorkerRuntime, coroutine: Coroutine[Any, Any, T]) -> T:
    return runtime.loop.run_until_complete(coroutine)


@task(EXTRACT_TASK)
def extract(
    self: Task, document_id: str | None = None, document_ids: list[str] | None = None
) -> str:
    """Extract a job's documents, then send one index job for those extracted.

    A transient failure retries the job for the documents it hit, with exponential back-off,
    then fails them; a document cut short before gets a job of its own (`ExtractBatch`).
    """
    runtime = get_runtime(self)
    container = runtime.container
    documents = container.settings.documents
    ids = job_ids(document_id, document_ids)
    batch = run_in(
        runtime,
        pipeline.extract_documents(container.sessionmaker, container.blobs, runtime.extractor, ids),
    )
    for alone in batch.having("alone"):
        send_job(container.queue, EXTRACT_TASK, alone)
    extracted = batch.having("extracted")
    if extracted:  # the next stage; through a broker restart too
        send_batch_job(container.queue, INDEX_TASK, extracted, patience=60.0)
    if batch.transient:
        retries = int(self.request.retries or 0)
        failure = "; ".join(batch.transient.values())
        if retries < documents.max_retries:
            countdown = min(2**retries, documents.retry_backoff_max)
            logger.warning(
                "extract %s: transient failure, retry in %ss: %s", ids, countdown, failure
            )
            raise self.retry(
                kwargs=job_kwargs(list(batch.transient)),
                exc=pipeline.TransientStageError(failure),
                countdown=countdown,
            )
        for failed_id, message in batch.transient.items():
            run_in(
                runtime,
                pipeline.fail(
                    container.sessionmaker,
                    failed_id,
                    stage="extract",
                    code="retries_exhausted",
                    message=f"Extraction kept failing after {retries + 1} attempts ({message})",
                ),
            )
    return _summary(batch.outcomes)


def _summary(outcomes: dict[uuid.UUID, str]) -> str:
    """A job's result as Celery logs it: the outcome, or each document's for several."""
    if len(outcomes) == 1:
        return next(iter(outcomes.values()))
    return ", ".join(f"{i}: {o}" for i, o in outcomes.items())


@task(ANNOTATE_TASK)
def annotate(self: Task, document_id: str) -> str:
    """Keywords, entities, summary and questions of a ready document (sent at low priority).

    The NLP runs in this worker process, like extraction; a failure is logged by Celery and the
    sweeper sends the job again later (`annotated_at` stays NULL).
    """
    runtime = get_runtime(self)
    container = runtime.container
    return run_in(
        runtime,
        annotation.run_annotation(
            container.sessionmaker, extraction.annotate, uuid.UUID(document_id), runtime.enricher
        ),
    )


@task(FETCH_TASK)
def fetch(self: Task, document_id: str) -> str:
    """Download a document's `source_uri`, then queue its extraction.

    A timeout is retried once (a slow moment of the remote server); the second one fails the
    document with `timeout`. Every other fetch error fails it at once.
    """
    runtime = get_runtime(self)
    container = runtime.container
    io = service.document_io(container.settings.documents, container.blobs, container.queue)
    retries = int(self.request.retries or 0)
    try:
        return run_in(
            runtime,
            pipeline.run_fetch(
                container.sessionmaker, io, uuid.UUID(document_id), final_attempt=retries >= 1
            ),
        )
    except pipeline.TransientStageError as exc:
        countdown = min(2, container.settings.documents.retry_backoff_max)
        logger.warning("fetch %s: timed out, one retry in %ss", document_id, countdown)
        raise self.retry(exc=exc, countdown=countdown, max_retries=1) from exc


@task(SWEEP_TASK)
def sweep(self: Task, older_than_seconds: float = 900.0) -> int:
    """Re-enqueue documents stuck in `queued`/`extracting`/`indexing`, or ready and not annotated (Celery beat runs this periodically).

    Skipped while the broker queue holds messages: a `queued` document may then simply be waiting
    its turn, and re-enqueueing it every interval would pile duplicates onto a backlog.
    """
    backlog = _queue_backlog(self)
    if backlog:
        logger.info("sweep skipped: %s messages still queued", backlog)
        return 0
    runtime = get_runtime(self)
    container = runtime.container
    ids = run_in(
        runtime,
        pipeline.requeue_stuck(
            container.sessionmaker, container.queue, older_than_seconds=older_than_seconds
        ),
    )
    return len(ids)


def _queue_backlog(task: Task) -> int:
    """Messages waiting in the default queue (not those already taken by a worker)."""
    return CeleryQueue(task.app).backlog()
