"""Readiness: can we reach the database, Redis and at least one worker?"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from wxo.container import Container

logger = logging.getLogger(__name__)


async def check_ready(container: Container, *, worker_timeout: float = 1.0) -> dict[str, str]:
    """Each dependency mapped to "ok" or a short failure reason (no internal text)."""
    checks: dict[str, str] = {}
    try:
        async with container.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # readiness reports any failure as "unavailable"
        logger.warning("readiness: database unavailable", exc_info=True)
        checks["database"] = "unavailable"
    try:
        await container.redis.ping()
        checks["redis"] = "ok"
    except Exception:
        logger.warning("readiness: redis unavailable", exc_info=True)
        checks["redis"] = "unavailable"
    if checks["redis"] == "ok":
        try:
            alive = await asyncio.to_thread(container.queue.workers_alive, worker_timeout)
            checks["worker"] = "ok" if alive else "no worker answered"
        except Exception:
            logger.warning("readiness: worker ping failed", exc_info=True)
            checks["worker"] = "unavailable"
    else:
        checks["worker"] = "unavailable"
    return checks
