"""A first-come, first-served connection pool for the async engine.

SQLAlchemy's `AsyncAdaptedQueuePool` sits on an `asyncio.Queue`: a returned connection wakes
the longest waiter, but any coroutine that asks before that waiter runs takes the connection
first, and the waiter queues again at the back. Under load a few requests then wait for
hundreds of milliseconds while most wait for none (bench/threads.py, list-50 with a small pool:
p50 12 ms, p95 320 ms). This pool hands a returned connection straight to the oldest waiter,
and nobody takes a free connection while others wait, so waits are short and in order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, TypeVar

from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util import await_
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty, Full

T = TypeVar("T")


class FairAsyncQueue(AsyncAdaptedQueue[T]):
    """The pool's queue of idle connections, with a first-come, first-served hand-off."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._items: deque[T] = deque()
        self._waiters: deque[asyncio.Future[T]] = deque()

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._items)

    def qsize(self) -> int:
        return len(self._items)

    def put_nowait(self, item: T) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if waiter.done():
                continue  # timed out or cancelled
            try:
                waiter.set_result(item)
            except RuntimeError:
                continue  # its event loop is closed
            return
        if self.full():
            raise Full()
        self._items.append(item)

    def put(self, item: T, block: bool = True, timeout: float | None = None) -> None:  # noqa: ARG002
        # The pool never returns more connections than it holds: a put never has to wait.
        self.put_nowait(item)

    def get_nowait(self) -> T:
        if not self._items or any(not waiter.done() for waiter in self._waiters):
            raise Empty()
        return self._items.pop() if self.use_lifo else self._items.popleft()

    def get(self, block: bool = True, timeout: float | None = None) -> T:
        try:
            return self.get_nowait()
        except Empty:
            if not block:
                raise
        result: T = await_(self._wait(timeout))
        return result

    async def _wait(self, seconds: float | None) -> T:
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(seconds):
                return await waiter
        except TimeoutError:
            raise Empty() from None
        except BaseException:
            # Cancelled after the connection was handed over: give it to the next in line.
            if waiter.done() and not waiter.cancelled():
                self.put_nowait(waiter.result())
            raise


class FairAsyncQueuePool(AsyncAdaptedQueuePool):
    """`AsyncAdaptedQueuePool` with `FairAsyncQueue`: connections go to waiters in order."""

    _queue_class: Any = FairAsyncQueue
