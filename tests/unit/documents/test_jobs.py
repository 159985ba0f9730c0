"""Pipeline job payloads: grouping a batch upload's documents into extract jobs."""

from __future__ import annotations

import uuid

import pytest

from wxo.documents.jobs import extract_batches, job_ids, job_kwargs

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
