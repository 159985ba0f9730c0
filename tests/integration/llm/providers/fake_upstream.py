"""A scriptable HTTP server on 127.0.0.1 that stands in for the providers' hosts.

Tests script replies per (method, path), read back every request (headers, query, body), and
for streamed replies learn how many chunks went out before the client went away. It is a real
server (uvicorn in a thread, its own event loop), so the SDKs run their whole HTTP stack,
whichever HTTP library they use (httpx, httpx2).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn

Scope = dict[str, Any]


@dataclass
class Reply:
    """One scripted answer. ``chunks`` makes it a streamed body, sent one chunk at a time."""

    status: int = 200
    json: Any = None
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] | None = None
    chunk_delay: float = 0.0
    delay: float = 0.0


@dataclass
class Recorded:
    """A request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body, parsed."""
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        """The body, parsed as a form."""
        return parse_qs(self.body.decode())


@dataclass
class StreamLog:
    """What happened to one streamed reply."""

    total: int
    sent: int = 0
    finished: bool = False
    disconnected: threading.Event = field(default_factory=threading.Event)


class FakeUpstream:
    """The ASGI app behind the server, and the script it follows."""

    def __init__(self) -> None:
        self.url = ""
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[Recorded] = []
        self.streams: list[StreamLog] = []

    def reset(self) -> None:
        """Forget the script and the record."""
        self.routes.clear()
        self.requests.clear()
        self.streams.clear()

    def reply(self, method: str, path: str, *replies: Reply) -> None:
        """Answer ``method path`` with ``replies`` in turn; the last one repeats."""
        self.routes[(method, path)] = list(replies)

    def to(self, path: str) -> list[Recorded]:
        """The requests received for ``path``."""
        return [r for r in self.requests if r.path == path]

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        query = parse_qs(scope["query_string"].decode())
        self.requests.append(Recorded(scope["method"], scope["path"], query, headers, body))
        replies = self.routes.get((scope["method"], scope["path"]))
        if not replies:
            reply = Reply(status=599, json={"error": f"no reply scripted for {scope['path']}"})
        else:
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if reply.delay:
            await asyncio.sleep(reply.delay)
        head = [(b"content-type", reply.content_type.encode())]
        head += [(k.encode(), v.encode()) for k, v in reply.headers.items()]
        if reply.chunks is None:
            content = reply.body if reply.body is not None else json.dumps(reply.json).encode()
            await send({"type": "http.response.start", "status": reply.status, "headers": head})
            await send({"type": "http.response.body", "body": content})
            return
        await self._stream(reply, head, receive, send)

    async def _stream(self, reply: Reply, head: list[Any], receive: Any, send: Any) -> None:
        chunks = reply.chunks or []
        log = StreamLog(total=len(chunks))
        self.streams.append(log)
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch())
        try:
            await send({"type": "http.response.start", "status": reply.status, "headers": head})
            for chunk in chunks:
                if gone.is_set():
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                log.sent += 1
                if reply.chunk_delay:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(gone.wait(), reply.chunk_delay)
            if not gone.is_set():
                await send({"type": "http.response.body", "body": b""})
                log.finished = True
        except OSError:  # uvicorn refuses to send to a client that left
            gone.set()
        finally:
            watcher.cancel()
        if gone.is_set():
            log.disconnected.set()


class ServerThread:
    """uvicorn serving a FakeUpstream on a free loopback port, in a thread of its own."""

    def __init__(self, app: FakeUpstream) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        app.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            loop="asyncio",
            http="h11",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})

    def start(self) -> None:
        """Start serving; returns once the server accepts connections."""
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                return
            threading.Event().wait(0.01)
        raise RuntimeError("the fake upstream did not start")

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def sse(*events: Any, done: bool = True, prefix: str = "") -> list[bytes]:
    """Server-sent events, one chunk each, each JSON event as ``data:``; then ``[DONE]``."""
    out = [f"{prefix}data: {json.dumps(e)}\n\n".encode() for e in events]
    return out + ([b"data: [DONE]\n\n"] if done else [])


def ndjson(*lines: Any) -> list[bytes]:
    """Newline-delimited JSON, one chunk per line (Ollama's streaming format)."""
    return [(json.dumps(line) + "\n").encode() for line in lines]


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def texts(chunks: Iterable[Any]) -> str:
    """The concatenated content of ChatChunks."""
    return "".join(chunk.content for chunk in chunks)
