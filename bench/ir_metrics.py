"""Retrieval metrics as BEIR reports them (pytrec_eval's ``ndcg_cut`` and ``recall``).

- **nDCG@k**: DCG@k / IDCG@k with graded relevance as a *linear* gain (the qrels score, as
  trec_eval does) and a log2 discount: ``DCG@k = sum_{i=1..k} rel_i / log2(i + 1)`` over the
  first k documents of the ranking. The ideal DCG sorts the query's judged relevance scores
  (from the qrels, not from the ranking) in decreasing order and applies the same formula.
- **recall@k**: relevant documents in the first k of the ranking / relevant documents in the
  qrels.

A document is relevant when its qrels score is > 0 (qrels may list score-0 judgements; they give
no gain). Queries without any relevant document are not evaluated (their metric is undefined);
queries that are judged but got no results count with 0. Averages are plain means over the
evaluated queries. A ranking is a list of document ids, best first; repeated ids after the first
occurrence are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Qrels = Mapping[str, Mapping[str, int]]  # query id -> document id -> relevance score
Rankings = Mapping[str, Sequence[str]]  # query id -> document ids, best first


def _unique(ranking: Sequence[str]) -> list[str]:
    """`ranking` without repeated ids (first occurrence kept)."""
    seen: set[str] = set()
    out: list[str] = []
    for doc_id in ranking:
        if doc_id not in seen:
            seen.add(doc_id)
            out.append(doc_id)
    return out


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain: ``sum gains[i] / log2(i + 2)`` for 0-based i."""
    return sum(gain / math.log2(i + 2) for i, gain in enumerate(gains))


def ndcg_at_k(ranking: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k of one ranking against one query's judgements (0.0 when nothing is relevant)."""
    ideal = dcg(sorted((s for s in judged.values() if s > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    gains = [max(judged.get(doc_id, 0), 0) for doc_id in _unique(ranking)[:k]]
    return dcg(gains) / ideal


def recall_at_k(ranking: Sequence[str], judged: Mapping[str, int], k: int = 100) -> float:
    """Share of the query's relevant documents found in the first k (0.0 when none is relevant)."""
    relevant = {doc_id for doc_id, score in judged.items() if score > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(_unique(ranking)[:k])) / len(relevant)


@dataclass
class Evaluation:
    """Mean metrics and the per-query values behind them."""

    ndcg_at_10: float
    recall_at_100: float
    queries: int  # evaluated queries (judged with at least one relevant document)
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)


def evaluate(qrels: Qrels, rankings: Rankings) -> Evaluation:
    """nDCG@10 and recall@100 averaged over the queries of `qrels` with a relevant document.

    A judged query missing from `rankings` counts as an empty ranking (scores 0), so a run
    that drops queries cannot look better than it is.
    """
    per_query: dict[str, dict[str, float]] = {}
    for query_id, judged in qrels.items():
        if not any(score > 0 for score in judged.values()):
            continue
        ranking = rankings.get(query_id, ())
        per_query[query_id] = {
            "ndcg@10": ndcg_at_k(ranking, judged, 10),
            "recall@100": recall_at_k(ranking, judged, 100),
        }
    n = len(per_query)
    return Evaluation(
        ndcg_at_10=sum(v["ndcg@10"] for v in per_query.values()) / n if n else 0.0,
        recall_at_100=sum(v["recall@100"] for v in per_query.values()) / n if n else 0.0,
        queries=n,
        per_query=per_query,
    )
