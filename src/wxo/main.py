"""The FastAPI application factory."""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from wxo import __version__
from wxo.api.body_limit import BodySizeLimitMiddleware
from wxo.api.errors import install_error_handlers
from wxo.api.router import api_routers
from wxo.auth.tokens import TokenCache
from wxo.console.router import mount_console
from wxo.container import Container, build_container
from wxo.core.config import Settings, get_settings
from wxo.health.router import alive_router
from wxo.runtime.processes import die_with_parent, own_session

DESCRIPTION = """\
Open, self-hosted server for the WxO Server API (watsonx Orchestrate).

Every route is served under `/v1` and again under `/api/v1`; this document lists the `/v1` form.
Authenticate with `Authorization: Bearer <token>` (get one from `POST /api/v1/auth/token`).
Errors are `{"detail": "message"}`; request validation errors are 422 in FastAPI's shape.
"""


def upload_body_limits(settings: Settings) -> list[tuple[re.Pattern[str], int]]:
    """Larger body limits for the file upload routes (the per-file limit is checked again)."""
    slack = 1024 * 1024  # multipart headers and boundaries
    documents = settings.documents
    return [
        (re.compile(r"^(/api)?/v1/documents/[^/]+/upload$"), documents.max_file_bytes + slack),
        (
            re.compile(r"^(/api)?/v1/document-collections/[^/]+/documents$"),
            documents.max_batch_bytes + slack,
        ),
        (re.compile(r"^(/api)?/v1/extract$"), documents.extract_max_bytes + slack),
    ]


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """Build the app. Without `container`, one is built at start-up and closed at shutdown."""
    settings = settings or (container.settings if container else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = container is None
        app.state.container = container or build_container(settings)
        await app.state.container.warm_up()
        # Start-up objects live for the whole process: keep the collector from rescanning them
        # (measured: about 1 ms of GC per list-50 request without this).
        gc.collect()
        gc.freeze()
        gc.set_threshold(*settings.server.gc_thresholds)
        try:
            yield
        finally:
            if owned:
                await app.state.container.close()

    app = FastAPI(
        title="WxO Server API", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.state.token_cache = TokenCache(ttl=settings.auth.token_cache_seconds)
    if container is not None:
        app.state.container = container
    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.server.max_body_bytes,
        overrides=upload_body_limits(settings),
    )
    app.include_router(alive_router)
    for prefix, documented in (("/v1", True), ("/api/v1", False)):
        for router in api_routers():
            app.include_router(router, prefix=prefix, include_in_schema=documented)
    mount_console(app, settings.console)
    return app


def create_worker_app() -> FastAPI:
    """The app of one of several API processes (`wxo serve --workers N`).

    Built from the environment `serve` prepared; the process dies with `serve` (no strays) and
    runs in a session of its own, for its own share of the CPU (`own_session`).
    """
    die_with_parent()
    own_session()
    return create_app()
