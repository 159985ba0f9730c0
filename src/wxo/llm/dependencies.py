"""Request dependencies of the Model Proxy routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from wxo.api.deps import ContainerDep, CurrentTenant
from wxo.llm.service import ProxyContext, proxy_for


async def get_proxy_context(container: ContainerDep, principal: CurrentTenant) -> ProxyContext:
    """The tenant's view of the Model Proxy."""
    return proxy_for(container, principal.tenant_id)


ProxyDep = Annotated[ProxyContext, Depends(get_proxy_context)]
