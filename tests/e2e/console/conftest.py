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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import ServerProcess, running

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
PROVOKED_4XX = "Failed to load resource: the server responded with a status of 4"
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
    data_dir = tmp_path_factory.mktemp("console") / "data"
    with running(ServerProcess(data_dir=data_dir)) as instance:
        admin(instance, "create-token", "--tenant", TENANT, "--user", USERNAME)
        admin(
            instance,
            "create-user",
            "--username",
            f"{USERNAME}-pw",
            "--password",
            PASSWORD,
            "--tenant",
            TENANT,
        )
        yield instance


def admin(server: ServerProcess, *args: str) -> str:
    """Run `wxo admin ARGS` against `server`'s data directory; its stdout, stripped."""
    return subprocess.run(
        [sys.executable, "-m", "wxo", "admin", *args],
        env=server.env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@contextmanager
def console_tab(
    browser: Browser, server: ServerProcess, allowed: Iterable[str] = ()
) -> Iterator[Page]:
    """A fresh tab (its own sessionStorage) on `server`'s console.

    Fails when the page logged a console error or threw, except for the lines starting with
    one of `allowed` and the `Failed to load resource … status of 4xx` lines that a test
    provokes on purpose (a wrong password).
    """
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # `allowed` is read when a message comes: a test may add to it after the tab opened.
        if message.type == "error" and not message.text.startswith((PROVOKED_4XX, *allowed)):
            problems.append(f"console error: {message.text}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        yield tab
    finally:
        context.close()
    assert problems == []


def sign_in_with_token(tab: Page, token: str) -> Page:
    """Open the console in `tab` and sign in by pasting `token`."""
    tab.goto("/")
    tab.get_by_role("tab", name="Token").click()
    tab.get_by_label("Token").fill(token)
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_role("navigation", name="Main").wait_for()
    return tab


@pytest.fixture
def allowed_errors() -> list[str]:
    """Console errors a test provokes on purpose (a module may override this fixture)."""
    return []


@pytest.fixture
def page(
    browser: Browser, console_server: ServerProcess, allowed_errors: list[str]
) -> Iterator[Page]:
    """A fresh tab on the console; the test fails if the page logs an error or throws."""
    with console_tab(browser, console_server, allowed_errors) as tab:
        yield tab


@pytest.fixture
def signed_in(page: Page, console_server: ServerProcess) -> Page:
    """The console open with the server's development token pasted in."""
    return sign_in_with_token(page, console_server.token)


@pytest.fixture
def shot() -> Callable[[Page, str], Path]:
    """Save a full-page screenshot as test-output/console/NAME.png."""

    def save(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
