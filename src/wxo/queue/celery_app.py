"""The Celery application, built from settings (no module-level app)."""

from __future__ import annotations

from typing import Any

from celery import Celery

from wxo.core.config import DocumentSettings
from wxo.queue.base import Priority
from wxo.runtime.embedded import celery_broker_url

TASK_MODULES: list[str] = [
    "wxo.documents.tasks",
    "wxo.retrieval.tasks",
    "wxo.search_engines.tasks",
    "wxo.websources.tasks",
    "wxo.runs.tasks",
]
# Task names, not imports: the queue package does not depend on the domains it carries.
SWEEP_TASK = "wxo.documents.sweep"
INDEX_SWEEP_TASK = "wxo.retrieval.sweep"
REFRESH_TICK_TASK = "wxo.websources.tick"
RUNS_SWEEP_TASK = "wxo.runs.sweep"
# Kombu's Redis transport keeps one list per priority step and a worker pops them in step order
# (BRPOP over all of them, lowest step first): a lower number runs first, and a message without
# a priority goes to step 0, the queue's own list. Low-priority jobs go to the last step.
LOW_PRIORITY_STEP = 9
PRIORITY_STEPS = [0, LOW_PRIORITY_STEP]
# The periodic tasks have a queue of their own: the documents sweep skips itself while jobs wait
# in the default queue, and its peers sent at the same tick must not count as such jobs.
MAINTENANCE_QUEUE = "wxo.maintenance"


def beat_schedule(documents: DocumentSettings) -> dict[str, dict[str, Any]]:
    """The periodic tasks run by Celery beat (`wxo worker --beat`, embedded in `wxo serve`)."""
    if documents.sweep_interval_seconds <= 0:
        return {}
    # A tick not started within one interval is dropped: the next one does its work.
    maintenance = {"expires": documents.sweep_interval_seconds, "queue": MAINTENANCE_QUEUE}
    return {
        "documents-sweep": {
            "task": SWEEP_TASK,
            "schedule": documents.sweep_interval_seconds,
            "kwargs": {"older_than_seconds": documents.sweep_stuck_after_seconds},
            "options": maintenance,
        },
        # Documents an index lacks although they are extracted (a lost refresh job).
        "indices-sweep": {
            "task": INDEX_SWEEP_TASK,
            "schedule": documents.sweep_interval_seconds,
            "options": maintenance,
        },
        # Refresh schedules due (claimed FOR UPDATE SKIP LOCKED) and refresh runs whose worker died.
        "refresh-tick": {
            "task": REFRESH_TICK_TASK,
            "schedule": documents.sweep_interval_seconds,
            "kwargs": {"stuck_after_seconds": documents.sweep_stuck_after_seconds},
            "options": maintenance,
        },
        # Runs whose worker died (stale heartbeat) end `failed`; lost pending runs are re-sent.
        "runs-sweep": {
            "task": RUNS_SWEEP_TASK,
            "schedule": documents.sweep_interval_seconds,
            "options": maintenance,
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
        broker_transport_options={"visibility_timeout": 3600, "priority_steps": PRIORITY_STEPS},
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

    def enqueue(
        self, task_name: str, *, priority: Priority = Priority.NORMAL, **payload: Any
    ) -> str:
        """Send a task by name; the worker resolves it. `LOW` waits behind every other job."""
        options: dict[str, Any] = {}
        if priority is Priority.LOW:
            options["priority"] = LOW_PRIORITY_STEP
        result = self.app.send_task(task_name, kwargs=payload, **options)
        return str(result.id)

    def backlog(self) -> int:
        """Messages waiting in the default queue, every priority (for Redis, its lists' lengths).

        On a connection of the app's broker pool (as `send_task` uses): a connection of its
        own would cost a Redis handshake per call (3-8 ms measured under ingestion).
        """
        with self.app.pool.acquire(block=True) as connection:
            declared = connection.default_channel.queue_declare(
                queue=self.app.conf.task_default_queue, passive=False
            )
        return int(declared.message_count)

    def workers_alive(self, timeout: float) -> int:
        """Broadcast a ping and count the replies."""
        replies = self.app.control.ping(timeout=timeout)
        return len(replies or [])

    def warm_up(self) -> None:
        """Load the producer pool and result backend, and open a pooled broker connection.

        Celery loads them on the first `send_task` otherwise (about 100 ms here).
        """
        _ = self.app.producer_pool, self.app.backend
        self.backlog()
