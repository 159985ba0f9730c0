"""Request dependencies of the knowledge base routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from wxo.api.deps import CurrentTenant, SessionDep
from wxo.knowledge_bases import service
from wxo.knowledge_bases.exceptions import KnowledgeBaseNotFoundError
from wxo.knowledge_bases.models import KnowledgeBase

KnowledgeBaseRefPath = Annotated[str, Path(description="The knowledge base's id (or its name).")]


async def valid_owned_knowledge_base(
    session: SessionDep, principal: CurrentTenant, kb_id: KnowledgeBaseRefPath
) -> KnowledgeBase:
    """The knowledge base in the path, if it is the caller's tenant's (404 otherwise)."""
    kb = await service.find(session, principal.tenant_id, kb_id)
    if kb is None:
        raise KnowledgeBaseNotFoundError(kb_id)
    return kb


OwnedKnowledgeBase = Annotated[KnowledgeBase, Depends(valid_owned_knowledge_base)]
