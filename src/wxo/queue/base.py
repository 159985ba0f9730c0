"""The queue seam: services enqueue by task name; Celery stays behind this Protocol."""

from enum import StrEnum
from typing import Any, Protocol


class Priority(StrEnum):
    """How soon a job runs relative to the others waiting.

    `LOW` jobs (a document's annotation, after it is searchable) are taken only while no
    `NORMAL` job waits, so a backlog of them never delays extraction or indexing.
    """

    NORMAL = "normal"
    LOW = "low"


class Queue(Protocol):
    """Something that runs named tasks later, on a worker."""

    def enqueue(
        self, task_name: str, *, priority: Priority = Priority.NORMAL, **payload: Any
    ) -> str:
        """Send `task_name(**payload)` to a worker; return the job id."""
        ...

    def backlog(self) -> int:
        """How many jobs of any priority wait (not counting those a worker already took)."""
        ...

    def workers_alive(self, timeout: float) -> int:
        """How many workers answered a ping within `timeout` seconds."""
        ...

    def warm_up(self) -> None:
        """Load what the first job would load and connect to the broker, ahead of requests."""
        ...
