"""Result shaping: de-duplication, facets, snippets and suggestion ranking (pure functions)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from wxo.search_engines.repository import MARK_END, MARK_START
from wxo.search_engines.shaping import (
    Candidate,
    best_per_document,
    count_facets,
    rank_suggestions,
    snippet,
)


def _mark(word: str) -> str:
    return f"{MARK_START}{word}{MARK_END}"


def _candidate(doc: uuid.UUID, score: float) -> Candidate:
    return Candidate(
        index_id=uuid.uuid4(),
        chunk_id=uuid.uuid4(),
        document_id=doc,
        collection_id=uuid.uuid4(),
        score=score,
        text="t",
        page_number=None,
        document_name="n",
        document_title=None,
        source_uri=None,
    )


def test_best_chunk_per_document_wins_and_order_follows_it() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    low_a, high_b, high_a = _candidate(a, 0.2), _candidate(b, 0.5), _candidate(a, 0.9)
    hits = best_per_document([low_a, high_b, high_a])
    assert [h.best for h in hits] == [high_a, high_b]
    assert [h.matching_chunks for h in hits] == [2, 1]


def test_facets_count_documents_per_value() -> None:
    rows: list[dict[str, Any]] = [
        {"collection_id": "c1", "tags": ["x", "y", "x"], "content_type": "text/plain",
         "meta": {"year": 2020, "authors": ["ann", "bob"], "ok": True}},
        {"collection_id": "c1", "tags": ["y"], "content_type": None,
         "meta": {"year": "2020", "authors": "ann", "nested": {"a": 1}}},
    ]  # fmt: skip
    facets = count_facets(
        ["collection", "tags", "content_type", "meta.year", "meta.authors", "meta.ok",
         "meta.nested"],
        rows,
    )  # fmt: skip
    assert facets == {
        "collection": {"c1": 2},
        "tags": {"y": 2, "x": 1},
        "content_type": {"text/plain": 1},
        "meta.year": {"2020": 2},
        "meta.authors": {"ann": 2, "bob": 1},
        "meta.ok": {"true": 1},
        "meta.nested": {},
    }


def test_snippet_escapes_text_and_marks_terms() -> None:
    marked = f'a <b>bold</b> & {_mark("tide")} "q"'
    assert snippet(marked, "", 200) == (
        "a &lt;b&gt;bold&lt;/b&gt; &amp; <mark>tide</mark> &quot;q&quot;"
    )


def test_snippet_windows_on_the_most_distinct_terms_and_respects_the_limit() -> None:
    words = [f"w{i}" for i in range(200)]
    words[20] = _mark("alpha")
    words[150], words[152] = _mark("alpha"), _mark("beta")
    out = snippet(" ".join(words), "", 60)
    assert "<mark>alpha</mark>" in out
    assert "<mark>beta</mark>" in out
    assert out.startswith("…")
    assert out.endswith("…")
    plain = re.sub(r"</?mark>", "", out).strip("…")
    assert len(plain) <= 60
    assert all(re.fullmatch(r"w\d+|alpha|beta", w) for w in plain.split())  # whole words


def test_snippet_without_marks_is_the_start_of_the_text() -> None:
    assert snippet(None, "one two three four five", 12) == "one two…"
    assert snippet(None, "short", 100) == "short"


def test_suggestions_merge_case_and_rank_by_weighted_documents() -> None:
    rows = [
        ("keyword", "ocean tides", 5),
        ("title", "Ocean Tides", 1),
        ("heading", "Ocean life", 1),
        ("keyword", "ocean", 9),
        ("keyword", "oceanography", 1),
    ]
    ranked = rank_suggestions(rows, "Ocean", 10)
    assert ranked == [
        ("title", "Ocean Tides", 5),
        ("heading", "Ocean life", 1),
        ("keyword", "oceanography", 1),
    ]
    assert rank_suggestions(rows, "ocean", 1) == [("title", "Ocean Tides", 5)]
