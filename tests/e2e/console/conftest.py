"""The web console in a real browser: Debian's Chromium driven by Playwright, against `wxo serve`.

Playwright never downloads a browser here: it launches `/usr/bin/chromium` (`.ci/run` installs
Debian's package). Without it the tests are skipped, unless `WXO_REQUIRE_BROWSER=1` (set by
`.ci/run`), which turns the missing browser into a failure.

Every test gets a fresh browser context (its own sessionStorage) and fails when the page logged
a console error or threw. `shot(page, name)` saves a screenshot under `test-output/console/`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-output" / "console"
# Flags for a closed network, as root, without a screen.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USERNAME = "console-user"
PASSWORD = "console-password-1"
TENANT = "console-tenant"

if not CHROMIUM.exists():
    if os.environ.get("WXO_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="package")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One `wxo serve` for the console tests, with a password user in a tenant of its own."""
    instance = ServerProcess(data_dir=tmp_path_factory.mktemp("console") / "data")
    instance.start()
    admin = [sys.executable, "-m", "wxo", "admin"]
    subprocess.run(
        [*admin, "create-token", "--tenant", TENANT, "--user", USERNAME],
        env=instance.env(),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *admin,
            "create-user",
            "--username",
            f"{USERNAME}-pw",
            "--password",
            PASSWORD,
            "--tenant",
            TENANT,
        ],
        env=instance.env(),
        check=True,
        capture_output=True,
    )
    yield instance
    if instance.process is not None and instance.process.poll() is None:
        instance.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, console_server: ServerProcess) -> Iterator[Page]:
    """A fresh tab on the console; the test fails if the page logs an error or throws."""
    context = browser.new_context(
        base_url=console_server.url, viewport={"width": 1280, "height": 860}
    )
    context.set_default_timeout(20_000)
    tab = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A 4xx the test provoked (a wrong password) is logged too; it is not the page's fault.
        expected = message.text.startswith(
            "Failed to load resource: the server responded with a status of 4"
        )
        if message.type == "error" and not expected:
            problems.append(f"console error: {message.text}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield tab
    context.close()
    assert problems == []


@pytest.fixture
def signed_in(page: Page, console_server: ServerProcess) -> Page:
    """The console open with the server's development token pasted in."""
    page.goto("/")
    page.get_by_role("tab", name="Token").click()
    page.get_by_label("Token").fill(console_server.token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").wait_for()
    return page


@pytest.fixture
def shot() -> Callable[[Page, str], Path]:
    """Save a full-page screenshot as test-output/console/NAME.png."""

    def save(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
