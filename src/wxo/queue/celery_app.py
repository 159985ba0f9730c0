"""The Celery application, built from settings (no module-level app)."""

from __future__ import annotations

from typing import Any

from celery import Celery

from wxo.runtime.embedded import celery_broker_url

TASK_MODULES: list[str] = ["wxo.documents.tasks"]


def create_celery(redis_url: str) -> Celery:
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

    def workers_alive(self, timeout: float) -> int:
        """Broadcast a ping and count the replies."""
        replies = self.app.control.ping(timeout=timeout)
        return len(replies or [])
