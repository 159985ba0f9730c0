"""The filesystem blob store: content addressing, atomic layout, key validation."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from wxo.blobs.base import BlobNotFoundError, InvalidBlobKeyError
from wxo.blobs.filesystem import FilesystemBlobStore


def test_put_returns_sha256_and_stores_under_two_level_fan_out(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    key = store.put(b"hello")

    assert key == hashlib.sha256(b"hello").hexdigest()
    assert (tmp_path / key[:2] / key[2:4] / key).read_bytes() == b"hello"
    assert store.put(b"hello") == key  # idempotent
    assert store.get(key) == b"hello"
    assert store.exists(key)
    assert not list(tmp_path.rglob(".tmp-*"))


def test_delete_then_get_raises_not_found_and_delete_again_is_quiet(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    key = store.put(b"x")

    store.delete(key)
    store.delete(key)

    assert not store.exists(key)
    with pytest.raises(BlobNotFoundError):
        store.get(key)


@pytest.mark.parametrize("key", ["../../etc/passwd", "ABC", "a" * 63, "g" * 64, "A" * 64, ""])
def test_keys_that_are_not_sha256_are_refused(tmp_path: Path, key: str) -> None:
    store = FilesystemBlobStore(tmp_path)
    with pytest.raises(InvalidBlobKeyError):
        store.get(key)
    with pytest.raises(InvalidBlobKeyError):
        store.exists(key)
