"""A knowledge base's documents: adding files, syncing to a set of files, and status.

- `add_files` (`PUT .../{id}/documents`): new files join the collection under its duplicate
  policy; existing documents stay.
- `sync_files` (`PATCH .../{id}/documents`, what IBM's ADK sends when it re-imports a knowledge
  base spec): the uploaded files become the knowledge base's documents: a document with an
  uploaded file's name gets that file's bytes (unchanged when the bytes are the same), new names
  are added, and documents whose name is not uploaded are removed.
- `status`: where the documents stand, in our words and in the words ADK polls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.documents import service as documents
from wxo.documents.models import Document, DocumentStatus
from wxo.knowledge_bases.models import KnowledgeBase
from wxo.knowledge_bases.schemas import (
    DocumentCounts,
    KnowledgeBaseStatus,
    PlacedFile,
    StatusDocument,
)
from wxo.knowledge_bases.service import check_sizes, placed_file, principal_for

#: Documents of a knowledge base read by status and sync, at most.
MAX_DOCUMENTS = 1000
_IN_PROGRESS = {DocumentStatus.QUEUED, DocumentStatus.EXTRACTING, DocumentStatus.INDEXING}


async def _documents(session: AsyncSession, kb: KnowledgeBase) -> list[Document]:
    _, docs = await documents.list_documents(
        session,
        principal_for(kb.tenant_id, kb.created_by),
        collection_id=kb.collection_id,
        status=None,
        tags=[],
        name=None,
        limit=MAX_DOCUMENTS,
        offset=0,
    )
    return list(docs)


async def add_files(
    session: AsyncSession,
    io: documents.DocumentIO,
    principal: TenantPrincipal,
    kb: KnowledgeBase,
    files: Sequence[documents.NewFile],
) -> list[PlacedFile]:
    """Add files to a knowledge base (ingested asynchronously)."""
    check_sizes(io, files)
    results = await documents.upload_files(session, io, principal, kb.collection_id, files, None)
    return [placed_file(p) for p in results]


async def sync_files(
    session: AsyncSession,
    io: documents.DocumentIO,
    principal: TenantPrincipal,
    kb: KnowledgeBase,
    files: Sequence[documents.NewFile],
) -> list[PlacedFile]:
    """Make the uploaded files the knowledge base's documents (see the module docstring).

    Outcomes: `created`, `replaced` (new bytes under an existing name), `unchanged`, `removed`.
    """
    check_sizes(io, files)
    await documents.check_capacity(io)
    by_name: dict[str, list[Document]] = {}
    for doc in await _documents(session, kb):  # newest first
        by_name.setdefault(doc.name, []).append(doc)
    wanted = {f.filename for f in files}
    outcomes: list[PlacedFile] = []
    new_files: list[documents.NewFile] = []
    for file in files:
        same_name = by_name.get(file.filename)
        if not same_name:
            new_files.append(file)
            continue
        current = same_name[0]
        before = current.blob_key
        updated = await documents.upload_document_file(session, io, current, file)
        changed = updated.blob_key != before
        outcomes.append(
            PlacedFile(
                document_id=updated.id,
                filename=file.filename,
                outcome="replaced" if changed else "unchanged",
            )
        )
        for older in same_name[1:]:
            outcomes.append(_removed(older))
            await documents.delete_document(session, io, older)
    for name, docs in by_name.items():
        if name not in wanted:
            for doc in docs:
                outcomes.append(_removed(doc))
                await documents.delete_document(session, io, doc)
    if new_files:
        results = await documents.upload_files(
            session, io, principal, kb.collection_id, new_files, None
        )
        outcomes.extend(placed_file(p) for p in results)
    return outcomes


def _removed(doc: Document) -> PlacedFile:
    return PlacedFile(document_id=doc.id, filename=doc.name, outcome="removed")


async def status(session: AsyncSession, kb: KnowledgeBase) -> KnowledgeBaseStatus:
    """Where the knowledge base's documents stand (see `KnowledgeBaseStatus`)."""
    docs = await _documents(session, kb)
    listed = [
        StatusDocument(
            id=d.id,
            name=d.name,
            status=str(d.status),
            error=_error_of(d.status_detail) if d.status == DocumentStatus.FAILED else None,
            metadata={"original_file_name": d.name},
        )
        for d in docs
    ]
    counts = DocumentCounts(
        total=len(docs),
        ready=sum(1 for d in docs if d.status == DocumentStatus.READY),
        processing=sum(1 for d in docs if d.status in _IN_PROGRESS),
        failed=sum(1 for d in docs if d.status == DocumentStatus.FAILED),
    )
    if counts.processing:
        state, ibm = "processing", "processing"
        msg = f"{counts.processing} of {counts.total} documents are still being processed"
    elif counts.failed:
        names = ", ".join(d.name for d in listed if d.status == DocumentStatus.FAILED)
        state, ibm = "failed", "error"
        msg = f"{counts.failed} of {counts.total} documents failed: {names}"
        if counts.ready:
            msg += f"; the other {counts.ready} are searchable"
    else:
        state, ibm, msg = "ready", "ready", f"{counts.ready} documents are searchable"
    return KnowledgeBaseStatus(
        id=kb.id,
        name=kb.name,
        status=state,
        built_in_index_status=ibm,
        built_in_index_status_msg=msg,
        document_counts=counts,
        documents=listed,
    )


def _error_of(detail: dict[str, Any] | None) -> str | None:
    error = (detail or {}).get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or error)
    return str(error) if error else None
