"""Pipeline jobs of the Document Store: their task names, and sending one for a document.

Task names, not imports: the domains that implement a stage (`wxo.documents.tasks`,
`wxo.retrieval.tasks`) and those that send it do not import each other for it.
"""

from __future__ import annotations

import logging
import time
import uuid

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
    deadline = time.monotonic() + patience
    while True:
        try:
            queue.enqueue(task, priority=priority, document_id=str(document_id))
            return True
        except Exception:  # any broker failure: retry while patient, then the sweeper's
            if time.monotonic() >= deadline:
                logger.warning(
                    "could not send %s for document %s; the sweeper will", task, document_id
                )
                return False
            time.sleep(0.5)
