"""The annotate stage: keywords, named entities, summary and questions of a ready document.

They are not needed to search a document, and they cost as much CPU as embedding it (NER and
YAKE about 50 ms for a short document), so they run after it is `ready`: the index stage's task
sends `ANNOTATE_TASK` at `Priority.LOW`, which a worker takes only while no other job waits.
The stage changes `document_content` and adds an `annotate` entry to `status_detail.stages`;
the document's `status` stays `ready`. See docs/decisions.md, "Searchable first, annotated after".

A metadata read that comes before the stage computes keywords and entities itself
(`complete_metadata`), so a client never sees them missing; summary and questions need the
LLM and wait for the stage.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import anyio.to_thread
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.documents import repository
from wxo.documents.enrich import Enrichment
from wxo.documents.jobs import ANNOTATE_TASK, send_job
from wxo.documents.models import Document, DocumentContent, DocumentStatus
from wxo.extraction.base import Annotation, Entity, Keyword
from wxo.queue.base import Priority, Queue

logger = logging.getLogger(__name__)
#: Attempts at keywords and entities (one a sweep) before the stage ends with an error.
MAX_ANNOTATE_ATTEMPTS = 3


class Annotator(Protocol):
    """The signature of `wxo.extraction.service.annotate`."""

    def __call__(self, text: str, language: str | None) -> Annotation:
        """Keywords and entities of a text (CPU-bound)."""
        ...


class Enricher(Protocol):
    """Summary and questions of a document's text for its tenant (see `wxo.documents.enrich`)."""

    async def __call__(self, tenant_id: uuid.UUID, text: str) -> Enrichment | None:
        """None when the tenant has no default chat model (or the model failed)."""
        ...


@dataclass(frozen=True)
class Metadata:
    """What `GET /documents/{id}/metadata` shows; `extra` holds summary and questions."""

    language: str | None
    title: str | None
    keywords: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    extra: dict[str, Any]


@dataclass(frozen=True)
class _Snapshot:
    """What the stage read before its slow part, to check nothing changed before it writes."""

    tenant_id: uuid.UUID
    content_hash: str | None
    extraction: str | None
    text: str
    language: str | None
    needs_nlp: bool


def keyword_rows(keywords: Sequence[Keyword]) -> list[dict[str, Any]]:
    """Keywords as stored in `document_content.keywords`."""
    return [{"text": k.text, "score": k.score} for k in keywords]


def entity_rows(entities: Sequence[Entity]) -> list[dict[str, Any]]:
    """Entities as stored in `document_content.entities`."""
    return [{"text": e.text, "label": e.label, "count": e.count} for e in entities]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _extraction(document: Document) -> str | None:
    """Which extraction the document's results come from (its extract stage's start time).

    Reprocessing extracts the same bytes again and replaces the content row: the content hash
    stays, this mark changes.
    """
    stages = (document.status_detail or {}).get("stages", [])
    return next((s.get("started_at") for s in stages if s.get("name") == "extract"), None)


def _snapshot(document: Document, content: DocumentContent) -> _Snapshot:
    return _Snapshot(
        tenant_id=document.tenant_id,
        content_hash=document.content_hash,
        extraction=_extraction(document),
        text=content.text,
        language=content.language,
        needs_nlp=content.keywords is None or content.entities is None,
    )


def _unchanged(document: Document | None, snapshot: _Snapshot) -> bool:
    return (
        document is not None
        and document.content_hash == snapshot.content_hash
        and _extraction(document) == snapshot.extraction
    )


def _nlp_values(annotation: Annotation, content: DocumentContent) -> dict[str, Any]:
    return {
        "keywords": keyword_rows(annotation.keywords),
        "entities": entity_rows(annotation.entities),
        "warnings": [*content.warnings, *annotation.warnings],
    }


def queue_annotations(
    queue: Queue, document_ids: Sequence[uuid.UUID], *, patience: float = 0.0
) -> int:
    """Send the annotate jobs of documents just made ready, at low priority; return how many.

    A job the broker did not take (down longer than `patience`) is the sweeper's.
    """
    return sum(
        send_job(queue, ANNOTATE_TASK, document_id, patience=patience, priority=Priority.LOW)
        for document_id in document_ids
    )


async def run_annotation(
    sessionmaker: async_sessionmaker[AsyncSession],
    annotator: Annotator,
    document_id: uuid.UUID,
    enricher: Enricher | None = None,
) -> str:
    """Annotate a ready document: keywords and entities, then summary and questions.

    Keywords and entities already stored (by the extractor, or by a metadata read) are kept.
    With an `enricher`, the tenant's default chat model (if any) writes the summary and the
    questions the document answers. Runs the annotator in the calling thread: a worker's.

    Returns `missing`, `not_ready`, `done_already` (a repeated job changes nothing),
    `superseded` (deleted, new bytes or extracted again meanwhile: nothing is stored),
    `retry_later` or `failed` (the NLP raised: see `_record_failure`) or `annotated`.
    """
    async with sessionmaker() as session:
        document = await repository.get_document_for_pipeline(session, document_id)
        if document is None:
            return "missing"
        if document.status != DocumentStatus.READY:
            return "not_ready"  # a newer job is sent when it is ready again
        content = await repository.get_content(session, document_id)
        if content is None:
            return "missing"
        if content.annotated_at is not None:
            return "done_already"
        snapshot = _snapshot(document, content)
    started_at, clock = _now(), time.perf_counter()
    try:
        annotation = annotator(snapshot.text, snapshot.language) if snapshot.needs_nlp else None
    except Exception as exc:  # a text the NLP cannot take: count it rather than loop on it
        logger.exception("annotate %s: keywords and entities failed", document_id)
        return await _record_failure(sessionmaker, document_id, snapshot, started_at, exc)
    nlp_ms = round((time.perf_counter() - clock) * 1000)
    enrich_record, extra = await _enrich(enricher, snapshot.tenant_id, snapshot.text)
    async with sessionmaker() as session:
        document = await repository.get_document_for_pipeline(session, document_id, lock=True)
        if document is None or not _unchanged(document, snapshot):
            return "superseded"
        if document.status != DocumentStatus.READY:
            return "not_ready"
        content = await repository.get_content(session, document_id)
        if content is None:
            return "superseded"
        if content.annotated_at is not None:
            return "done_already"  # another job of the same document won
        values: dict[str, Any] = {"annotated_at": func.now(), "extra": {**content.extra, **extra}}
        missing = content.keywords is None or content.entities is None
        fill = annotation if missing else None  # a metadata read may have stored them meanwhile
        if fill is not None:
            values |= _nlp_values(fill, content)
        await repository.update_content(session, document_id, values)
        keywords = len(values.get("keywords", content.keywords or []))
        entities = len(values.get("entities", content.entities or []))
        stage: dict[str, Any] = {
            "name": "annotate",
            "started_at": started_at,
            "finished_at": _now(),
            "duration_ms": round((time.perf_counter() - clock) * 1000),
            "items": keywords + entities + int(enrich_record["items"]),
            "keywords": keywords,
            "entities": entities,
            # 0 when they were there already (from the extractor or a metadata read).
            "nlp_ms": nlp_ms if fill is not None else 0,
            "enrich": enrich_record,
        }
        if fill is not None and fill.warnings:
            stage["warnings"] = list(fill.warnings)
        detail = dict(document.status_detail or {})
        detail.pop("annotate_failures", None)
        stages = [s for s in detail.get("stages", []) if s.get("name") != "annotate"]
        detail["stages"] = [*stages, stage]
        await repository.set_status(session, document_id, {"status_detail": detail})
        await session.commit()
    return "annotated"


async def _record_failure(
    sessionmaker: async_sessionmaker[AsyncSession],
    document_id: uuid.UUID,
    snapshot: _Snapshot,
    started_at: str,
    exc: Exception,
) -> str:
    """Count a failed attempt; after `MAX_ANNOTATE_ATTEMPTS` end the stage with an error.

    Before that the document stays unannotated and the sweeper sends the job again later. At the
    limit, keywords and entities are stored empty and `annotated_at` is set (the sweeper stops,
    a metadata read does not try again) and the `annotate` stage carries the error.
    """
    async with sessionmaker() as session:
        document = await repository.get_document_for_pipeline(session, document_id, lock=True)
        if document is None or not _unchanged(document, snapshot):
            return "superseded"
        detail = dict(document.status_detail or {})
        attempts = int(detail.get("annotate_failures", 0)) + 1
        detail["annotate_failures"] = attempts
        outcome = "retry_later"
        if attempts >= MAX_ANNOTATE_ATTEMPTS:
            message = (
                f"Keywords and entities could not be computed ({type(exc).__name__}) after "
                f"{attempts} attempts; the document stays searchable"
            )
            stage = {
                "name": "annotate",
                "started_at": started_at,
                "finished_at": _now(),
                "items": 0,
                "error": {"stage": "annotate", "code": "annotate_failed", "message": message},
            }
            stages = [s for s in detail.get("stages", []) if s.get("name") != "annotate"]
            detail["stages"] = [*stages, stage]
            await repository.update_content(
                session,
                document_id,
                {"keywords": [], "entities": [], "annotated_at": func.now()},
            )
            outcome = "failed"
        await repository.set_status(session, document_id, {"status_detail": detail})
        await session.commit()
    return outcome


async def _enrich(
    enricher: Enricher | None, tenant_id: uuid.UUID, text: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The LLM part's record in the annotate stage, and the `extra` it produced (empty if none)."""
    clock = time.perf_counter()
    found = await enricher(tenant_id, text) if enricher is not None else None
    record: dict[str, Any] = {"duration_ms": round((time.perf_counter() - clock) * 1000)}
    if found is None:
        reason = "no default chat model (summary and questions absent)"
        return record | {"items": 0, "skipped": True, "reason": reason}, {}
    extra = {"summary": found.summary, "questions": found.questions, "summary_model": found.model}
    items = len(found.questions) + (found.summary is not None)
    return record | {"items": items, "model": found.model}, extra


async def complete_metadata(
    session: AsyncSession,
    document: Document,
    content: DocumentContent,
    annotator: Annotator,
) -> Metadata:
    """The document's metadata, with keywords and entities computed now if still missing.

    The annotator runs in a worker thread (the event loop keeps serving); the result is stored
    under the document's row lock unless the document changed meanwhile, so the annotate stage
    does not compute it again. Commits when it had to compute.
    """
    found = Metadata(
        language=content.language,
        title=content.title,
        keywords=content.keywords or [],
        entities=content.entities or [],
        extra=dict(content.extra or {}),
    )
    if content.keywords is not None and content.entities is not None:
        return found
    snapshot = _snapshot(document, content)
    annotation = await anyio.to_thread.run_sync(annotator, snapshot.text, snapshot.language)
    values = _nlp_values(annotation, content)
    found = replace(found, keywords=values["keywords"], entities=values["entities"])
    locked = await repository.get_document_for_pipeline(session, document.id, lock=True)
    current = await repository.get_content(session, document.id, fresh=True)
    if _unchanged(locked, snapshot) and current is not None:
        if current.keywords is not None and current.entities is not None:
            # The stage (or another read) stored them meanwhile: show what is stored.
            found = replace(found, keywords=current.keywords, entities=current.entities)
        else:
            await repository.update_content(session, document.id, values)
    await session.commit()  # stores them, or only ends the locking transaction
    return found
