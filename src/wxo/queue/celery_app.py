"""The Celery application, built from settings (no module-level app)."""

from __future__ import annotations

from typing import Any

from celery import Celery

from wxo.core.config import DocumentSettings
from wxo.runtime.embedded import celery_broker_url

TASK_MODULES: list[str] = ["wxo.documents.tasks", "wxo.retrieval.tasks"]
# Task names, not imports: the queue package does not depend on the domains it carries.
SWEEP_TASK = "wxo.documents.sweep"
INDEX_SWEEP_TASK = "wxo.retrieval.sweep"


def beat_schedule(documents: DocumentSettings) -> dict[str, dict[str, Any]]:
    """The periodic tasks run by Celery beat (`wxo worker --beat`, embedded in `wxo serve`)."""
    if documents.sweep_interval_seconds <= 0:
        return {}
    return {
        "documents-sweep": {
            "task": SWEEP_TASK,
            "schedule": documents.sweep_interval_seconds,
            "kwargs": {"older_than_seconds": documents.sweep_stuck_after_seconds},
            # A sweep not started within one interval is dropped: the next one does its work.
            "options": {"expires": documents.sweep_interval_seconds},
        },
        # Documents an index lacks although they are extracted (a lost refresh job).
        "indices-sweep": {
            "task": INDEX_SWEEP_TASK,
            "schedule": documents.sweep_interval_seconds,
            "options": {"expires": documents.sweep_interval_seconds},
        },
    }


def create_celery(redis_url: str, documents: DocumentSettings | None = None) -> Celery:
    """A Celery app on Redis, configured for at-least-once delivery of idempotent tasks."""
    broker = celery_broker_url(redis_url)
    app = Celery("wxo", broker=broker, include=TASK_MODULES)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        worker_hijack_root_logger=False,
        task_serializer="json",
        accept_content=["json"],
        beat_schedule=beat_schedule(documents or DocumentSettings()),
    )
    return app


class CeleryQueue:
    """`Queue` implemented with Celery."""

    def __init__(self, app: Celery) -> None:
        """Wrap a configured Celery app."""
        self.app = app

    def enqueue(self, task_name: str, **payload: Any) -> str:
        """Send a task by name; the worker resolves it."""
        result = self.app.send_task(task_name, kwargs=payload)
        return str(result.id)

    def backlog(self) -> int:
        """Messages waiting in the default queue (for Redis, the list's length)."""
        with self.app.connection_for_read() as connection:
            declared = connection.default_channel.queue_declare(
                queue=self.app.conf.task_default_queue, passive=False
            )
        return int(declared.message_count)

    def workers_alive(self, timeout: float) -> int:
        """Broadcast a ping and count the replies."""
        replies = self.app.control.ping(timeout=timeout)
        return len(replies or [])
