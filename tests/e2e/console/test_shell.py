"""The console's shell in Chromium: every page at phone width, keyboard focus, a revoked token."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ServerProcess
from tests.e2e.console.conftest import admin, sign_in_with_token

PAGES = ["Chat", "Knowledge", "Search", "Models"]


def test_every_page_opens_from_the_navigation_at_phone_width(
    signed_in: Page, shot: Callable[[Page, str], Path]
) -> None:
    signed_in.set_viewport_size({"width": 390, "height": 844})
    for name in PAGES:
        link = signed_in.get_by_role("navigation", name="Main").get_by_role("link", name=name)
        link.click()
        expect(link).to_have_attribute("aria-current", "page")
        assert signed_in.url.endswith(f"#/{name.lower()}")
        # Nothing wider than the phone: the page scrolls vertically only.
        overflow = signed_in.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} is {overflow}px wider than the screen"
    shot(signed_in, "shell-phone")


def test_keyboard_reaches_the_navigation_with_a_visible_focus_ring(signed_in: Page) -> None:
    signed_in.get_by_role("link", name="wxo").focus()  # the brand link, first in the page
    signed_in.keyboard.press("Tab")
    focused = signed_in.evaluate("document.activeElement.textContent")
    assert focused == "Chat"
    outline = signed_in.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    signed_in.keyboard.press("Tab")
    signed_in.keyboard.press("Enter")
    expect(
        signed_in.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge")
    ).to_have_attribute("aria-current", "page")


def test_a_revoked_token_signs_the_tab_out(page: Page, console_server: ServerProcess) -> None:
    token = admin(
        console_server, "create-token", "--tenant", "revoked-tenant", "--user", "revoked-user"
    )
    sign_in_with_token(page, token)
    expect(page.get_by_test_id("tenant")).to_have_text("Tenant: revoked-tenant")

    admin(console_server, "revoke-token", token)
    # The API's token cache (5 s) forgets a revoked token; the page's next call is a 401, which
    # signs the tab out. Moving between pages makes calls.
    heading = page.get_by_role("heading", name="Sign in to wxo")
    deadline = time.monotonic() + 20
    while not heading.is_visible():
        assert time.monotonic() < deadline, "still signed in 20 s after the revocation"
        page.goto("/#/knowledge" if page.url.endswith("#/chat") else "/#/chat")
        page.wait_for_timeout(500)
    assert page.evaluate("sessionStorage.getItem('wxo.token')") is None
