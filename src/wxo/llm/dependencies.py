"""Request dependencies of the Model Proxy routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from wxo.api.deps import ContainerDep, CurrentTenant
from wxo.llm.service import ProxyContext


async def get_proxy_context(container: ContainerDep, principal: CurrentTenant) -> ProxyContext:
    """The tenant's view of the Model Proxy."""
    return ProxyContext(
        tenant_id=principal.tenant_id,
        key=container.settings.signing_key(),
        runtime=container.models,
        usage=container.usage,
        settings=container.settings.llm,
    )


ProxyDep = Annotated[ProxyContext, Depends(get_proxy_context)]
