"""Knowledge base routes (`/v1/orchestrate/knowledge-bases`), as IBM's `KnowledgeBaseClient` calls them.

Multipart create and update with files, list, get, patch, delete, status.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.documents import service as documents
from wxo.documents.dependencies import DocumentIODep
from wxo.documents.exceptions import FileTooLargeError
from wxo.knowledge_bases import contents, service
from wxo.knowledge_bases.dependencies import OwnedKnowledgeBase
from wxo.knowledge_bases.schemas import (
    NAME_RULE,
    KnowledgeBaseCreate,
    KnowledgeBaseCreated,
    KnowledgeBaseRead,
    KnowledgeBaseStatus,
    KnowledgeBaseUpdate,
    PlacedFile,
)

router = APIRouter(prefix="/orchestrate/knowledge-bases", tags=["Knowledge bases"])

_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such knowledge base in the tenant"}
}
_409: dict[int | str, dict[str, Any]] = {
    409: {"description": "The tenant already has a knowledge base with this name"}
}
_413: dict[int | str, dict[str, Any]] = {413: {"description": "A file is over the size limit"}}


class Deleted(BaseModel):
    """The answer to a delete."""

    id: uuid.UUID
    deleted: bool = True


def _form_json(raw: str, model: type[BaseModel], field: str) -> Any:
    """A JSON form field validated by `model` (errors in FastAPI's 422 shape)."""
    try:
        return model.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [{"loc": ("body", field), "msg": f"Invalid JSON: {exc.msg}", "type": "json_invalid"}]
        ) from None
    except ValidationError as exc:
        raise RequestValidationError(
            [
                {**e, "loc": ("body", field, *e["loc"]), "ctx": None, "url": None}
                for e in exc.errors(include_url=False, include_context=False)
            ]
        ) from None


async def _read(files: list[UploadFile] | None, limit: int) -> list[documents.NewFile]:
    read = []
    for file in files or []:
        name = file.filename or "upload"
        data = await file.read(limit + 1)
        if len(data) > limit:
            raise FileTooLargeError(f"'{name}' is larger than the limit of {limit} bytes per file")
        read.append(documents.NewFile(data=data, filename=name, content_type=file.content_type))
    return read


def _created(kb: Any, placed: list[PlacedFile]) -> KnowledgeBaseCreated:
    return KnowledgeBaseCreated(**service.read(kb).model_dump(), knowledge_base=kb.id, files=placed)


_CREATE = (
    "Create a knowledge base from uploaded files, as IBM's `KnowledgeBaseClient.create_built_in`"
    " sends it: multipart with `knowledge_base` (a JSON object: `name`, `description`, other"
    " fields kept as sent), `file_urls` (JSON, accepted; not used) and any number of `files`."
    f" Name rule: {NAME_RULE}. The files go into a new document collection (with its automatic"
    " vector index) and are ingested asynchronously: poll `GET .../{id}/status` until `ready`."
    " The answer is the knowledge base, its id again as `knowledge_base` (IBM's ADK reads it"
    " from there) and each file's outcome."
)


@router.post(
    "/documents",
    description=_CREATE,
    response_model=KnowledgeBaseCreated,
    status_code=status.HTTP_201_CREATED,
    responses={**_409, **_413},
)
async def create_with_files(
    session: SessionDep,
    principal: CurrentTenant,
    io: DocumentIODep,
    knowledge_base: Annotated[str, Form(description="The knowledge base, as a JSON object.")],
    files: Annotated[list[UploadFile] | None, File(description="The documents.")] = None,
    file_urls: Annotated[
        str | None, Form(description="JSON {file name: url}, accepted for IBM's ADK; unused.")
    ] = None,
) -> KnowledgeBaseCreated:
    """Create a knowledge base from uploaded files (see the route description)."""
    del file_urls
    data = _form_json(knowledge_base, KnowledgeBaseCreate, "knowledge_base")
    new_files = await _read(files, io.max_file_bytes)
    kb, placed = await service.create_knowledge_base(session, io, principal, data, new_files)
    return _created(kb, placed)


@router.post(
    "",
    response_model=KnowledgeBaseCreated,
    status_code=status.HTTP_201_CREATED,
    responses=_409,
)
async def create_without_files(
    session: SessionDep, principal: CurrentTenant, io: DocumentIODep, body: KnowledgeBaseCreate
) -> KnowledgeBaseCreated:
    """Create an empty knowledge base (JSON body); add files with `PATCH .../{id}/documents`."""
    kb, placed = await service.create_knowledge_base(session, io, principal, body, [])
    return _created(kb, placed)


@router.get("", response_model=list[KnowledgeBaseRead])
async def list_knowledge_bases(
    session: SessionDep,
    principal: CurrentTenant,
    names: Annotated[list[str] | None, Query(description="Only these names (repeat).")] = None,
    ids: Annotated[list[uuid.UUID] | None, Query(description="Only these ids (repeat).")] = None,
    include: Annotated[  # noqa: ARG001 (accepted for IBM's client)
        str | None, Query(description="Accepted for IBM's client (`global`); no effect here.")
    ] = None,
    workspace_id: Annotated[  # noqa: ARG001 (accepted for IBM's client)
        str | None, Query(description="Accepted for IBM's client; no workspaces here.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[KnowledgeBaseRead]:
    """List the tenant's knowledge bases, oldest first, as a bare JSON array.

    A bare array is what IBM's `KnowledgeBaseClient` expects (`get_by_names(...)[0]`).
    """
    rows = await service.list_knowledge_bases(
        session, principal.tenant_id, names=names or [], ids=ids or [], limit=limit, offset=offset
    )
    return [service.read(kb) for kb in rows]


@router.get("/{kb_id}", response_model=KnowledgeBaseRead, responses=_404)
async def get_knowledge_base(kb: OwnedKnowledgeBase) -> KnowledgeBaseRead:
    """Get a knowledge base by id (or by name)."""
    return service.read(kb)


@router.get("/{kb_id}/status", response_model=KnowledgeBaseStatus, responses=_404)
async def knowledge_base_status(session: SessionDep, kb: OwnedKnowledgeBase) -> KnowledgeBaseStatus:
    """Where the knowledge base's documents stand.

    `status` is ready / processing / failed, with per-document counts; `built_in_index_status`
    says the same (ready / processing / error) in the vocabulary IBM's ADK polls.
    """
    return await contents.status(session, kb)


@router.patch("/{kb_id}", response_model=KnowledgeBaseRead, responses={**_404, **_409})
async def update_knowledge_base(
    session: SessionDep, kb: OwnedKnowledgeBase, body: KnowledgeBaseUpdate
) -> KnowledgeBaseRead:
    """Update a knowledge base: only the fields sent change.

    An extra field sent as null is removed.
    """
    return service.read(await service.update_knowledge_base(session, kb, body))


_FILES_404_409_413 = {**_404, **_409, **_413}


async def _update_and_files(
    session: SessionDep,
    kb: Any,
    knowledge_base: str | None,
    files: list[UploadFile] | None,
    limit: int,
) -> tuple[Any, list[documents.NewFile]]:
    new_files = await _read(files, limit)
    if knowledge_base is not None:
        data = _form_json(knowledge_base, KnowledgeBaseUpdate, "knowledge_base")
        kb = await service.update_knowledge_base(session, kb, data)
    return kb, new_files


@router.patch(
    "/{kb_id}/documents", response_model=KnowledgeBaseCreated, responses=_FILES_404_409_413
)
async def sync_documents(
    session: SessionDep,
    principal: CurrentTenant,
    io: DocumentIODep,
    kb: OwnedKnowledgeBase,
    knowledge_base: Annotated[
        str | None, Form(description="Fields to change, as a JSON object.")
    ] = None,
    files: Annotated[
        list[UploadFile] | None, File(description="The knowledge base's documents, all of them.")
    ] = None,
    file_urls: Annotated[str | None, Form(description="Accepted for IBM's ADK; unused.")] = None,
) -> KnowledgeBaseCreated:
    """Update a knowledge base and make the uploaded files its documents.

    This is what IBM's ADK sends (`update_with_documents`) when it imports a knowledge base spec
    again. A document with an uploaded file's name gets that file's bytes (`replaced`, or
    `unchanged` for the same bytes), new names are added (`created`), and documents whose name is
    not uploaded are deleted (`removed`). Without files only the fields change. Poll
    `.../status` until `ready`.
    """
    del file_urls
    kb, new_files = await _update_and_files(session, kb, knowledge_base, files, io.max_file_bytes)
    placed = await contents.sync_files(session, io, principal, kb, new_files) if new_files else []
    return _created(kb, placed)


@router.put("/{kb_id}/documents", response_model=KnowledgeBaseCreated, responses=_FILES_404_409_413)
async def add_documents(
    session: SessionDep,
    principal: CurrentTenant,
    io: DocumentIODep,
    kb: OwnedKnowledgeBase,
    files: Annotated[list[UploadFile], File(description="Documents to add.")],
    knowledge_base: Annotated[
        str | None, Form(description="Fields to change, as a JSON object.")
    ] = None,
    file_urls: Annotated[str | None, Form(description="Accepted for IBM's ADK; unused.")] = None,
) -> KnowledgeBaseCreated:
    """Ingest more files into a knowledge base (multipart); existing documents stay.

    Files are added under the collection's duplicate policy (the same bytes again are
    `skipped`). Poll `.../status` until `ready`.
    """
    del file_urls
    kb, new_files = await _update_and_files(session, kb, knowledge_base, files, io.max_file_bytes)
    placed = await contents.add_files(session, io, principal, kb, new_files)
    return _created(kb, placed)


@router.delete("/{kb_id}", response_model=Deleted, responses=_404)
async def delete_knowledge_base(
    session: SessionDep, io: DocumentIODep, kb: OwnedKnowledgeBase
) -> Deleted:
    """Delete a knowledge base with its document collection (documents, chunks, index entries).

    Agents that list it simply stop seeing it (their `knowledge_base` no longer shows the id).
    """
    kb_id = kb.id
    await service.delete_knowledge_base(session, io, kb)
    return Deleted(id=kb_id)
