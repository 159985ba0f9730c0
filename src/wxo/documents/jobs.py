"""Pipeline jobs of the Document Store: their task names, and sending them for documents.

Task names, not imports: the domains that implement a stage (`wxo.documents.tasks`,
`wxo.retrieval.tasks`) and those that send it do not import each other for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from wxo.queue.base import Priority, Queue

logger = logging.getLogger(__name__)

EXTRACT_TASK = "wxo.documents.extract"
FETCH_TASK = "wxo.documents.fetch"
# Implemented by `wxo.retrieval.tasks`: the stage after extraction.
INDEX_TASK = "wxo.retrieval.index_document"
# Keywords, entities and the LLM summary of a ready document; sent at `Priority.LOW`.
ANNOTATE_TASK = "wxo.documents.annotate"


def send_job(
    queue: Queue,
    task: str,
    document_id: uuid.UUID,
    *,
    patience: float = 0.0,
    priority: Priority = Priority.NORMAL,
) -> bool:
    """Send a pipeline job for a committed document; a broker that is down is not an error.

    The document is already stored as `queued`: failing the request would tell the client it
    was not, and a retry would meet the duplicate policy. The sweeper (Celery beat,
    `sweep_stuck_after_seconds`) sends the job once the broker is back. A worker handing a
    document to its next stage passes `patience` (seconds): it keeps trying that long first, so
    a broker restart does not leave the document waiting for the sweeper.
    """
    return _send(queue, task, job_kwargs([document_id]), patience, priority)


def send_batch_job(
    queue: Queue, task: str, document_ids: Sequence[uuid.UUID], *, patience: float = 0.0
) -> bool:
    """One job for several committed documents (`document_ids`), as `send_job` sends one."""
    return _send(queue, task, job_kwargs(document_ids), patience, Priority.NORMAL)


async def send_jobs(queue: Queue, task: str, batches: Sequence[Sequence[uuid.UUID]]) -> None:
    """`send_batch_job` for each batch, from async code.

    The broker's blocking socket I/O runs in a worker thread rather than on the event loop,
    where every other request would wait for it.
    """

    def send_all() -> None:
        for batch in batches:
            send_batch_job(queue, task, batch)

    if batches:
        await asyncio.to_thread(send_all)


def job_kwargs(document_ids: Sequence[uuid.UUID]) -> dict[str, Any]:
    """A pipeline task's keyword arguments: `document_id` for one, `document_ids` for more."""
    if len(document_ids) == 1:
        return {"document_id": str(document_ids[0])}
    return {"document_ids": [str(i) for i in document_ids]}


def job_ids(
    document_id: str | None = None, document_ids: Sequence[str] | None = None
) -> list[uuid.UUID]:
    """The documents of a job that `job_kwargs` (or `send_job`) made.

    Raises:
        ValueError: neither is given, or an id is not a UUID.
    """
    ids = [*([document_id] if document_id else []), *(document_ids or [])]
    if not ids:
        raise ValueError("a pipeline job needs document_id or document_ids")
    return [uuid.UUID(i) for i in ids]


def extract_batches(
    documents: Sequence[tuple[uuid.UUID, int]], *, max_documents: int, max_bytes: int
) -> list[list[uuid.UUID]]:
    """Documents (id, size in bytes) grouped into extract jobs, in order.

    A job holds at most `max_documents` documents and, unless it holds one only, `max_bytes`
    of originals: a worker keeps a job's results in memory until it stores them together.
    """
    batches: list[list[uuid.UUID]] = []
    size = 0
    for document_id, size_bytes in documents:
        if not batches or len(batches[-1]) >= max_documents or size + size_bytes > max_bytes:
            batches.append([])
            size = 0
        batches[-1].append(document_id)
        size += size_bytes
    return batches


def _send(
    queue: Queue, task: str, payload: dict[str, Any], patience: float, priority: Priority
) -> bool:
    deadline = time.monotonic() + patience
    while True:
        try:
            queue.enqueue(task, priority=priority, **payload)
            return True
        except Exception:  # any broker failure: retry while patient, then the sweeper's
            if time.monotonic() >= deadline:
                logger.warning("could not send %s for %s; the sweeper will", task, payload)
                return False
            time.sleep(0.5)
