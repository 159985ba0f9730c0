"""The queue seam: services enqueue by task name; Celery stays behind this Protocol."""

from typing import Any, Protocol


class Queue(Protocol):
    """Something that runs named tasks later, on a worker."""

    def enqueue(self, task_name: str, **payload: Any) -> str:
        """Send `task_name(**payload)` to a worker; return the job id."""
        ...

    def backlog(self) -> int:
        """How many jobs wait in the queue (not counting those a worker already took)."""
        ...

    def workers_alive(self, timeout: float) -> int:
        """How many workers answered a ping within `timeout` seconds."""
        ...
