"""Celery tasks of the Search Engine: rebuild an engine's suggestions.

A thin wrapper over `service.refresh_suggestions`, on the worker runtime of
`wxo.documents.tasks` (one container and event loop per worker process).
"""

from __future__ import annotations

import uuid

from celery import Task
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.documents.tasks import get_runtime, run_in, task
from wxo.search_engines import service


async def _refresh(sessionmaker: async_sessionmaker[AsyncSession], engine_id: uuid.UUID) -> bool:
    async with sessionmaker() as session:
        return await service.refresh_suggestions(session, engine_id)


@task(service.SUGGEST_TASK)
def rebuild_suggestions(self: Task, engine_id: str) -> bool:
    """Rebuild a stale engine's suggestions (nothing when fresh or gone)."""
    runtime = get_runtime(self)
    return run_in(runtime, _refresh(runtime.container.sessionmaker, uuid.UUID(engine_id)))
