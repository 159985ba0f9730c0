"""Writing originals to the blob store off the event loop, one file or a batch at once."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import anyio

from wxo.blobs.base import BlobStore

# Files of one upload written at once: their fsyncs overlap (the filesystem commits them together).
_WRITERS = 8


async def put_blob(blobs: BlobStore, data: bytes) -> str:
    """Store bytes off the event loop; return their key.

    Hashing and fsync take milliseconds per file: a batch upload would otherwise stall every
    other request of the process (bench/ingest.py).
    """
    return await anyio.to_thread.run_sync(blobs.put, data)


async def put_blobs(blobs: BlobStore, contents: Sequence[bytes]) -> list[str]:
    """Store several files' bytes off the event loop, eight at a time; their keys in order."""
    if len(contents) == 1:
        return [await put_blob(blobs, contents[0])]
    return await anyio.to_thread.run_sync(_put_each, blobs, contents)


def _put_each(blobs: BlobStore, contents: Sequence[bytes]) -> list[str]:
    with ThreadPoolExecutor(max_workers=min(_WRITERS, len(contents))) as pool:
        return list(pool.map(blobs.put, contents))
