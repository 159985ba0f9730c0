"""The worker entry point: the same settings and queue configuration as the API."""

from __future__ import annotations

import os
from pathlib import Path

from wxo.core.config import Settings
from wxo.documents.tasks import warm_up
from wxo.queue.celery_app import MAINTENANCE_QUEUE, create_celery
from wxo.runtime.processes import set_session_nice


def run_worker(
    settings: Settings, *, concurrency: int, loglevel: str = "INFO", beat: bool = False
) -> None:
    """Run a Celery worker until it is told to stop (SIGTERM: warm shutdown).

    With `beat`, the worker also runs Celery beat (the periodic sweeper); exactly one worker of a
    deployment should. Beat's schedule file lives in the data directory, not the working directory.
    """
    if settings.redis.url is None or settings.database.url is None:
        raise SystemExit(
            "wxo worker needs WXO_DATABASE_URL and WXO_REDIS_URL "
            "(`wxo serve` starts a worker for you in embedded mode)"
        )
    if settings.documents.worker_nice:
        os.nice(settings.documents.worker_nice)  # inherited by the prefork children
        set_session_nice(settings.documents.worker_nice)  # started by `wxo serve`: its session
    warm_up(settings)
    app = create_celery(settings.redis.url, settings.documents)
    app.conf.wxo_settings = settings  # tasks build their container from these, not the env again
    argv = [
        "worker",
        f"--loglevel={loglevel}",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        "--hostname=wxo@%h",
        f"--queues={app.conf.task_default_queue},{MAINTENANCE_QUEUE}",
    ]
    if beat:
        argv += ["--beat", f"--schedule-filename={beat_schedule_file(settings)}"]
    app.worker_main(argv)


def beat_schedule_file(settings: Settings) -> Path:
    """Where Celery beat keeps its last-run times (created with the data directory)."""
    folder = settings.data_dir / "celery"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "beat-schedule"
