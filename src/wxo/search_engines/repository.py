"""Database access of the Search Engine domain (every query names the tenant).

The SQL fragments are fixed; every value is a bound parameter (hence the S608 waiver).
"""
# ruff: noqa: S608

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.retrieval.models import VectorIndex
from wxo.search_engines.models import SearchEngine, SearchEngineIndex, SearchSuggestion

# --- engines ----------------------------------------------------------------------------------


async def insert_engine(session: AsyncSession, values: dict[str, Any]) -> SearchEngine:
    """Add an engine row (flushed, not committed)."""
    engine = SearchEngine(**values)
    session.add(engine)
    await session.flush()
    await session.refresh(engine)
    return engine


async def get_engine(
    session: AsyncSession, tenant_id: uuid.UUID, engine_id: uuid.UUID
) -> SearchEngine | None:
    """The tenant's engine, or None."""
    stmt = select(SearchEngine).where(
        SearchEngine.tenant_id == tenant_id, SearchEngine.id == engine_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_engine_by_name(
    session: AsyncSession, tenant_id: uuid.UUID, name: str
) -> SearchEngine | None:
    """The tenant's engine of that name, or None."""
    stmt = select(SearchEngine).where(
        SearchEngine.tenant_id == tenant_id, SearchEngine.name == name
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_engines(
    session: AsyncSession, tenant_id: uuid.UUID, *, name: str | None, limit: int, offset: int
) -> tuple[int, Sequence[SearchEngine]]:
    """A page of the tenant's engines, newest first, and the total."""
    stmt: Select[Any] = select(SearchEngine).where(SearchEngine.tenant_id == tenant_id)
    if name is not None:
        stmt = stmt.where(SearchEngine.name == name)
    counted = select(func.count()).select_from(stmt.subquery())
    total = int((await session.execute(counted)).scalar_one())
    page = (
        stmt.order_by(SearchEngine.created_at.desc(), SearchEngine.id).limit(limit).offset(offset)
    )
    return total, (await session.execute(page)).scalars().all()


async def update_engine(
    session: AsyncSession, engine: SearchEngine, values: dict[str, Any]
) -> SearchEngine:
    """Change an engine's columns; `updated_at` moves."""
    await session.execute(
        update(SearchEngine)
        .where(SearchEngine.id == engine.id)
        .values(**values, updated_at=func.now())
    )
    await session.flush()
    await session.refresh(engine)
    return engine


async def delete_engine(session: AsyncSession, engine: SearchEngine) -> None:
    """Delete an engine (its index links go with it)."""
    await session.execute(delete(SearchEngine).where(SearchEngine.id == engine.id))


# --- indices ----------------------------------------------------------------------------------


async def owned_index_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `ids` are the tenant's vector indices."""
    stmt = select(VectorIndex.id).where(VectorIndex.tenant_id == tenant_id, VectorIndex.id.in_(ids))
    return set((await session.execute(stmt)).scalars().all())


async def set_indices(
    session: AsyncSession, engine_id: uuid.UUID, index_ids: Sequence[uuid.UUID]
) -> None:
    """Make `index_ids` (in this order) the engine's indices."""
    await session.execute(delete(SearchEngineIndex).where(SearchEngineIndex.engine_id == engine_id))
    await session.execute(
        insert(SearchEngineIndex),
        [
            {"engine_id": engine_id, "index_id": index_id, "position": position}
            for position, index_id in enumerate(index_ids)
        ],
    )


async def index_ids_of(
    session: AsyncSession, engine_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each engine's index ids, in order."""
    stmt = (
        select(SearchEngineIndex.engine_id, SearchEngineIndex.index_id)
        .where(SearchEngineIndex.engine_id.in_(engine_ids))
        .order_by(SearchEngineIndex.engine_id, SearchEngineIndex.position)
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for engine_id, index_id in (await session.execute(stmt)).all():
        found[engine_id].append(index_id)
    return found


async def engine_indices(
    session: AsyncSession, tenant_id: uuid.UUID, engine_id: uuid.UUID
) -> list[VectorIndex]:
    """The engine's vector indices, in order (the tenant's only)."""
    stmt = (
        select(VectorIndex)
        .join(SearchEngineIndex, SearchEngineIndex.index_id == VectorIndex.id)
        .where(SearchEngineIndex.engine_id == engine_id, VectorIndex.tenant_id == tenant_id)
        .order_by(SearchEngineIndex.position)
    )
    return list((await session.execute(stmt)).scalars().all())


# --- search -----------------------------------------------------------------------------------

#: Private-use characters around matched terms in `ts_headline`'s output; the snippet code
#: turns them into highlight tags after escaping the text (any in the text are dropped first).
MARK_START, MARK_END = "\ue000", "\ue001"

_DETAILS_SQL = f"""
SELECT c.id AS chunk_id, d.collection_id, d.tags, d.content_type, d.meta,
       dcol.name AS collection_name,
       CASE WHEN c.id = ANY(:page_ids) THEN ts_headline(
           CAST(c.language AS regconfig),
           translate(c.text, :marks, ''),
           (SELECT CAST(coalesce(string_agg(DISTINCT quote_literal(t.lexeme), ' | '), '')
                        AS tsquery)
            FROM unnest(to_tsvector(CAST(c.language AS regconfig), :query)) AS t),
           'HighlightAll=true, StartSel="{MARK_START}", StopSel="{MARK_END}"'
       ) END AS marked
FROM chunk c JOIN document d ON d.id = c.document_id
JOIN document_collection dcol ON dcol.id = d.collection_id
WHERE c.tenant_id = :tenant_id AND c.id = ANY(:chunk_ids)
"""


async def result_details(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    chunk_ids: Sequence[uuid.UUID],
    page_ids: Sequence[uuid.UUID],
    query: str,
) -> dict[uuid.UUID, dict[str, Any]]:
    """Facet fields of each chunk's document, and the page's chunks' marked text.

    One statement: for the chunks of the page, their text with the query's terms between
    `MARK_START` and `MARK_END`.
    """
    if not chunk_ids:
        return {}
    rows = await session.execute(
        text(_DETAILS_SQL),
        {
            "tenant_id": tenant_id,
            "chunk_ids": list(chunk_ids),
            "page_ids": list(page_ids),
            "query": query,
            "marks": MARK_START + MARK_END,
        },
    )
    return {row["chunk_id"]: dict(row) for row in rows.mappings().all()}


# --- suggest ----------------------------------------------------------------------------------

_SUGGESTION_SOURCE_SQL = """
SELECT coalesce(sum(chunk_count), 0) FROM bm25_stat WHERE index_id = ANY(:index_ids)
"""


async def suggestion_source(session: AsyncSession, index_ids: Sequence[uuid.UUID]) -> str:
    """What an engine's suggestions are built from: its indices and their chunk count."""
    chunks = (
        await session.execute(text(_SUGGESTION_SOURCE_SQL), {"index_ids": list(index_ids)})
    ).scalar_one()
    return ",".join(sorted(str(i) for i in index_ids)) + f":{int(chunks)}"


async def suggestion_state(
    session: AsyncSession, engine_id: uuid.UUID, ttl_seconds: int, *, lock: bool = False
) -> tuple[str | None, bool] | None:
    """What the engine's suggestions were built from, and whether within the TTL.

    None when there is no such engine; `lock` takes the engine's row lock.
    """
    row = (
        await session.execute(
            text(
                "SELECT suggestions_source, coalesce(suggestions_built_at"
                " > now() - make_interval(secs => :ttl), false)"
                " FROM search_engine WHERE id = :engine_id" + (" FOR UPDATE" if lock else "")
            ),
            {"engine_id": engine_id, "ttl": ttl_seconds},
        )
    ).one_or_none()
    return None if row is None else (row[0], bool(row[1]))


async def claim_rebuild(session: AsyncSession, engine_id: uuid.UUID, every_seconds: int) -> bool:
    """Note that a rebuild is being sent, unless one was sent within `every_seconds`."""
    claimed = await session.execute(
        update(SearchEngine)
        .where(
            SearchEngine.id == engine_id,
            (SearchEngine.suggestions_queued_at.is_(None))
            | (
                SearchEngine.suggestions_queued_at
                < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, every_seconds)
            ),
        )
        .values(suggestions_queued_at=func.now())
        .returning(SearchEngine.id)
    )
    return claimed.first() is not None


# Titles and keywords of the ready documents of the indices' collections, headings of the
# indices' chunks; one row per source and key (lower case, spaces collapsed), shown as its most
# frequent spelling. Texts over 200 characters are left out (no one types them).
_REBUILD_SQL = """
INSERT INTO search_suggestion (engine_id, source, key, text, documents)
WITH cols AS (
    SELECT DISTINCT vic.collection_id FROM vector_index_collection vic
    JOIN vector_index vi ON vi.id = vic.index_id
    WHERE vi.tenant_id = :tenant_id AND vi.id = ANY(:index_ids)
),
docs AS (
    SELECT d.id, coalesce(nullif(d.title, ''), dc.title) AS title, dc.keywords
    FROM document d LEFT JOIN document_content dc ON dc.document_id = d.id
    WHERE d.tenant_id = :tenant_id AND d.status = 'ready'
      AND d.collection_id IN (SELECT collection_id FROM cols)
),
texts AS (
    SELECT 'title' AS source, title AS text, id AS doc FROM docs
    UNION ALL
    SELECT 'keyword', k.value ->> 'text', docs.id FROM docs
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(docs.keywords) = 'array' THEN docs.keywords ELSE '[]' END) AS k
    UNION ALL
    SELECT 'heading', h.value, c.document_id FROM chunk c
    CROSS JOIN LATERAL jsonb_array_elements_text(c.heading_path) AS h
    WHERE c.tenant_id = :tenant_id AND c.index_id = ANY(:index_ids)
),
cleaned AS (
    SELECT source, btrim(regexp_replace(text, '\\s+', ' ', 'g')) AS text, doc FROM texts
    WHERE text IS NOT NULL AND length(text) <= 200
)
SELECT CAST(:engine_id AS uuid), source, lower(text), mode() WITHIN GROUP (ORDER BY text),
       count(DISTINCT doc)
FROM cleaned WHERE text <> ''
GROUP BY source, lower(text)
"""


async def rebuild_suggestions(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    engine_id: uuid.UUID,
    *,
    index_ids: Sequence[uuid.UUID],
    source: str,
) -> None:
    """Replace the engine's suggestions with what its indices hold now."""
    await session.execute(delete(SearchSuggestion).where(SearchSuggestion.engine_id == engine_id))
    if index_ids:
        await session.execute(
            text(_REBUILD_SQL),
            {"tenant_id": tenant_id, "engine_id": engine_id, "index_ids": list(index_ids)},
        )
    await session.execute(
        update(SearchEngine)
        .where(SearchEngine.id == engine_id)
        .values(suggestions_source=source, suggestions_built_at=func.now())
    )


async def matching_suggestions(
    session: AsyncSession, engine_id: uuid.UUID, *, prefix: str, cap: int
) -> list[tuple[str, str, int]]:
    """The engine's suggestions starting with `prefix` (any case), from most documents.

    Rows are `(source, text, documents)`, at most `cap` of them.
    """
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    stmt = (
        select(SearchSuggestion.source, SearchSuggestion.text, SearchSuggestion.documents)
        .where(
            SearchSuggestion.engine_id == engine_id,
            SearchSuggestion.key.like(func.lower(pattern)),
        )
        .order_by(SearchSuggestion.documents.desc(), SearchSuggestion.key)
        .limit(cap)
    )
    return [(str(s), str(t), int(n)) for s, t, n in (await session.execute(stmt)).all()]
