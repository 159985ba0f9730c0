"""`fetch()` against a real HTTP server on 127.0.0.1 (allow-listed only where a test says so)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.loopback_http import PAGE, LoopbackServer, loopback_server
from wxo.webfetch import FetchError, fetch

LOOPBACK = ["127.0.0.1/32"]


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    """The loopback server for this module."""
    with loopback_server() as running:
        yield running


async def _fetch(url: str, **overrides: object) -> object:
    options: dict[str, object] = {
        "max_bytes": 1024 * 1024,
        "timeout_seconds": 5.0,
        "max_redirects": 5,
        "allow_networks": LOOPBACK,
        **overrides,
    }
    return await fetch(url, **options)  # type: ignore[arg-type]


async def _error(url: str, **overrides: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await _fetch(url, **overrides)
    return caught.value


async def test_fetch_downloads_an_allow_listed_page(server: LoopbackServer) -> None:
    fetched = await fetch(
        server.url("/page.html"),
        max_bytes=1024,
        timeout_seconds=5,
        max_redirects=0,
        allow_networks=LOOPBACK,
    )

    assert fetched.data == PAGE
    assert fetched.content_type == "text/html"
    assert fetched.filename == "page.html"
    assert fetched.final_url == server.url("/page.html")


async def test_fetch_takes_the_file_name_from_content_disposition(server: LoopbackServer) -> None:
    fetched = await fetch(
        server.url("/report"), max_bytes=1024, timeout_seconds=5, allow_networks=LOOPBACK
    )

    assert fetched.filename == "report 2026.txt"
    assert fetched.content_type == "text/plain"


async def test_fetch_refuses_loopback_without_the_allow_list(server: LoopbackServer) -> None:
    error = await _error(server.url("/page.html"), allow_networks=[])

    assert error.code == "blocked_address"
    assert "loopback address (127.0.0.1)" in error.message
    assert "fetch_allow_networks" in error.message


async def test_fetch_checks_resolved_names_and_keeps_the_host_header(
    server: LoopbackServer,
) -> None:
    url = server.url("/host", host="localhost")

    blocked = await _error(url, allow_networks=[])
    fetched = await fetch(
        url, max_bytes=1024, timeout_seconds=5, allow_networks=["127.0.0.1/32", "::1/128"]
    )

    assert blocked.code == "blocked_address"
    assert "(host localhost)" in blocked.message
    # Connected to the vetted IP, yet the server saw the name the user gave.
    assert fetched.data == f"localhost:{server.port}".encode()


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        ("http://10.0.0.1/", "private address (10.0.0.1)"),
        ("http://169.254.169.254/latest/meta-data/", "link-local address (169.254.169.254)"),
        ("http://[::ffff:127.0.0.2]/", "loopback address (127.0.0.2"),
        ("http://127.0.0.2/", "loopback address (127.0.0.2)"),
    ],
)
async def test_every_redirect_hop_is_checked(
    server: LoopbackServer, target: str, shown: str
) -> None:
    error = await _error(server.url(f"/to/{target}"))

    assert error.code == "blocked_address"
    assert shown in error.message


async def test_redirects_to_other_schemes_are_refused(server: LoopbackServer) -> None:
    error = await _error(server.url("/to/file:///etc/passwd"))

    assert error.code == "bad_url"


async def test_redirects_are_followed_up_to_the_limit(server: LoopbackServer) -> None:
    fetched = await _fetch(server.url("/hop/3"), max_redirects=3)
    error = await _error(server.url("/hop/4"), max_redirects=3)

    assert getattr(fetched, "data", None) == PAGE
    assert getattr(fetched, "redirects", None) == 3
    assert error.code == "too_many_redirects"


async def test_a_body_over_the_limit_is_refused(server: LoopbackServer) -> None:
    streamed = await _error(server.url("/big"), max_bytes=100_000)
    declared = await _error(server.url("/page.html"), max_bytes=10)

    assert streamed.code == "too_large"
    assert "100000 bytes" in streamed.message
    assert declared.code == "too_large"


async def test_a_server_dribbling_bytes_hits_the_total_deadline(server: LoopbackServer) -> None:
    started = time.monotonic()
    error = await _error(server.url("/slow"), timeout_seconds=1.0)
    elapsed = time.monotonic() - started

    assert error.code == "timeout"
    assert "1 seconds" in error.message
    assert elapsed < 2.5  # every read succeeds within 0.2 s: only a total deadline stops it


async def test_http_errors_name_the_status(server: LoopbackServer) -> None:
    error = await _error(server.url("/missing"))

    assert error.code == "http_error"
    assert "404 Not Found" in error.message


async def test_unresolvable_host_is_reported() -> None:
    error = await _error("http://no-such-host.invalid/")

    assert error.code == "unresolvable_host"
    assert "no-such-host.invalid" in error.message


async def test_refused_connection_is_reported(server: LoopbackServer) -> None:
    error = await _error("http://127.0.0.1:1/")

    assert error.code == "connection_failed"
