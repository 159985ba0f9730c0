"""Sign in and out of the web console in Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ServerProcess
from tests.e2e.console.conftest import PASSWORD, TENANT, USERNAME


def test_console_is_served_at_the_root_beside_the_api(console_server: ServerProcess) -> None:
    page = httpx.get(console_server.url + "/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "script-src 'self' 'sha256-" in page.headers["content-security-policy"]
    module = httpx.get(console_server.url + "/console/src/main.js")
    assert module.status_code == 200
    assert httpx.get(console_server.url + "/console/lib/preact/package.json").status_code == 200
    # Only the libraries the import map names are served, and the API is unchanged.
    assert httpx.get(console_server.url + "/console/lib/.package-lock.json").status_code == 404
    assert httpx.get(console_server.url + "/v1/threads").status_code == 401


def test_sign_in_with_password_shows_the_tenant_and_signs_out(
    page: Page, shot: Callable[[Page, str], Path]
) -> None:
    page.goto("/")
    shot(page, "signin")
    page.get_by_label("Username").fill(f"{USERNAME}-pw")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong username, password or token")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("tenant")).to_have_text(f"Tenant: {TENANT}")
    # The token lives in this tab's sessionStorage only, never in the URL.
    token = page.evaluate("sessionStorage.getItem('wxo.token')")
    assert token
    assert token not in page.url
    assert page.evaluate("localStorage.length") == 0

    page.reload()  # the tab keeps its session
    expect(page.get_by_test_id("tenant")).to_have_text(f"Tenant: {TENANT}")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to wxo")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0  # nothing of the session is left


def test_sign_in_with_a_pasted_token(signed_in: Page, console_server: ServerProcess) -> None:
    expect(signed_in.get_by_test_id("tenant")).not_to_have_text("Tenant: unknown")
    expect(signed_in.get_by_role("link", name="Chat")).to_have_attribute("aria-current", "page")
