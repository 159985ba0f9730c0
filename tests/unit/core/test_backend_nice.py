"""`renice_local_backend` touches only a PostgreSQL backend of this machine."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from wxo.core.backend_nice import renice_local_backend

SOCKET_DIR = "/run/postgresql"  # a Unix socket: what a backend of this machine is reached by


@pytest.fixture
def bystander() -> Iterator[int]:
    """A process of this machine that is not PostgreSQL."""
    process = subprocess.Popen(["sleep", "30"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def test_a_backend_reached_over_tcp_is_left_alone(bystander: int) -> None:
    before = os.getpriority(os.PRIO_PROCESS, bystander)
    assert renice_local_backend(bystander, "127.0.0.1", 19) is False
    assert os.getpriority(os.PRIO_PROCESS, bystander) == before


def test_a_process_that_is_not_postgres_is_left_alone(bystander: int) -> None:
    before = os.getpriority(os.PRIO_PROCESS, bystander)
    assert renice_local_backend(bystander, SOCKET_DIR, 19) is False
    assert os.getpriority(os.PRIO_PROCESS, bystander) == before


def test_a_process_that_is_gone_is_not_an_error() -> None:
    process = subprocess.Popen(["true"])
    process.wait()
    assert renice_local_backend(process.pid, SOCKET_DIR, 19) is False
