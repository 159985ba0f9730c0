"""A small website on 127.0.0.1 for crawler tests; its pages can be changed between crawls.

Default site (`default_pages`):
    /robots.txt         disallows /private/
    /sitemap.xml        lists / and /orphan (a page no other page links to)
    /                   links to /a, /b, /private/secret, /meta, /big, /deep/1, and a fragment
    /a -> /c, /b -> /a  plain pages
    /deep/1 -> /deep/2 -> /deep/3
    /private/secret     disallowed by robots.txt
    /meta               302 to http://169.254.169.254/latest (the cloud metadata address)
    /big                larger than a 2 000-byte page limit
Anything else is 404. `hits` counts requests per path.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    """One response: status, body, type and extra headers."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def html(title: str, text: str, *links: str) -> Page:
    """An HTML page with a title, a paragraph and links."""
    anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return Page(
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
        f"<p>{text}</p><ul>{anchors}</ul></body></html>".encode()
    )


def default_pages() -> dict[str, Page]:
    """The site described in the module docstring."""
    return {
        "/robots.txt": Page(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
        "/sitemap.xml": Page(
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>{base}/</loc></url><url><loc>{base}/orphan</loc></url></urlset>",
            content_type="application/xml",
        ),
        "/": html(
            "Home",
            "Welcome to the loopback site.",
            "/a",
            "b",
            "/private/secret",
            "/meta",
            "/big",
            "/deep/1",
            "/a#section",
        ),
        "/a": html("Page A", "Alpha content about apples.", "/c"),
        "/b": html("Page B", "Beta content about bananas.", "/a"),
        "/c": html("Page C", "Gamma content about cherries."),
        "/orphan": html("Orphan", "Only the sitemap knows this page."),
        "/deep/1": html("Deep 1", "One level down.", "/deep/2"),
        "/deep/2": html("Deep 2", "Two levels down.", "/deep/3"),
        "/deep/3": html("Deep 3", "Three levels down: beyond a max_depth of 2."),
        "/private/secret": html("Secret", "Robots may not read this."),
        "/meta": Page(
            status=302,
            content_type="text/plain",
            headers={"Location": "http://169.254.169.254/latest/meta-data/"},
        ),
        "/big": Page(b"<html><body>" + b"x" * 5000 + b"</body></html>"),
        "/standalone": Page(b"A standalone text document.", content_type="text/plain"),
    }


class Site:
    """The pages served (mutable between crawls) and the requests seen."""

    def __init__(self) -> None:
        """Serve the default site."""
        self.pages = default_pages()
        self.hits: Counter[str] = Counter()
        self.port = 0

    def url(self, path: str) -> str:
        """`http://127.0.0.1:<port><path>`."""
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet."""

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            site.hits[path] += 1
            page = site.pages.get(path) or Page(b"not found", 404, "text/plain")
            body = page.body.replace(b"{base}", f"http://127.0.0.1:{site.port}".encode())
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in page.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        """No traceback for clients that hang up early."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def loopback_site() -> Iterator[Site]:
    """Serve a fresh `Site` on an ephemeral port of 127.0.0.1 until the block ends."""
    site = Site()
    server = _QuietServer(("127.0.0.1", 0), _handler(site))
    site.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
