"""The local side: walk a folder, skip what must not be sent, hash what may."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class LocalFile:
    """A file to consider: its document name (the path relative to the root, with `/`)."""

    name: str
    path: Path
    size: int


@dataclass(frozen=True)
class LocalSkip:
    """A file left out before anything is sent, and why."""

    name: str
    reason: str


def walk(root: Path, *, max_file_bytes: int) -> tuple[list[LocalFile], list[LocalSkip]]:
    """Files under `root` (or `root` itself), sorted by name; hidden files and folders are ignored.

    Files larger than `max_file_bytes`, empty files and unreadable ones are returned as skips with
    a reason. Symbolic links to folders are not followed (no loops).
    """
    files: list[LocalFile] = []
    skips: list[LocalSkip] = []
    for name, path in _candidates(root):
        try:
            size = path.stat().st_size
        except OSError as exc:
            skips.append(LocalSkip(name, f"cannot read: {exc.strerror or exc}"))
            continue
        if size > max_file_bytes:
            skips.append(
                LocalSkip(name, f"{size} bytes is over the server's limit of {max_file_bytes}")
            )
        elif size == 0:
            skips.append(LocalSkip(name, "empty file"))
        else:
            files.append(LocalFile(name=name, path=path, size=size))
    files.sort(key=lambda f: f.name)
    skips.sort(key=lambda s: s.name)
    return files, skips


def _candidates(root: Path) -> Iterator[tuple[str, Path]]:
    if root.is_file():
        yield root.name, root
        return
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        base = Path(directory)
        for name in sorted(names):
            path = base / name
            if name.startswith(".") or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path


def sha256_of(path: Path) -> str:
    """The sha256 hex digest of a file's bytes, read in chunks (what the server stores)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
