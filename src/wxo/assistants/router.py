"""Custom assistant routes: `/v1/assistants/custom` and its `/files` (IBM's paths)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.assistants import files, service
from wxo.assistants.dependencies import OwnedCustom, ProxyDep
from wxo.assistants.schemas import (
    FIELDS,
    CustomAssistantCreate,
    CustomAssistantRead,
    CustomAssistantUpdate,
    selected,
)
from wxo.documents.dependencies import DocumentIODep
from wxo.documents.exceptions import FileTooLargeError
from wxo.documents.schemas import DocumentRead, UploadBatchRead, UploadResult
from wxo.documents.service import NewFile

router = APIRouter(tags=["Custom Assistants"])

_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such custom assistant in the caller's tenant"}
}
_SELECT = Query(
    description="Comma-separated fields to return (`*`: all). `type` is always returned; an "
    f"unknown field is a 400. Fields: {', '.join(FIELDS)}."
)


@router.post(
    "/assistants/custom",
    response_model=CustomAssistantRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        400: {"description": "llm_name unknown to the Model Proxy, or no name/nickname/title"},
        409: {"description": "The tenant has a custom assistant with this name"},
    },
)
async def create_custom_assistant(
    session: SessionDep, principal: CurrentTenant, proxy: ProxyDep, body: CustomAssistantCreate
) -> CustomAssistantRead:
    """Create a custom assistant: instructions answered by a Model Proxy chat model.

    `llm_name` must name a chat model (or model policy) the tenant's Model Proxy knows; unset,
    the tenant's default chat model answers. Files uploaded to `/files` go into a Document
    Store collection made for the assistant (`collection_id`).
    """
    row = await service.create_custom(session, proxy, principal, body)
    return CustomAssistantRead.of(row, principal.tenant_name)


@router.get("/assistants/custom", response_model=list[dict[str, Any]])
async def list_custom_assistants(
    session: SessionDep,
    principal: CurrentTenant,
    select: Annotated[str, _SELECT] = "*",
) -> list[dict[str, Any]]:
    """List Custom Assistants: the tenant's custom assistants, oldest first (a bare array)."""
    fields = service.parse_select(select)
    rows = await service.list_custom(session, principal.tenant_id)
    return [selected(CustomAssistantRead.of(r, principal.tenant_name), fields) for r in rows]


@router.get("/assistants/custom/{assistant_id}", response_model=dict[str, Any], responses=_404)
async def get_custom_assistant(
    principal: CurrentTenant,
    assistant: OwnedCustom,
    select: Annotated[str, _SELECT] = "*",
) -> dict[str, Any]:
    """Get Custom Assistant By Id."""
    fields = service.parse_select(select)
    return selected(CustomAssistantRead.of(assistant, principal.tenant_name), fields)


@router.patch(
    "/assistants/custom/{assistant_id}",
    response_model=CustomAssistantRead,
    responses={
        **_404,
        400: {"description": "llm_name unknown"},
        409: {"description": "Name taken"},
    },
)
async def update_custom_assistant(
    session: SessionDep,
    principal: CurrentTenant,
    proxy: ProxyDep,
    assistant: OwnedCustom,
    body: CustomAssistantUpdate,
) -> CustomAssistantRead:
    """Change the fields sent (`null` clears an optional text field)."""
    row = await service.update_custom(session, proxy, assistant, body)
    return CustomAssistantRead.of(row, principal.tenant_name)


@router.delete(
    "/assistants/custom/{assistant_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_404
)
async def delete_custom_assistant(
    session: SessionDep, principal: CurrentTenant, io: DocumentIODep, assistant: OwnedCustom
) -> Response:
    """Delete the assistant, and its files' collection with every file in it."""
    await files.delete_assistant(session, io, principal, assistant)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/assistants/custom/{assistant_id}/files",
    response_model=UploadBatchRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses={**_404, 413: {"description": "A file is larger than the per-file limit"}},
)
async def upload_assistant_files(
    session: SessionDep,
    principal: CurrentTenant,
    io: DocumentIODep,
    assistant: OwnedCustom,
    file: Annotated[list[UploadFile], File(description="One or more files (field `file`).")],
) -> UploadBatchRead:
    """Upload files to the assistant (multipart field `file`, repeatable).

    They become documents of the assistant's Document Store collection (made on the first
    upload), extracted in the background like any document (202): their `status` tells when
    they are ready, and the collection can be indexed and searched. When the assistant answers,
    the best passages of its files for the user's message are given to its model after the
    instructions.
    """
    new_files = [await _read(one, io.max_file_bytes) for one in file]
    placed = await files.upload(session, io, principal, assistant, new_files)
    return UploadBatchRead(
        data=[
            UploadResult(
                filename=f.filename,
                outcome=p.outcome,
                document=DocumentRead.of(p.document),
                message=p.message,
            )
            for f, p in zip(new_files, placed, strict=True)
        ]
    )


@router.get(
    "/assistants/custom/{assistant_id}/files",
    response_model=list[DocumentRead],
    responses=_404,
)
async def list_assistant_files(
    session: SessionDep, principal: CurrentTenant, assistant: OwnedCustom
) -> list[DocumentRead]:
    """The assistant's files (documents), newest first (a bare array)."""
    rows = await files.list_files(session, principal, assistant)
    return [DocumentRead.of(d) for d in rows]


@router.delete(
    "/assistants/custom/{assistant_id}/files/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "No such assistant, or the file is not one of its files"}},
)
async def delete_assistant_file(
    session: SessionDep,
    principal: CurrentTenant,
    io: DocumentIODep,
    assistant: OwnedCustom,
    document_id: uuid.UUID,
) -> Response:
    """Delete one of the assistant's files (its extraction results and chunks with it)."""
    await files.delete_file(session, io, principal, assistant, document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _read(upload: UploadFile, limit: int) -> NewFile:
    name = upload.filename or "upload"
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise FileTooLargeError(f"'{name}' is larger than the limit of {limit} bytes per file")
    return NewFile(data=data, filename=name, content_type=upload.content_type)
