"""Resolve the backing services: external URLs when configured, embedded servers otherwise."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from wxo.core.config import Settings
from wxo.runtime.embedded import EmbeddedPostgres, EmbeddedRedis

logger = logging.getLogger(__name__)


@contextmanager
def backing_services(settings: Settings, *, with_redis: bool = True) -> Iterator[Settings]:
    """Yield a copy of `settings` whose database (and Redis) URLs point at running servers.

    Embedded servers started here are stopped when the block exits.
    """
    resolved = settings.model_copy(deep=True)
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None
    try:
        if not resolved.database.url:
            postgres = EmbeddedPostgres(
                resolved.data_dir, shared_buffers_mb=resolved.database.embedded_shared_buffers_mb
            )
            resolved.database.url = postgres.start()
        if with_redis and not resolved.redis.url:
            redis = EmbeddedRedis(resolved.data_dir)
            resolved.redis.url = redis.start()
        yield resolved
    finally:
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.stop()
