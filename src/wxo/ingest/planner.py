"""Decide, file by file, what `wxo ingest` does: create, replace the bytes, or skip as unchanged.

Pure logic: the remote side comes in as `RemoteDocument`s (from `GET /v1/documents`), the local
side as `LocalFile`s and a hash function, so the rules are tested without a server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from wxo.ingest.files import LocalFile, sha256_of


class Action(StrEnum):
    """What to do with one local file."""

    CREATE = "create"  # no document of that name: upload it in a batch
    REPLACE = "replace"  # a document of that name holds other bytes: upload into it
    UNCHANGED = "unchanged"  # a document of that name holds these very bytes


@dataclass(frozen=True)
class RemoteDocument:
    """What the server holds, as far as planning goes."""

    id: str
    name: str
    content_hash: str | None


@dataclass(frozen=True)
class Step:
    """One file and its action; `document_id` is the document replaced or found unchanged."""

    file: LocalFile
    sha256: str
    action: Action
    document_id: str | None = None


def plan(
    files: Iterable[LocalFile],
    remote: Iterable[RemoteDocument],
    *,
    hash_of: Callable[[LocalFile], str] = lambda f: sha256_of(f.path),
) -> list[Step]:
    """One step per file, compared by name and sha256 with the collection's documents.

    `remote` must be newest first (the order of `GET /v1/documents`): when several documents share
    a name (versions), a file equal to any of them is unchanged, and a changed file replaces the
    bytes of the newest. Files whose bytes sit under another name are created; the collection's
    duplicate policy then decides on the server (skip by default).
    """
    by_name: dict[str, list[RemoteDocument]] = {}
    for document in remote:
        by_name.setdefault(document.name, []).append(document)
    steps = []
    for file in files:
        digest = hash_of(file)
        same_name = by_name.get(file.name, [])
        equal = next((d for d in same_name if d.content_hash == digest), None)
        if equal is not None:
            steps.append(Step(file, digest, Action.UNCHANGED, equal.id))
        elif same_name:
            steps.append(Step(file, digest, Action.REPLACE, same_name[0].id))
        else:
            steps.append(Step(file, digest, Action.CREATE))
    return steps


def batches(steps: Sequence[Step], *, max_files: int, max_bytes: int) -> list[list[Step]]:
    """Group steps into upload batches of at most `max_files` files and `max_bytes` bytes.

    A single file larger than `max_bytes` still gets a batch of its own.
    """
    groups: list[list[Step]] = []
    current: list[Step] = []
    size = 0
    for step in steps:
        if current and (len(current) >= max_files or size + step.file.size > max_bytes):
            groups.append(current)
            current, size = [], 0
        current.append(step)
        size += step.file.size
    if current:
        groups.append(current)
    return groups
