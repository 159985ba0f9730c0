"""A real HTTP server on 127.0.0.1 for URL-fetching tests (started and stopped by the test).

Routes (GET):
    /page.html      a small HTML page
    /report         a text file named by Content-Disposition ("report 2026.txt")
    /to/<path>      302 to the URL in <path> ("/to/http://10.0.0.1/" redirects there)
    /hop/<n>        n redirects (/hop/n-1 ... /hop/1), then the page
    /slow           headers at once, then one byte every 0.2 s for up to 20 s
    /big            2 MiB with no Content-Length (streamed)
    /missing        404
    /host           echoes the Host header it received
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = (
    b"<html><head><title>Fetched page</title></head><body><h1>Fetched page</h1>"
    b"<p>The quick brown fox was fetched over HTTP.</p></body></html>"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet."""

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        if path == "/page.html":
            self._send(200, PAGE, "text/html; charset=utf-8")
        elif path == "/report":
            body = b"Quarterly report.\n\nRevenue grew in every region.\n"
            self._send(
                200,
                body,
                "text/plain",
                Content_Disposition="attachment; filename*=UTF-8''report%202026.txt",
            )
        elif path.startswith("/to/"):
            self._send(302, b"", "text/plain", Location=path[len("/to/") :])
        elif path.startswith("/hop/"):
            n = int(path.rsplit("/", 1)[1])
            self._send(302, b"", "text/plain", Location=f"/hop/{n - 1}" if n > 1 else "/page.html")
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "100")
            self.end_headers()
            deadline = time.monotonic() + 20
            try:
                while time.monotonic() < deadline:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:  # the client gave up, as it should
                return
        elif path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(32):
                    self.wfile.write(b"\0" * 65536)
            except OSError:
                return
            self.close_connection = True
        elif path == "/host":
            self._send(200, self.headers.get("Host", "").encode(), "text/plain")
        else:
            self._send(404, b"not found", "text/plain")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up early are what these tests do: no traceback for those."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass(frozen=True)
class LoopbackServer:
    """Where the server listens."""

    port: int

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """`http://127.0.0.1:<port><path>`."""
        return f"http://{host}:{self.port}{path}"


@contextmanager
def loopback_server() -> Iterator[LoopbackServer]:
    """Serve on an ephemeral port of 127.0.0.1 until the block ends."""
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LoopbackServer(port=server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
