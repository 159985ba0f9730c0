"""Run events: stored in `run_event`, then published on Redis pub/sub; followed by streams.

Every event is first committed (its `seq` allocated under the run's row lock), then published on
the channel `wxo:runs:<run_id>:events`. A follower subscribes first, then reads the stored events
after its cursor, then takes live messages; a gap in `seq` (or a quiet second) sends it back to
the table. So a stream never loses or repeats an event, whether it connects before, during or
after the run, and a lost publish only delays an event by the poll interval.

Event ids are `<run_id>:<seq, 8 digits>`: they sort in the run's order and are resume cursors.

Text deltas are coalesced: the first `message.delta` goes out at once, later ones at most one per
`DELTA_WINDOW_SECONDS` with the texts that arrived meanwhile joined, so a fast model costs a
commit per window rather than per token (bench/runs.py measured one commit per token as the
main cost of a run). Any other event first flushes the pending text, so the order holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wxo.runs import repository
from wxo.runs.exceptions import InvalidEventCursorError

logger = logging.getLogger(__name__)

DONE = "done"
POLL_SECONDS = 1.0
DELTA_WINDOW_SECONDS = 0.03


def events_channel(run_id: uuid.UUID) -> str:
    """The pub/sub channel of a run's events."""
    return f"wxo:runs:{run_id}:events"


def cancel_channel(run_id: uuid.UUID) -> str:
    """The pub/sub channel on which the API asks a run's worker to stop."""
    return f"wxo:runs:{run_id}:cancel"


def event_id(run_id: uuid.UUID, seq: int) -> str:
    """`<run_id>:<seq>`, zero-padded so that ids sort in order."""
    return f"{run_id}:{seq:08d}"


def parse_cursor(run_id: uuid.UUID, cursor: str | None) -> int:
    """The `seq` an event id (or a bare sequence number) names; 0 for none.

    Raises:
        InvalidEventCursorError: not an event id of this run.
    """
    if cursor is None or cursor.strip() == "":
        return 0
    prefix, _, number = cursor.strip().rpartition(":")
    if prefix and prefix != str(run_id):
        raise InvalidEventCursorError(f"'{cursor}' is not an event id of run {run_id}")
    if not number.isdigit():
        raise InvalidEventCursorError(f"'{cursor}' is not an event id (expected <run_id>:<seq>)")
    return int(number)


def render(run_id: uuid.UUID, seq: int, event: str, data: dict[str, Any]) -> dict[str, Any]:
    """The RunEvent object `{id, event, data}`."""
    return {"id": event_id(run_id, seq), "event": event, "data": data}


async def append(
    session: AsyncSession,
    run_id: uuid.UUID,
    thread_id: uuid.UUID,
    event: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Add an event to the session's transaction (the caller commits, then publishes it)."""
    payload = {"run_id": str(run_id), "thread_id": str(thread_id), **data}
    encoded = json.dumps(payload, default=str)
    seq = await repository.append_event(session, run_id=run_id, event=event, data_json=encoded)
    return render(run_id, seq, event, json.loads(encoded))


def delta_data(text: str) -> dict[str, Any]:
    """The data of a `message.delta` carrying `text`."""
    return {"delta": {"role": "assistant", "content": [{"response_type": "text", "text": text}]}}


class EventWriter:
    """Stores and publishes one run's events; every event's data has `run_id` and `thread_id`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        redis: aioredis.Redis,
        *,
        run_id: uuid.UUID,
        thread_id: uuid.UUID,
    ) -> None:
        """Write for `run_id` through fresh sessions."""
        self.sessions = sessions
        self.redis = redis
        self.run_id = run_id
        self.thread_id = thread_id
        self._pending: list[str] = []
        self._last_delta = 0.0
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._timer_sleeping = False

    async def emit(self, event: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Flush pending text, commit the event in its own transaction, publish it; the RunEvent."""
        return (await self.emit_many([(event, data or {})]))[0]

    async def emit_many(self, items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Flush pending text, then commit `items` in one transaction and publish them in order."""
        await self.flush()
        return await self._write(items)

    async def text_delta(self, text: str) -> None:
        """A `message.delta`: now if none went out within the window, else joined to the next."""
        if not text:
            return
        self._pending.append(text)
        wait = self._last_delta + DELTA_WINDOW_SECONDS - time.monotonic()
        if wait <= 0:
            await self.flush()
        elif self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._flush_after(wait))

    async def flush(self) -> None:
        """Write the pending text as one `message.delta` (waits for a flush in progress)."""
        async with self._lock:
            if not self._pending:
                return
            text = "".join(self._pending)
            self._pending.clear()
            self._last_delta = time.monotonic()
            await self._write([("message.delta", delta_data(text))])

    async def close(self) -> None:
        """Flush pending text and stop the window's timer (before the run's last events)."""
        if self._timer is not None and self._timer_sleeping:
            self._timer.cancel()  # only while it sleeps: never in the middle of a commit
        await self.flush()

    async def _flush_after(self, wait: float) -> None:
        self._timer_sleeping = True
        try:
            await asyncio.sleep(wait)
        finally:
            self._timer_sleeping = False
        try:
            await self.flush()
        except Exception:  # the executor's next event or the run's end writes it again
            logger.warning("run %s: writing a text delta failed", self.run_id, exc_info=True)

    async def _write(self, items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            written = [
                await append(session, self.run_id, self.thread_id, event, data)
                for event, data in items
            ]
            await session.commit()
        for rendered in written:
            await self.publish(rendered)
        return written

    async def publish(self, rendered: dict[str, Any]) -> None:
        """Tell live followers (best effort: they re-read the table on a gap or a quiet second)."""
        await publish(self.redis, self.run_id, rendered)


async def publish(redis: aioredis.Redis, run_id: uuid.UUID, rendered: dict[str, Any]) -> None:
    """Publish a stored event to the run's channel; a Redis failure is logged, not raised."""
    try:
        await redis.publish(events_channel(run_id), json.dumps(rendered))
    except Exception:
        logger.warning("run %s: publishing an event failed", run_id, exc_info=True)


def _seq_of(rendered: dict[str, Any]) -> int:
    return int(str(rendered["id"]).rpartition(":")[2])


async def _stored(
    sessions: async_sessionmaker[AsyncSession], run_id: uuid.UUID, after_seq: int
) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await repository.list_events(session, run_id=run_id, after_seq=after_seq)
        return [render(run_id, row.seq, row.event, row.data) for row in rows]


async def follow(
    sessions: async_sessionmaker[AsyncSession],
    redis: aioredis.Redis,
    run_id: uuid.UUID,
    *,
    after_seq: int = 0,
    timeout_seconds: float | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """The run's events after `after_seq`, stored then live, until `done` or the timeout."""
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    last = after_seq
    pubsub = redis.pubsub()
    await pubsub.subscribe(events_channel(run_id))
    try:
        while True:
            for rendered in await _stored(sessions, run_id, last):
                yield rendered
                last = _seq_of(rendered)
                if rendered["event"] == DONE:
                    return
            # Live messages while they continue the sequence; back to the table otherwise.
            while True:
                wait = POLL_SECONDS
                if deadline is not None:
                    wait = min(wait, deadline - time.monotonic())
                    if wait <= 0:
                        return
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
                if message is None:
                    break
                rendered = json.loads(message["data"])
                seq = _seq_of(rendered)
                if seq <= last:
                    continue
                if seq != last + 1:
                    break
                yield rendered
                last = seq
                if rendered["event"] == DONE:
                    return
    finally:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(_close(pubsub))


async def _close(pubsub: Any) -> None:
    try:
        await pubsub.unsubscribe()
    finally:
        await pubsub.aclose()
