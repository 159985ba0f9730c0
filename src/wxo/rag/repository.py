"""Reads the RAG patterns need: neighbouring chunks of a document, and chunk dates.

The SQL is fixed; every value is a bound parameter. Every query names the tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

NEIGHBOURS_SQL = """
SELECT c.id, c.index_id, c.document_id, c.ord, c.text
FROM chunk c
JOIN unnest(CAST(:index_ids AS uuid[]), CAST(:document_ids AS uuid[]),
            CAST(:lows AS int[]), CAST(:highs AS int[])) AS w(index_id, document_id, lo, hi)
  ON c.index_id = w.index_id AND c.document_id = w.document_id AND c.ord BETWEEN w.lo AND w.hi
WHERE c.tenant_id = :tenant_id
ORDER BY c.index_id, c.document_id, c.ord
"""

DATES_SQL = """
SELECT c.id, COALESCE(c.source_date, d.source_date, d.created_at) AS dated
FROM chunk c JOIN document d ON d.id = c.document_id
WHERE c.tenant_id = :tenant_id AND c.id = ANY(CAST(:chunk_ids AS uuid[]))
"""


async def chunks_in_windows(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    windows: Sequence[tuple[uuid.UUID, uuid.UUID, int, int]],
) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, int, str]]:
    """Chunks `(id, index_id, document_id, ord, text)` in `(index, document, lo, hi)` windows."""
    if not windows:
        return []
    rows = await session.execute(
        text(NEIGHBOURS_SQL),
        {
            "tenant_id": tenant_id,
            "index_ids": [w[0] for w in windows],
            "document_ids": [w[1] for w in windows],
            "lows": [w[2] for w in windows],
            "highs": [w[3] for w in windows],
        },
    )
    return [(r[0], r[1], r[2], int(r[3]), str(r[4])) for r in rows.all()]


async def chunk_dates(
    session: AsyncSession, tenant_id: uuid.UUID, chunk_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """Each chunk's date: its source date, else its document's source date, else upload time."""
    if not chunk_ids:
        return {}
    rows = await session.execute(
        text(DATES_SQL), {"tenant_id": tenant_id, "chunk_ids": list(chunk_ids)}
    )
    return {r[0]: r[1] for r in rows.all() if r[1] is not None}
