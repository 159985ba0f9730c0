"""Cancel work when the HTTP client goes away (so an upstream model call is closed too)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

from fastapi import Request

T = TypeVar("T")


class ClientDisconnectedError(Exception):
    """The client closed the connection before the answer was ready."""


async def cancel_on_disconnect(
    request: Request, work: Coroutine[Any, Any, T], poll_seconds: float = 0.1
) -> T:
    """Await `work`, cancelling it as soon as the client disconnects."""
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=poll_seconds)
            if done:
                return task.result()
            if await request.is_disconnected():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                raise ClientDisconnectedError
    finally:
        if not task.done():
            task.cancel()
