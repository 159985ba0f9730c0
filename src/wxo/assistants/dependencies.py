"""Request dependencies of the custom assistant and watsonx Assistant routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from wxo.api.deps import ContainerDep, CurrentTenant, SessionDep
from wxo.assistants import service, watsonx_service
from wxo.assistants.models import CustomAssistant, WatsonxAssistant
from wxo.llm.service import ProxyContext, proxy_for

AssistantIdPath = Annotated[uuid.UUID, Path(description="Id of the assistant.")]


async def get_proxy(container: ContainerDep, principal: CurrentTenant) -> ProxyContext:
    """The Model Proxy as the caller's tenant sees it (to check `llm_name`)."""
    return proxy_for(container, principal.tenant_id)


ProxyDep = Annotated[ProxyContext, Depends(get_proxy)]


async def valid_owned_custom(
    session: SessionDep, principal: CurrentTenant, assistant_id: AssistantIdPath
) -> CustomAssistant:
    """The custom assistant in the path, if it is the caller's tenant's (404 otherwise)."""
    return await service.get_custom(session, principal.tenant_id, assistant_id)


OwnedCustom = Annotated[CustomAssistant, Depends(valid_owned_custom)]


async def valid_owned_watsonx(
    session: SessionDep, principal: CurrentTenant, assistant_id: AssistantIdPath
) -> WatsonxAssistant:
    """The watsonx Assistant instance in the path, if it is the caller's tenant's (404)."""
    return await watsonx_service.get(session, principal.tenant_id, assistant_id)


OwnedWatsonx = Annotated[WatsonxAssistant, Depends(valid_owned_watsonx)]
