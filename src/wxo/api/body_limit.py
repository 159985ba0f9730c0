"""A pure ASGI middleware that refuses request bodies over a size limit with 413."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLargeError(Exception):
    """Raised inside `receive` when a streamed body passes the limit."""


class BodySizeLimitMiddleware:
    """Reject bodies larger than `max_bytes` (by Content-Length, or while streaming).

    `overrides` give other limits to paths matching a pattern (e.g. file uploads).
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        overrides: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        """Wrap `app`."""
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = tuple(overrides)

    def limit_for(self, path: str) -> int:
        """The limit for a request path: the first matching override, else `max_bytes`."""
        return next(
            (limit for pattern, limit in self.overrides if pattern.match(path)), self.max_bytes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length first, then count the streamed bytes."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope.get("path", ""))
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > max_bytes:
                    await self._reject(send, max_bytes)
                    return
        received = 0
        too_large = False
        replaced = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    too_large = True
                    raise BodyTooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            # The framework may turn our exception into its own error response (FastAPI answers
            # 400 "error parsing the body"); whatever it sends, the client gets our 413.
            nonlocal replaced
            if too_large:
                if not replaced:
                    replaced = True
                    await self._reject(send, max_bytes)
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLargeError:
            if not replaced:
                await self._reject(send, max_bytes)

    async def _reject(self, send: Send, max_bytes: int) -> None:
        body = json.dumps(
            {"detail": f"Request body is larger than the limit of {max_bytes} bytes"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
