"""The blob store contract: bytes in, their sha256 out; keys are hashes, never names."""

from __future__ import annotations

import re
from typing import Protocol

_KEY = re.compile(r"[0-9a-f]{64}")


class BlobNotFoundError(Exception):
    """No blob is stored under this key."""


class InvalidBlobKeyError(ValueError):
    """A key that is not a lowercase hex sha256 (never used to build a path)."""


def check_key(key: str) -> str:
    """Return `key` if it is a lowercase hex sha256, else raise `InvalidBlobKeyError`."""
    if not _KEY.fullmatch(key):
        raise InvalidBlobKeyError("blob keys are lowercase hex sha256 digests")
    return key


class BlobStore(Protocol):
    """Immutable, content-addressed storage: the same bytes always get the same key."""

    def put(self, data: bytes) -> str:
        """Store `data` (a no-op if it is already stored); return its sha256 hex key."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`; raises `BlobNotFoundError`."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob under `key` (no error if it is already gone)."""
        ...
