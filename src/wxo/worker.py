"""The worker entry point: the same settings and queue configuration as the API."""

from __future__ import annotations

from wxo.core.config import Settings
from wxo.queue.celery_app import create_celery


def run_worker(settings: Settings, *, concurrency: int, loglevel: str = "INFO") -> None:
    """Run a Celery worker until it is told to stop (SIGTERM: warm shutdown)."""
    if settings.redis.url is None or settings.database.url is None:
        raise SystemExit(
            "wxo worker needs WXO_DATABASE_URL and WXO_REDIS_URL "
            "(`wxo serve` starts a worker for you in embedded mode)"
        )
    app = create_celery(settings.redis.url)
    app.conf.wxo_settings = settings  # tasks build their container from these, not the env again
    app.worker_main(
        [
            "worker",
            f"--loglevel={loglevel}",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--hostname=wxo@%h",
        ]
    )
