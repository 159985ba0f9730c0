"""A blob store in a local folder: `<root>/ab/cd/<sha256>`, written atomically."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from wxo.blobs.base import BlobNotFoundError, check_key


class FilesystemBlobStore:
    """`BlobStore` on the local filesystem.

    Writes go to a temporary file in the target folder, are flushed to disk and renamed into
    place, so readers never see a partial blob and a crash leaves at most a stray temp file.
    """

    def __init__(self, root: Path) -> None:
        """Use (and create on first write) the folder `root`."""
        self.root = root

    def path_for(self, key: str) -> Path:
        """Where the blob `key` lives (the key is validated: it never escapes `root`)."""
        check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        """Store `data`; return its sha256 hex key."""
        key = hashlib.sha256(data).hexdigest()
        path = self.path_for(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        return key

    def get(self, key: str) -> bytes:
        """The bytes under `key`."""
        try:
            return self.path_for(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFoundError(key) from None

    def exists(self, key: str) -> bool:
        """Whether `key` is stored."""
        return self.path_for(key).is_file()

    def delete(self, key: str) -> None:
        """Remove `key` if present."""
        with contextlib.suppress(FileNotFoundError):
            self.path_for(key).unlink()
