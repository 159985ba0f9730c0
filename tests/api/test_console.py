"""The web console's static routes: its folder, a 503 when not installed, nothing when disabled.

The console itself is tested in Chromium: tests/e2e/console.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx

from wxo.console.router import LIBRARIES, default_folder
from wxo.core.config import ConsoleSettings, Settings
from wxo.main import create_app


async def _get(settings: Settings, path: str) -> httpx.Response:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return await http.get(path)


def _console(tmp_path: Path, *, libraries: bool) -> Path:
    folder = tmp_path / "web"
    shutil.copytree(default_folder() / "src", folder / "src")
    shutil.copy(default_folder() / "index.html", folder / "index.html")
    if libraries:
        for name in LIBRARIES:
            (folder / "node_modules" / name).mkdir(parents=True)
            (folder / "node_modules" / name / "package.json").write_text(json.dumps({"name": name}))
    (folder / "node_modules").mkdir(exist_ok=True)
    (folder / "node_modules" / "secret.txt").write_text("not served")
    return folder


async def test_console_page_modules_and_only_the_named_libraries_are_served(
    settings: Settings, tmp_path: Path
) -> None:
    local = settings.model_copy(
        update={"console": ConsoleSettings(dir=_console(tmp_path, libraries=True))}
    )
    index = await _get(local, "/")
    assert index.status_code == 200
    assert '<script type="importmap">' in index.text
    assert "frame-ancestors 'none'" in index.headers["content-security-policy"]
    assert (await _get(local, "/console/src/main.js")).status_code == 200
    assert (await _get(local, "/console/lib/htm/package.json")).json() == {"name": "htm"}
    assert (await _get(local, "/console/lib/secret.txt")).status_code == 404
    assert (await _get(local, "/console/src/../../node_modules/secret.txt")).status_code == 404


async def test_console_without_its_libraries_says_how_to_install_them(
    settings: Settings, tmp_path: Path
) -> None:
    local = settings.model_copy(
        update={"console": ConsoleSettings(dir=_console(tmp_path, libraries=False))}
    )
    response = await _get(local, "/")
    assert response.status_code == 503
    assert "make run" in response.text
    assert "npm ci" in response.text


async def test_disabled_console_serves_nothing(settings: Settings) -> None:
    local = settings.model_copy(update={"console": ConsoleSettings(enabled=False)})
    assert (await _get(local, "/")).status_code == 404
    assert (await _get(local, "/console/src/main.js")).status_code == 404
