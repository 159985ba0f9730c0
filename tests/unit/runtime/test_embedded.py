"""Sizing the embedded PostgreSQL server."""

from __future__ import annotations

import os

import pytest

from wxo.runtime.embedded import default_shared_buffers_mb, machine_memory

GIB = 2**30


@pytest.mark.parametrize(
    ("memory", "expected"),
    [(512 * 2**20, 128), (GIB, 128), (2 * GIB, 256), (24 * GIB, 3072), (256 * GIB, 8192)],
)
def test_shared_buffers_are_an_eighth_of_memory_within_bounds(memory: int, expected: int) -> None:
    assert default_shared_buffers_mb(memory) == expected


def test_machine_memory_is_the_physical_memory_or_less() -> None:
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 0 < machine_memory() <= physical
