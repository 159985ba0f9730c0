"""The container's start-up warm-up: the queue is ready before requests; a broker down is not fatal."""

from __future__ import annotations

import dataclasses

import pytest

from tests.api.documents.test_broker_down import DownQueue
from wxo.container import Container


async def test_a_broker_that_is_down_at_start_up_is_logged_not_fatal(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    down = dataclasses.replace(container, queue=DownQueue())

    await down.warm_up()  # does not raise

    assert "could not reach the queue's broker at start-up" in caplog.text


async def test_warm_up_reaches_the_real_broker(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    await container.warm_up()

    assert "could not reach the queue's broker" not in caplog.text
    assert container.queue.backlog() >= 0  # the pooled connection it opened still answers
