"""watsonx Assistant instance routes: `/v1/assistants/watsonx` (IBM's paths)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from wxo.api.deps import CurrentTenant, SessionDep, SettingsDep
from wxo.assistants import watsonx_service
from wxo.assistants.dependencies import OwnedWatsonx
from wxo.assistants.watsonx_schemas import (
    WatsonxAssistantCreate,
    WatsonxAssistantRead,
    WatsonxAssistantUpdate,
)
from wxo.external_agents.dependencies import OutboundDep

router = APIRouter(tags=["watsonx Assistant"])

_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such instance in the caller's tenant ('Assistant not found')"}
}
_400: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "config lacks service_instance_url or assistant_id/environment_id, a URL "
        "is refused (internal address), or no name/nickname/title"
    }
}


@router.post(
    "/assistants/watsonx",
    response_model=WatsonxAssistantRead,
    status_code=status.HTTP_201_CREATED,
    responses={**_400, 409: {"description": "The tenant has an instance with this name"}},
)
async def register_watsonx_assistant_instance(
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentTenant,
    outbound: OutboundDep,
    body: WatsonxAssistantCreate,
) -> WatsonxAssistantRead:
    """Register Watsonx Assistant Instance.

    If only one of the fields name or nickname is provided, the system generates the other.
    `config.api_key` and the secrets of `config.auth_config` are stored encrypted and always
    read back as `********`. Messages go to the instance's stateless v2 message API
    (`POST {service_instance_url}/v2/assistants/{environment_id}/message?version=...`).
    """
    row = await watsonx_service.create(
        session, principal, body, key=settings.signing_key(), outbound=outbound
    )
    return WatsonxAssistantRead.of(row, principal.tenant_name)


@router.get("/assistants/watsonx", response_model=list[WatsonxAssistantRead])
async def list_watsonx_assistant_instances(
    session: SessionDep,
    principal: CurrentTenant,
    include_hidden: Annotated[bool, Query(description="Include hidden instances.")] = False,
    ids: Annotated[list[uuid.UUID] | None, Query(description="Only these ids.")] = None,
    names: Annotated[list[str] | None, Query(description="Only these names.")] = None,
) -> list[WatsonxAssistantRead]:
    """List Watsonx Assistant Instances, oldest first (a bare array; secrets masked)."""
    rows = await watsonx_service.list_instances(
        session, principal.tenant_id, include_hidden=include_hidden, ids=ids, names=names
    )
    return [WatsonxAssistantRead.of(r, principal.tenant_name) for r in rows]


@router.get(
    "/assistants/watsonx/{assistant_id}", response_model=WatsonxAssistantRead, responses=_404
)
async def get_watsonx_assistant_instance(
    principal: CurrentTenant, assistant: OwnedWatsonx
) -> WatsonxAssistantRead:
    """Get Watsonx Assistant Instance (secrets masked)."""
    return WatsonxAssistantRead.of(assistant, principal.tenant_name)


@router.patch(
    "/assistants/watsonx/{assistant_id}",
    response_model=WatsonxAssistantRead,
    responses={**_404, **_400, 409: {"description": "Name taken"}},
)
async def update_watsonx_assistant_instance(
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentTenant,
    outbound: OutboundDep,
    assistant: OwnedWatsonx,
    body: WatsonxAssistantUpdate,
) -> WatsonxAssistantRead:
    """Update Watsonx Assistant Instance.

    `config` keys sent replace the stored ones, the others are kept; a secret sent as
    `********` keeps the stored one; `hidden` (top level or in `config`) hides the instance
    from lists without `include_hidden=true` and from the Orchestrate Assistant.
    """
    row = await watsonx_service.update(
        session, assistant, body, key=settings.signing_key(), outbound=outbound
    )
    return WatsonxAssistantRead.of(row, principal.tenant_name)


@router.delete(
    "/assistants/watsonx/{assistant_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_404
)
async def delete_watsonx_assistant_instance(
    session: SessionDep, assistant: OwnedWatsonx
) -> Response:
    """Delete the instance (its secrets with it)."""
    await watsonx_service.delete(session, assistant)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
