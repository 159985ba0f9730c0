"""Serve the web console: `index.html` at `/`, its modules and the npm libraries under `/console`.

`/console/src` holds the console's own modules; `/console/lib/NAME` the libraries npm installed.

The console is a client of the public API like any other: it holds no server state and needs no
route of its own beyond these static files.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from wxo.core.config import ConsoleSettings

# Libraries the page's import map names; nothing else under node_modules is served.
LIBRARIES = ("preact", "htm", "marked", "dompurify")
# The page may load only its own scripts and styles; API calls go to the same origin.
CSP = (
    "default-src 'self'; script-src 'self' 'sha256-{importmap}'; img-src 'self' blob: data:; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

NOT_INSTALLED = """<!doctype html><title>wxo console not installed</title>
<h1>The wxo console is not installed</h1>
<p>Its libraries are missing: run <code>make run</code> (or <code>npm ci</code> in
<code>{folder}</code>). The API works without it: see <a href="/docs">/docs</a>.</p>"""


def default_folder() -> Path:
    """`web/` next to `src/` in the source checkout (an editable install, as `make` makes)."""
    return Path(__file__).resolve().parents[3] / "web"


def mount_console(app: FastAPI, settings: ConsoleSettings) -> None:
    """Add the console's routes to `app` (nothing when it is disabled)."""
    if not settings.enabled:
        return
    folder = (settings.dir or default_folder()).resolve()
    index = folder / "index.html"
    modules = folder / "node_modules"
    if not index.is_file() or not all((modules / name).is_dir() for name in LIBRARIES):

        @app.get("/", include_in_schema=False)
        async def console_missing() -> HTMLResponse:
            return HTMLResponse(NOT_INSTALLED.format(folder=folder), status_code=503)

        return

    headers = {"Content-Security-Policy": CSP.format(importmap=_importmap_hash(index))}

    @app.get("/", include_in_schema=False)
    async def console_index() -> FileResponse:
        return FileResponse(index, headers={**headers, "Cache-Control": "no-cache"})

    app.mount("/console/src", StaticFiles(directory=folder / "src"), name="console-src")
    for name in LIBRARIES:
        app.mount(
            f"/console/lib/{name}",
            StaticFiles(directory=modules / name),
            name=f"console-lib-{name}",
        )


def _importmap_hash(index: Path) -> str:
    """The CSP hash of the page's inline import map (the one inline script it has)."""
    found = re.search(r'<script type="importmap">(.*?)</script>', index.read_text(), re.S)
    body = found.group(1) if found else ""
    return base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
