"""`wxo ingest` end to end: walk, plan, upload in batches, follow the documents to the end.

The user interface comes in as a `Progress` (a rich progress bar in the CLI, nothing in tests),
and the result is a `Summary` that the CLI renders.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import httpx

from wxo.ingest.client import ApiError, DocumentStoreClient
from wxo.ingest.files import LocalFile, sha256_of, walk
from wxo.ingest.planner import Action, RemoteDocument, Step, batches, plan

_UPLOADED = {"created", "replaced", "versioned"}
_DONE = {"ready", "failed"}
_STATUS_BY_ID_UP_TO = (
    50  # fewer pending documents than this: ask each one, else list the collection
)


class Outcome(StrEnum):
    """How one file ended."""

    INGESTED = "ingested"  # uploaded and ready
    QUEUED = "queued"  # uploaded; not followed (--no-wait)
    UNCHANGED = "unchanged"  # skipped: the collection already holds these bytes under this name
    SKIPPED = "skipped"  # skipped for another reason (size, duplicate policy...)
    FAILED = "failed"  # refused by the server or failed in the pipeline
    PENDING = "pending"  # still processing when the wait timed out


@dataclass(frozen=True)
class FileResult:
    """One file's outcome, with the reason when it was not ingested."""

    name: str
    outcome: Outcome
    reason: str | None = None
    document_id: str | None = None


@dataclass
class Summary:
    """Everything `wxo ingest` did."""

    collection_id: str
    collection_name: str
    collection_created: bool
    results: list[FileResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        """How many files ended with `outcome`."""
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def ok(self) -> bool:
        """No file failed and none is left pending."""
        return not any(r.outcome in (Outcome.FAILED, Outcome.PENDING) for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (`wxo ingest --json`)."""
        return {
            "collection": {
                "id": self.collection_id,
                "name": self.collection_name,
                "created": self.collection_created,
            },
            "counts": {o.value: self.count(o) for o in Outcome},
            "files": [
                {
                    "name": r.name,
                    "outcome": r.outcome.value,
                    "reason": r.reason,
                    "document_id": r.document_id,
                }
                for r in sorted(self.results, key=lambda r: r.name)
            ],
        }


class Progress(Protocol):
    """What the runner reports while it works (phases with a total, and advances)."""

    def start(self, phase: str, total: int) -> None:
        """A new phase begins with `total` units of work."""

    def advance(self, amount: int = 1) -> None:
        """`amount` units of the current phase are done."""


class SilentProgress:
    """A `Progress` that shows nothing."""

    def start(self, phase: str, total: int) -> None:
        """Ignore."""

    def advance(self, amount: int = 1) -> None:
        """Ignore."""


@dataclass(frozen=True)
class IngestOptions:
    """Knobs of one run."""

    max_file_bytes: int
    batch_files: int = 32
    batch_bytes: int = 64 * 1024 * 1024
    wait: bool = True
    wait_timeout: float = 1800.0
    poll_interval: float = 1.0


def ingest(
    client: DocumentStoreClient,
    root: Path,
    collection_name: str,
    options: IngestOptions,
    progress: Progress | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Summary:
    """Load the files under `root` into the collection `collection_name` (created if missing).

    Raises:
        ApiError: the server refused the collection or the document listing.
        httpx.TransportError: the server cannot be reached.
    """
    shown = progress or SilentProgress()
    collection = client.ensure_collection(collection_name)
    summary = Summary(collection.id, collection.name, collection.created)
    files, skips = walk(root, max_file_bytes=options.max_file_bytes)
    summary.results.extend(FileResult(s.name, Outcome.SKIPPED, s.reason) for s in skips)
    remote = [
        RemoteDocument(id=str(d["id"]), name=str(d["name"]), content_hash=d.get("content_hash"))
        for d in client.documents(collection.id)
    ]

    shown.start("Hashing", sum(f.size for f in files))

    def hash_of(file: LocalFile) -> str:
        digest = sha256_of(file.path)
        shown.advance(file.size)
        return digest

    steps = plan(files, remote, hash_of=hash_of)
    summary.results.extend(
        FileResult(s.file.name, Outcome.UNCHANGED, None, s.document_id)
        for s in steps
        if s.action is Action.UNCHANGED
    )
    to_send = [s for s in steps if s.action is not Action.UNCHANGED]
    shown.start("Uploading", sum(s.file.size for s in to_send))
    waiting: dict[str, str] = {}  # document id -> file name
    for result in _upload(client, collection.id, to_send, options, shown):
        if result.outcome is Outcome.QUEUED and result.document_id is not None:
            waiting[result.document_id] = result.name
        else:
            summary.results.append(result)
    if not options.wait:
        summary.results.extend(FileResult(n, Outcome.QUEUED, None, i) for i, n in waiting.items())
        return summary
    summary.results.extend(_follow(client, collection.id, waiting, options, shown, sleep))
    return summary


def _upload(
    client: DocumentStoreClient,
    collection_id: str,
    steps: list[Step],
    options: IngestOptions,
    progress: Progress,
) -> list[FileResult]:
    results: list[FileResult] = []
    creates = [s for s in steps if s.action is Action.CREATE]
    for batch in batches(creates, max_files=options.batch_files, max_bytes=options.batch_bytes):
        results.extend(_upload_batch(client, collection_id, batch))
        progress.advance(sum(s.file.size for s in batch))
    for step in (s for s in steps if s.action is Action.REPLACE):
        try:
            document = client.upload_into(str(step.document_id), step.file.name, step.file.path)
            results.append(_queued(step.file.name, document))
        except ApiError as exc:
            results.append(FileResult(step.file.name, Outcome.FAILED, exc.message))
        progress.advance(step.file.size)
    return results


def _upload_batch(
    client: DocumentStoreClient, collection_id: str, batch: list[Step]
) -> list[FileResult]:
    """One multipart request; if the server refuses it whole, each file alone to find which."""
    try:
        answers = client.upload_batch(collection_id, [(s.file.name, s.file.path) for s in batch])
    except ApiError as exc:
        if len(batch) == 1 or exc.status_code >= httpx.codes.INTERNAL_SERVER_ERROR:
            return [FileResult(s.file.name, Outcome.FAILED, exc.message) for s in batch]
        return [r for s in batch for r in _upload_batch(client, collection_id, [s])]
    results = []
    for step, answer in zip(batch, answers, strict=True):
        if answer["outcome"] in _UPLOADED:
            results.append(_queued(step.file.name, answer["document"]))
        else:  # skipped or rejected by the collection's duplicate policy
            results.append(
                FileResult(
                    step.file.name,
                    Outcome.SKIPPED,
                    answer.get("message") or str(answer["outcome"]),
                    str(answer["document"]["id"]),
                )
            )
    return results


def _queued(name: str, document: dict[str, Any]) -> FileResult:
    return FileResult(name, Outcome.QUEUED, None, str(document["id"]))


def _follow(
    client: DocumentStoreClient,
    collection_id: str,
    waiting: dict[str, str],
    options: IngestOptions,
    progress: Progress,
    sleep: Callable[[float], None],
) -> list[FileResult]:
    """Poll until every waiting document is ready or failed, or the timeout passes."""
    progress.start("Processing", len(waiting))
    pending = dict(waiting)
    results: list[FileResult] = []
    deadline = time.monotonic() + options.wait_timeout
    last: dict[str, str] = {}
    while pending:
        for document_id, row in _statuses(client, collection_id, pending).items():
            status = str(row["status"])
            last[document_id] = status
            if status not in _DONE:
                continue
            name = pending.pop(document_id)
            if status == "ready":
                results.append(FileResult(name, Outcome.INGESTED, None, document_id))
            else:
                results.append(FileResult(name, Outcome.FAILED, _failure(row), document_id))
            progress.advance()
        if not pending:
            break
        if time.monotonic() >= deadline:
            results.extend(
                FileResult(
                    name,
                    Outcome.PENDING,
                    f"still {last.get(document_id, 'queued')} after {options.wait_timeout:g}s",
                    document_id,
                )
                for document_id, name in pending.items()
            )
            break
        sleep(options.poll_interval)
    return results


def _statuses(
    client: DocumentStoreClient, collection_id: str, pending: dict[str, str]
) -> dict[str, dict[str, Any]]:
    if len(pending) <= _STATUS_BY_ID_UP_TO:
        found = {}
        for document_id in pending:
            try:
                found[document_id] = client.status(document_id)
            except ApiError as exc:
                if exc.status_code != httpx.codes.NOT_FOUND:
                    raise
                found[document_id] = _deleted()
        return found
    rows = {str(d["id"]): d for d in client.documents(collection_id)}
    return {i: rows.get(i, _deleted()) for i in pending}


def _deleted() -> dict[str, Any]:
    error = {"message": "the document was deleted while it was processed"}
    return {"status": "failed", "status_detail": {"error": error}}


def _failure(row: dict[str, Any]) -> str:
    error = (row.get("status_detail") or {}).get("error") or {}
    message = error.get("message") or "failed (no reason given)"
    stage = error.get("stage")
    return f"{message} ({stage})" if stage else str(message)
