"""The container's start-up warm-up: the queue is ready before requests; a broker down is not fatal."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from wxo.container import Container
from wxo.queue.base import Priority


class _DownQueue:
    """A queue whose broker refuses every call."""

    def enqueue(
        self, task_name: str, *, priority: Priority = Priority.NORMAL, **payload: Any
    ) -> str:
        raise ConnectionRefusedError("redis is down")

    def backlog(self) -> int:
        raise ConnectionRefusedError("redis is down")

    def workers_alive(self, timeout: float) -> int:
        return 0

    def warm_up(self) -> None:
        raise ConnectionRefusedError("redis is down")


async def test_a_broker_that_is_down_at_start_up_is_logged_not_fatal(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    down = dataclasses.replace(container, queue=_DownQueue())

    await down.warm_up()  # does not raise

    assert "could not reach the queue's broker at start-up" in caplog.text


async def test_warm_up_reaches_the_real_broker(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    await container.warm_up()

    assert "could not reach the queue's broker" not in caplog.text
    assert container.queue.backlog() >= 0  # the pooled connection it opened still answers
