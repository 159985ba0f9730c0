"""Pure functions that turn retrieved chunks into search results.

De-duplication per document, facet counts, HTML-safe highlighted snippets, suggestion ranking.
"""

from __future__ import annotations

import html
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from wxo.search_engines.repository import MARK_END, MARK_START
from wxo.search_engines.schemas import HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN, META_FACET_PREFIX

ELLIPSIS = "…"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Candidate:
    """A retrieved chunk and where it came from."""

    index_id: uuid.UUID
    chunk_id: uuid.UUID
    document_id: uuid.UUID
    collection_id: uuid.UUID
    score: float
    text: str
    page_number: int | None
    document_name: str
    document_title: str | None
    source_uri: str | None


@dataclass(frozen=True)
class Hit:
    """A document of the result set: its best chunk and how many of its chunks matched."""

    best: Candidate
    matching_chunks: int


def best_per_document(candidates: Iterable[Candidate]) -> list[Hit]:
    """One hit per document, its highest-scoring chunk.

    Ordered by that score (ties: first retrieved first).
    """
    best: dict[uuid.UUID, Candidate] = {}
    counts: Counter[uuid.UUID] = Counter()
    order: dict[uuid.UUID, int] = {}
    for position, candidate in enumerate(candidates):
        doc = candidate.document_id
        counts[doc] += 1
        order.setdefault(doc, position)
        if doc not in best or candidate.score > best[doc].score:
            best[doc] = candidate
    ranked = sorted(best.values(), key=lambda c: (-c.score, order[c.document_id]))
    return [Hit(best=c, matching_chunks=counts[c.document_id]) for c in ranked]


def facet_values(facet: str, row: dict[str, Any]) -> list[str]:
    """A document's values for a facet (`row`: collection_id, tags, content_type, meta)."""
    if facet == "collection":
        return [str(row["collection_id"])]
    if facet == "tags":
        return [str(t) for t in dict.fromkeys(row["tags"] or [])]
    if facet == "content_type":
        return [str(row["content_type"])] if row["content_type"] else []
    value = (row["meta"] or {}).get(facet.removeprefix(META_FACET_PREFIX))
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            out.append(str(item))
    return list(dict.fromkeys(out))


def count_facets(
    facets: Sequence[str], documents: Iterable[dict[str, Any]]
) -> dict[str, dict[str, int]]:
    """Per facet, value -> documents having it; most frequent first (ties by value)."""
    counters: dict[str, Counter[str]] = {facet: Counter() for facet in facets}
    for row in documents:
        for facet in facets:
            counters[facet].update(facet_values(facet, row))
    return {
        facet: dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))
        for facet, counter in counters.items()
    }


def _parse_marked(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """Plain text (whitespace collapsed) and the spans between the marks."""
    flat = _SPACE.sub(" ", marked).strip()
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for char in flat:
        if char == MARK_START:
            start = length
        elif char == MARK_END:
            if start is not None and length > start:
                spans.append((start, length))
            start = None
        else:
            plain.append(char)
            length += 1
    return "".join(plain), spans


def _window(text: str, spans: list[tuple[int, int]], limit: int) -> tuple[int, int]:
    """The `[start, end)` of at most `limit` characters holding the most distinct terms."""
    if len(text) <= limit:
        return 0, len(text)
    best = (0, 0, 0)  # distinct terms, marks, -start
    start_at = 0
    for span_start, _ in spans:
        start = max(0, min(span_start - limit // 5, len(text) - limit))
        inside = [text[a:b].lower() for a, b in spans if a >= start and b <= start + limit]
        score = (len(set(inside)), len(inside), -start)
        if score > best:
            best, start_at = score, start
    start, end = start_at, start_at + limit
    if start > 0 and not text[start - 1].isspace():  # begin at a word
        gap = text.find(" ", start, end)
        start = gap + 1 if gap != -1 else start
    if end < len(text) and not text[end].isspace():  # end at a word
        gap = text.rfind(" ", start, end)
        end = gap if gap > start else end
    for a, b in spans:  # never cut a highlighted term
        if a < end < b:
            end = a
        if a < start < b:
            start = b
    return start, max(start, end)


def snippet(marked: str | None, fallback: str, limit: int) -> str:
    """HTML: at most `limit` characters of the text around its best-matching part.

    Escaped, with the marked terms in the highlight tags and `…` where the text was cut.
    """
    text, spans = _parse_marked(marked if marked is not None else fallback)
    start, end = _window(text, spans, limit)
    pieces: list[str] = [ELLIPSIS] if start > 0 else []
    cursor = start
    for a, b in spans:
        if a < start or b > end:
            continue
        pieces.append(html.escape(text[cursor:a]))
        pieces.append(HIGHLIGHT_OPEN + html.escape(text[a:b]) + HIGHLIGHT_CLOSE)
        cursor = b
    pieces.append(html.escape(text[cursor:end]))
    if end < len(text):
        pieces.append(ELLIPSIS)
    return "".join(pieces).strip()


_SOURCE_WEIGHT = {"title": 3, "heading": 2, "keyword": 1}


def rank_suggestions(
    rows: Iterable[tuple[str, str, int]], prefix: str, limit: int
) -> list[tuple[str, str, int]]:
    """Merge and rank `(source, text, documents)` rows.

    Rows differing only in case or spacing are one; ranked by documents x source weight
    (title 3, heading 2, keyword 1), then shorter, then A-Z. The typed text itself is not
    suggested.
    """
    merged: dict[str, list[Any]] = {}
    typed = _SPACE.sub(" ", prefix).strip().casefold()
    for source, raw, documents in rows:
        shown = _SPACE.sub(" ", raw).strip()
        key = shown.casefold()
        if not shown or key == typed:
            continue
        entry = merged.get(key)
        weight = documents * _SOURCE_WEIGHT[source]
        if entry is None:
            merged[key] = [shown, source, documents, weight]
            continue
        entry[3] += weight
        if _SOURCE_WEIGHT[source] > _SOURCE_WEIGHT[entry[1]]:
            entry[0], entry[1] = shown, source
        entry[2] = max(entry[2], documents)
    ranked = sorted(merged.values(), key=lambda e: (-e[3], len(e[0]), e[0].casefold()))
    return [(e[1], e[0], e[2]) for e in ranked[:limit]]
