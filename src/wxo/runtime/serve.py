"""`wxo serve`: embedded services, migrations, a worker child and uvicorn, all stopped together."""

from __future__ import annotations

import logging
import signal
import sys

import uvicorn

from wxo.core import migrate
from wxo.core.config import Settings
from wxo.main import create_app
from wxo.runtime import processes
from wxo.runtime.bootstrap import dev_token
from wxo.runtime.embedded import child_environment
from wxo.runtime.services import backing_services

logger = logging.getLogger(__name__)


class _StopRequestedError(Exception):
    """Raised by our signal handler so that every `finally` block runs."""


def _request_stop(signum: int, _frame: object) -> None:
    raise _StopRequestedError(signum)


def serve(settings: Settings, *, worker_concurrency: int, with_worker: bool = True) -> None:
    """Run the whole server in the foreground until Ctrl-C or SIGTERM; stop every child."""
    # uvicorn restores these handlers after its own graceful shutdown and re-raises the signal;
    # ours turns it into an exception, so the worker, Redis and PostgreSQL are stopped below.
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    try:
        _serve(settings, worker_concurrency=worker_concurrency, with_worker=with_worker)
    except _StopRequestedError:
        logger.info("stop requested")


def _serve(settings: Settings, *, worker_concurrency: int, with_worker: bool) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with backing_services(settings) as resolved:
        migrate.upgrade(resolved.require_database_url())
        token = None
        if resolved.environment == "development":
            token = dev_token(resolved)
        env = child_environment(resolved.require_database_url(), resolved.require_redis_url())
        env["WXO_DATA_DIR"] = str(resolved.data_dir)  # beat keeps its schedule file there
        worker = None
        if with_worker:
            # Supervised: a killed worker (and the beat's sweeper inside it) comes back, and the
            # sweeper then fails the runs the dead worker left `running` (no heartbeat).
            worker = processes.Supervisor(
                [
                    *[sys.executable, "-m", "wxo", "worker"],
                    *["--concurrency", str(worker_concurrency), "--beat"],
                ],
                env,
                name="wxo worker",
            )
        try:
            _announce(resolved, token)
            _run_uvicorn(resolved)
        finally:
            if worker is not None:
                worker.stop()
            logger.info("wxo stopped")


def _announce(settings: Settings, token: str | None) -> None:
    url = f"http://{settings.server.host}:{settings.server.port}"
    lines = [f"wxo is starting at {url}  (API docs: {url}/docs)"]
    if token:
        lines.append(f"Development token for tenant '{settings.auth.dev_tenant}':")
        lines.append(f"  export WXO_TOKEN={token}")
        lines.append(f'  curl -H "Authorization: Bearer $WXO_TOKEN" {url}/v1/threads')
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


def _run_uvicorn(settings: Settings) -> None:
    if settings.server.workers > 1:
        # Several API processes: each builds its app from the environment.
        import os

        os.environ.update(
            child_environment(settings.require_database_url(), settings.require_redis_url())
        )
        uvicorn.run(
            "wxo.main:create_worker_app",
            factory=True,
            host=settings.server.host,
            port=settings.server.port,
            workers=settings.server.workers,
            log_level=settings.log_level.lower(),
            access_log=False,
        )
        return
    config = uvicorn.Config(
        create_app(settings),
        host=settings.server.host,
        port=settings.server.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
    uvicorn.Server(config).run()
