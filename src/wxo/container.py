"""The composition root: one place builds engine, sessions, queue and Redis client."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import configure_mappers

from wxo.blobs.base import BlobStore
from wxo.blobs.filesystem import FilesystemBlobStore
from wxo.core.config import Settings
from wxo.core.db import create_engine, create_sessionmaker
from wxo.llm.runtime import ModelRuntime
from wxo.queue.base import Queue
from wxo.queue.celery_app import CeleryQueue, create_celery
from wxo.usage.recorder import UsageRecorder

logger = logging.getLogger(__name__)


@dataclass
class Container:
    """Long-lived resources shared by the API process and the worker process."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: aioredis.Redis
    queue: Queue
    models: ModelRuntime
    usage: UsageRecorder
    blobs: BlobStore

    async def warm_up(self) -> None:
        """Do at start-up what the first requests would otherwise do.

        Configuring the ORM mappers (about 30 ms) and loading the queue's parts (about 100 ms)
        would stall the first upload's event loop, and every request waiting on it.
        """
        configure_mappers()
        try:
            await asyncio.to_thread(self.queue.warm_up)
        except Exception:  # a broker that is down now: the first job connects, as before
            logger.warning("could not reach the queue's broker at start-up", exc_info=True)

    async def close(self) -> None:
        """Write pending usage, release pools and connections."""
        await self.usage.aclose()
        await self.models.aclose()
        await self.redis.aclose()
        await self.engine.dispose()


def build_container(settings: Settings, *, backend_nice: int = 0) -> Container:
    """Build the container; `settings` must carry resolved database and Redis URLs.

    A worker passes its `backend_nice` on to the engine (see `wxo.core.db.create_engine`).
    """
    db_url = settings.require_database_url()
    redis_url = settings.require_redis_url()
    engine = create_engine(
        db_url,
        pool_size=settings.database.pool_size,
        max_overflow=settings.database.max_overflow,
        echo=settings.database.echo,
        backend_nice=backend_nice,
    )
    sessionmaker = create_sessionmaker(engine)
    return Container(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        redis=aioredis.from_url(redis_url),
        queue=CeleryQueue(create_celery(redis_url, settings.documents)),
        models=ModelRuntime(settings),
        usage=UsageRecorder(sessionmaker, settings.llm.usage_flush_seconds),
        blobs=FilesystemBlobStore(settings.data_dir / "blobs"),
    )
