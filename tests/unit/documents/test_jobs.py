"""Pipeline job payloads: grouping a batch upload's documents into extract jobs, and sending them."""

from __future__ import annotations

import threading
import uuid

import pytest

from wxo.documents.jobs import extract_batches, job_ids, job_kwargs, send_jobs
from wxo.queue.base import Priority

MB = 1024 * 1024


def _ids(n: int) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(n)]


def test_documents_are_grouped_by_count_in_order() -> None:
    ids = _ids(5)

    batches = extract_batches([(i, 10) for i in ids], max_documents=2, max_bytes=MB)

    assert batches == [ids[0:2], ids[2:4], ids[4:5]]


def test_a_job_holds_at_most_max_bytes_unless_one_document_is_larger() -> None:
    small, big, after = _ids(3)

    batches = extract_batches(
        [(small, 3 * MB), (big, 9 * MB), (after, 1 * MB)], max_documents=16, max_bytes=4 * MB
    )

    assert batches == [[small], [big], [after]]


def test_no_documents_make_no_jobs() -> None:
    assert extract_batches([], max_documents=16, max_bytes=MB) == []


def test_job_kwargs_round_trip_for_one_and_for_many() -> None:
    one, many = _ids(1), _ids(3)

    assert job_kwargs(one) == {"document_id": str(one[0])}
    assert job_ids(**job_kwargs(one)) == one
    assert job_ids(**job_kwargs(many)) == many


def test_a_job_without_documents_is_refused() -> None:
    with pytest.raises(ValueError, match="document_id"):
        job_ids()


class _ThreadRecordingQueue:
    """Records the thread each job was sent from."""

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, object], int]] = []

    def enqueue(
        self, task_name: str, *, priority: Priority = Priority.NORMAL, **payload: object
    ) -> str:
        self.sent.append((payload, threading.get_ident()))
        return "job"

    def backlog(self) -> int:
        return 0

    def workers_alive(self, timeout: float) -> int:
        return 0

    def warm_up(self) -> None:
        return None


async def test_send_jobs_sends_every_batch_from_a_thread_off_the_event_loop() -> None:
    queue = _ThreadRecordingQueue()
    first, second = _ids(2), _ids(1)

    await send_jobs(queue, "wxo.test.task", [first, second])

    assert [payload for payload, _ in queue.sent] == [job_kwargs(first), job_kwargs(second)]
    assert {thread for _, thread in queue.sent} != {threading.get_ident()}


async def test_send_jobs_with_no_batch_sends_nothing() -> None:
    queue = _ThreadRecordingQueue()

    await send_jobs(queue, "wxo.test.task", [])

    assert queue.sent == []
