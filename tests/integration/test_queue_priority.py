"""`CeleryQueue` priorities on the real Redis broker: low-priority jobs wait behind the others."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from celery import Celery

from wxo.core.config import Settings
from wxo.queue.base import Priority
from wxo.queue.celery_app import CeleryQueue, create_celery


@pytest.fixture
def app(settings: Settings) -> Iterator[Celery]:
    """A Celery app on the session's Redis with a queue of its own (no worker consumes it)."""
    celery = create_celery(settings.require_redis_url())
    celery.conf.task_default_queue = f"priority-test-{uuid.uuid4().hex[:8]}"
    try:
        yield celery
    finally:
        with celery.connection_for_write() as connection:
            connection.default_channel.queue_delete(celery.conf.task_default_queue)


def test_low_priority_jobs_are_consumed_after_every_default_one(app: Celery) -> None:
    queue = CeleryQueue(app)
    for n, priority in enumerate([Priority.LOW, Priority.NORMAL, Priority.LOW, Priority.NORMAL]):
        queue.enqueue(f"wxo.test.{priority.value}", priority=priority, n=n)

    waiting = queue.backlog()
    consumed = []
    with app.connection_for_read() as connection:
        # A consumer pops the broker's lists as a worker does (one BRPOP over all of them).
        simple = connection.SimpleQueue(app.conf.task_default_queue)
        try:
            for _ in range(4):
                message = simple.get(timeout=5)
                consumed.append((message.headers["task"], message.payload[1]["n"]))
                message.ack()
        finally:
            simple.close()

    assert waiting == 4  # the backlog counts every priority
    assert consumed == [
        ("wxo.test.normal", 1),
        ("wxo.test.normal", 3),
        ("wxo.test.low", 0),
        ("wxo.test.low", 2),
    ]
    assert queue.backlog() == 0


def test_a_default_job_sent_while_low_ones_wait_is_consumed_first(app: Celery) -> None:
    queue = CeleryQueue(app)
    for n in range(3):
        queue.enqueue("wxo.test.low", priority=Priority.LOW, n=n)
    with app.connection_for_read() as connection:
        simple = connection.SimpleQueue(app.conf.task_default_queue)
        try:
            first = simple.get(timeout=5)
            first.ack()
            queue.enqueue("wxo.test.normal", n=9)  # arrives behind a backlog of low ones
            second = simple.get(timeout=5)
            second.ack()
        finally:
            simple.close()

    assert first.headers["task"] == "wxo.test.low"
    assert (second.headers["task"], second.payload[1]["n"]) == ("wxo.test.normal", 9)
    assert queue.backlog() == 2
