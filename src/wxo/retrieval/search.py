"""Retrieval SQL: BM25, vector and hybrid search over one index's chunks.

- **BM25** (Robertson/Lucene form): score = Σ idf(t) · tf·(k1+1) / (tf + k1·(1 - b + b·dl/avgdl)),
  idf(t) = ln(1 + (N - df + 0.5)/(df + 0.5)), over the query's terms OR-ed. The query is
  analysed with every text search configuration the index holds chunks in. `df` is the sum of
  the term's rows in `bm25_df`, N and avgdl come from `bm25_stat`: triggers keep both in the
  writers' transactions, so they are exact in the snapshot of the scores.
- **Vector**: cosine distance on `embedding::vector(dims)`; the partial HNSW index of that size
  serves it (iterative scans keep filtered searches filled), or an exact scan when few chunks
  match (see `wxo.retrieval.service`).
- **Hybrid**: reciprocal rank fusion (`rrf`) or a convex combination of min-max normalised
  scores (`convex`) of both legs, in the statement of the vector leg. The keyword leg runs
  first, on its own (`keyword_sql`), while the query is being embedded: BM25 over long posting
  lists and the query's embedding are the two slow parts, and they do not depend on each other.

Filters become one `WHERE` over `chunk` (aliased `c`), shared by both legs. The SQL is put
together from fixed fragments only; every value is a bound parameter (hence the S608 waiver).
"""
# ruff: noqa: S608

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Mode = Literal["hybrid", "vector", "keyword"]
Fusion = Literal["rrf", "convex"]


@dataclass(frozen=True)
class MetaCondition:
    """One `meta` key: equal to a value, or within a range, or in a list."""

    key: str
    equals: Any = None
    gte: Any = None
    lte: Any = None
    any_of: list[Any] | None = None


@dataclass(frozen=True)
class Filters:
    """What a retrieval may return, besides the index."""

    collection_ids: list[uuid.UUID] = field(default_factory=list)
    document_ids: list[uuid.UUID] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    meta: list[MetaCondition] = field(default_factory=list)
    source_date_gte: datetime | None = None
    source_date_lte: datetime | None = None

    @property
    def empty(self) -> bool:
        """No filter at all."""
        return not (
            self.collection_ids
            or self.document_ids
            or self.tags
            or self.content_types
            or self.meta
            or self.source_date_gte
            or self.source_date_lte
        )


@dataclass(frozen=True)
class Plan:
    """How to run one retrieval."""

    tenant_id: uuid.UUID
    index_id: uuid.UUID
    mode: Mode
    limit: int  # results returned
    candidates: int  # per leg, before fusion
    dims: int | None = None
    embedding: str | None = None  # '[...]' text of the query vector
    query: str = ""
    k1: float = 1.2
    b: float = 0.75
    fusion: Fusion = "rrf"
    rrf_k: int = 60
    alpha: float = 0.5  # convex: weight of the vector score
    exact: bool = False
    highlight: bool = True
    filters: Filters = field(default_factory=Filters)
    # The keyword leg's (seq, score) when it ran apart, before the query was embedded.
    keyword_hits: tuple[tuple[int, float], ...] | None = None


def filter_sql(filters: Filters, params: dict[str, Any]) -> str:
    """`AND ...` conditions on `c` for the filters; adds their parameters to `params`."""
    parts: list[str] = []
    if filters.collection_ids:
        params["f_collections"] = list(filters.collection_ids)
        parts.append("c.collection_id = ANY(:f_collections)")
    if filters.document_ids:
        params["f_documents"] = list(filters.document_ids)
        parts.append("c.document_id = ANY(:f_documents)")
    if filters.tags:
        params["f_tags"] = json.dumps(filters.tags)
        parts.append("c.tags @> CAST(:f_tags AS jsonb)")
    if filters.content_types:
        params["f_types"] = list(filters.content_types)
        parts.append("c.content_type = ANY(:f_types)")
    if filters.source_date_gte is not None:
        params["f_date_gte"] = filters.source_date_gte
        parts.append("c.source_date >= :f_date_gte")
    if filters.source_date_lte is not None:
        params["f_date_lte"] = filters.source_date_lte
        parts.append("c.source_date <= :f_date_lte")
    for i, cond in enumerate(filters.meta):
        params[f"m{i}_key"] = cond.key
        # A list value matches when one of its items does (as facets count the items).
        if cond.equals is not None:
            params[f"m{i}_eq"] = json.dumps({cond.key: cond.equals})
            params[f"m{i}_item"] = json.dumps({cond.key: [cond.equals]})
            parts.append(
                f"(c.meta @> CAST(:m{i}_eq AS jsonb) OR c.meta @> CAST(:m{i}_item AS jsonb))"
            )
        if cond.any_of is not None:
            params[f"m{i}_in"] = json.dumps(cond.any_of)
            parts.append(
                f"(CAST(:m{i}_in AS jsonb) @> jsonb_build_array(c.meta -> :m{i}_key)"
                f" OR (jsonb_typeof(c.meta -> :m{i}_key) = 'array' AND EXISTS ("
                f"SELECT 1 FROM jsonb_array_elements(c.meta -> :m{i}_key) AS item(v)"
                f" WHERE CAST(:m{i}_in AS jsonb) @> jsonb_build_array(item.v))))"
            )
        for op, value in ((">=", cond.gte), ("<=", cond.lte)):
            if value is None:
                continue
            name = f"m{i}_{'gte' if op == '>=' else 'lte'}"
            params[name] = value
            if isinstance(value, int | float) and not isinstance(value, bool):
                parts.append(
                    f"jsonb_typeof(c.meta -> :m{i}_key) = 'number' "
                    f"AND (c.meta ->> :m{i}_key)::float8 {op} :{name}"
                )
            else:
                params[name] = str(value)
                parts.append(f"(c.meta ->> :m{i}_key) {op} :{name}")
    return "".join(f" AND {p}" for p in parts)


_TERMS = """
terms AS (
    SELECT DISTINCT t.lexeme AS term
    FROM bm25_stat s, unnest(to_tsvector(CAST(s.language AS regconfig), :query)) AS t
    WHERE s.index_id = :index_id AND s.chunk_count > 0
)"""


def _keyword_ctes(where: str) -> str:
    restrict = (
        f" AND p.chunk_seq IN (SELECT c.seq FROM chunk c WHERE c.index_id = :index_id{where})"
        if where
        else ""
    )
    # One weight row per query term (its df from `bm25_df`), then one pass over
    # the postings: sum(w * tf / (tf + k1(1 - b) + k1 b dl / avgdl)) with w = idf (k1 + 1).
    return f"""
{_TERMS},
corpus AS (
    SELECT sum(chunk_count)::float8 AS n,
           sum(total_length)::float8 / greatest(sum(chunk_count), 1) AS avgdl
    FROM bm25_stat WHERE index_id = :index_id
),
weights AS MATERIALIZED (
    SELECT t.term,
           ln(1 + (corpus.n - d.df + 0.5) / (d.df + 0.5)) * (CAST(:k1 AS float8) + 1) AS w,
           CAST(:k1 AS float8) * (1 - CAST(:b AS float8)) AS kb,
           CAST(:k1 AS float8) * CAST(:b AS float8) / corpus.avgdl AS kd
    FROM terms t CROSS JOIN corpus
    CROSS JOIN LATERAL (
        SELECT sum(f.df)::float8 AS df FROM bm25_df f
        WHERE f.index_id = :index_id AND f.term = t.term
    ) AS d
    WHERE d.df > 0
),
keyword AS (
    SELECT p.chunk_seq AS seq, sum(x.w * p.tf / (p.tf + x.kb + x.kd * p.dl)) AS score
    FROM weights x JOIN bm25_posting p ON p.index_id = :index_id AND p.term = x.term
    WHERE true{restrict}
    GROUP BY p.chunk_seq
    ORDER BY score DESC
    LIMIT :candidates
)"""


# The keyword leg's results when it ran apart (see `keyword_sql`): `terms` stays for highlights.
_GIVEN_KEYWORD = f"""{_TERMS},
keyword AS (  -- less what was deleted since
    SELECT k.seq, k.score
    FROM unnest(CAST(:k_seqs AS bigint[]), CAST(:k_scores AS float8[])) AS k(seq, score)
    WHERE EXISTS (SELECT 1 FROM chunk c WHERE c.seq = k.seq)
)"""


def _vector_cte(plan: Plan, where: str) -> str:
    dims = int(plan.dims or 0)
    distance = f"CAST(c.embedding AS vector({dims})) <=> CAST(:embedding AS vector({dims}))"
    # `+ 0` hides the expression from the HNSW index: an exact scan.
    order = f"({distance}) + 0" if plan.exact else distance
    return f"""
vector AS (
    SELECT c.seq, 1 - ({distance}) AS score FROM chunk c
    WHERE c.index_id = :index_id AND c.dims = {dims}{where}
    ORDER BY {order}
    LIMIT :candidates
)"""


_FUSIONS = {
    "rrf": "coalesce(1.0 / (:rrf_k + v.rank), 0) + coalesce(1.0 / (:rrf_k + k.rank), 0)",
    # Min-max normalised per side; a side whose candidates all score alike gives them 1, a
    # chunk missing from a side gets 0 there.
    "convex": (
        ":alpha * CASE WHEN v.seq IS NULL THEN 0"
        " ELSE coalesce((v.score - v.lo) / nullif(v.hi - v.lo, 0), 1) END"
        " + (1 - :alpha) * CASE WHEN k.seq IS NULL THEN 0"
        " ELSE coalesce((k.score - k.lo) / nullif(k.hi - k.lo, 0), 1) END"
    ),
}


def _ranked(name: str) -> str:
    return f"""
{name}_ranked AS (
    SELECT seq, score, row_number() OVER (ORDER BY score DESC) AS rank,
           min(score) OVER () AS lo, max(score) OVER () AS hi
    FROM {name}
)"""


def _scored(plan: Plan) -> str:
    """A CTE `scored(seq, vector_score, keyword_score, fused)` for the plan's mode."""
    if plan.mode == "vector":
        return (
            "scored AS (SELECT seq, score AS vector_score, NULL::float8 AS keyword_score,"
            " score AS fused FROM vector)"
        )
    if plan.mode == "keyword":
        return (
            "scored AS (SELECT seq, NULL::float8 AS vector_score, score AS keyword_score,"
            " score AS fused FROM keyword)"
        )
    return f"""{_ranked("vector")},{_ranked("keyword")},
scored AS (
    SELECT coalesce(v.seq, k.seq) AS seq, v.score AS vector_score, k.score AS keyword_score,
           {_FUSIONS[plan.fusion]} AS fused
    FROM vector_ranked v FULL OUTER JOIN keyword_ranked k ON k.seq = v.seq
)"""


def _params(plan: Plan) -> dict[str, Any]:
    return {
        "tenant_id": plan.tenant_id,
        "index_id": plan.index_id,
        "candidates": plan.candidates,
        "limit": plan.limit,
        "query": plan.query,
        "k1": plan.k1,
        "b": plan.b,
        "rrf_k": plan.rrf_k,
        "alpha": plan.alpha,
    }


def keyword_sql(plan: Plan) -> tuple[str, dict[str, Any]]:
    """The keyword leg alone: `(seq, score)` of the best `candidates` chunks by BM25.

    Hybrid retrieval runs it while the query is being embedded, then hands its rows to
    `retrieval_sql` in `Plan.keyword_hits`.
    """
    params = _params(plan)
    where = filter_sql(plan.filters, params)
    return f"WITH {_keyword_ctes(where)} SELECT seq, score FROM keyword", params


def retrieval_sql(plan: Plan) -> tuple[str, dict[str, Any]]:
    """The statement for the plan and its parameters."""
    params = _params(plan)
    where = filter_sql(plan.filters, params)
    ctes: list[str] = []
    if plan.keyword_hits is not None:
        params["k_seqs"] = [seq for seq, _ in plan.keyword_hits]
        params["k_scores"] = [score for _, score in plan.keyword_hits]
        ctes.append(_GIVEN_KEYWORD)
    elif plan.mode in ("keyword", "hybrid"):
        ctes.append(_keyword_ctes(where))
    if plan.mode in ("vector", "hybrid"):
        params["embedding"] = plan.embedding
        ctes.append(_vector_cte(plan, where))
    ctes.append(_scored(plan))
    highlight = (
        "ts_headline(CAST(c.language AS regconfig), c.text, "
        "(SELECT CAST(coalesce(string_agg(quote_literal(term), ' | '), '') AS tsquery) FROM terms), "
        "'MaxFragments=2, MinWords=8, MaxWords=24, FragmentDelimiter=\" … \"')"
        if plan.highlight and plan.mode != "vector"
        else "NULL"
    )
    sql = f"""
WITH {",".join(ctes)}
SELECT c.id AS chunk_id, c.document_id, c.collection_id, c.text, c.context, c.heading_path,
       c.page_number, c.element_types, c.metadata, c.ord,
       d.name AS document_name, d.title AS document_title, d.source_uri,
       s.vector_score, s.keyword_score, s.fused, {highlight} AS highlight
FROM (SELECT * FROM scored ORDER BY fused DESC LIMIT :limit) AS s
JOIN chunk c ON c.seq = s.seq
JOIN document d ON d.id = c.document_id
WHERE c.tenant_id = :tenant_id AND c.index_id = :index_id
ORDER BY s.fused DESC, c.seq
"""
    return sql, params


def count_sql(filters: Filters, cap: int) -> tuple[str, dict[str, Any]]:
    """How many chunks of the index pass the filters, counting at most `cap` (+1)."""
    params: dict[str, Any] = {"cap": cap + 1}
    where = filter_sql(filters, params)
    sql = (
        "SELECT count(*) FROM (SELECT 1 FROM chunk c WHERE c.index_id = :index_id"
        f"{where} LIMIT :cap) AS matching"
    )
    return sql, params
