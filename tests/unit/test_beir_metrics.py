"""The retrieval metrics of bench/beir.py against hand-computed values."""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from ir_metrics import dcg, evaluate, ndcg_at_k, recall_at_k


def test_dcg_uses_linear_gain_and_log2_discount() -> None:
    # 3/log2(2) + 2/log2(3) + 1/log2(4) = 3 + 1.261860 + 0.5
    assert dcg([3, 2, 1]) == pytest.approx(4.761860, abs=1e-6)


def test_ndcg_binary_relevance() -> None:
    judged = {"a": 1, "b": 1}
    # DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606
    # IDCG = 1/log2(2) + 1/log2(3) = 1.630930
    assert ndcg_at_k(["x", "a", "y", "b"], judged) == pytest.approx(0.650921, abs=1e-6)


def test_ndcg_graded_relevance_uses_qrels_for_the_ideal() -> None:
    judged = {"a": 2, "b": 1, "c": 0}
    # DCG = 1/log2(2) + 0/log2(3) + 2/log2(4) = 2; IDCG = 2/log2(2) + 1/log2(3) = 2.630930
    assert ndcg_at_k(["b", "c", "a"], judged) == pytest.approx(0.760188, abs=1e-6)
    assert ndcg_at_k(["a", "b"], judged) == pytest.approx(1.0)
    # The ideal comes from the qrels: a relevant document nobody retrieved still counts there.
    # DCG = 2, IDCG = 2.630930
    assert ndcg_at_k(["a"], judged) == pytest.approx(2 / 2.630930, abs=1e-6)


def test_ndcg_cuts_at_k() -> None:
    ranking = [f"x{i}" for i in range(10)] + ["a"]
    assert ndcg_at_k(ranking, {"a": 1}, 10) == 0.0
    # At k=11 "a" is at rank 11: DCG = 1/log2(12) = 0.278943, IDCG = 1.
    assert ndcg_at_k(ranking, {"a": 1}, 11) == pytest.approx(0.278943, abs=1e-6)


def test_repeated_ids_count_once() -> None:
    # "a" repeated (two chunks of one document): "b" is second, not third.
    assert ndcg_at_k(["a", "a", "b"], {"b": 1}) == pytest.approx(0.630930, abs=1e-6)


def test_recall_at_100() -> None:
    judged = {"a": 1, "b": 2, "c": 1, "z": 0}
    ranking = ["a", *(f"x{i}" for i in range(97)), "b", "y", "c"]  # c is 101st
    assert recall_at_k(ranking, judged, 100) == pytest.approx(2 / 3)
    assert recall_at_k([*ranking, "z"], judged, 200) == pytest.approx(1.0)


def test_query_with_no_hits_scores_zero() -> None:
    assert ndcg_at_k([], {"a": 1}) == 0.0
    assert recall_at_k([], {"a": 1}) == 0.0
    assert ndcg_at_k(["x", "y"], {"a": 1}) == 0.0


def test_evaluate_means_over_judged_queries() -> None:
    qrels = {
        "q1": {"a": 1},  # found first: nDCG 1, recall 1
        "q2": {"b": 1, "c": 1},  # no hits at all
        "q3": {"d": 0},  # nothing relevant: not evaluated
        "q4": {"e": 1},  # missing from the run: counts as no hits
    }
    rankings = {"q1": ["a", "x"], "q2": [], "q3": ["d"], "q5": ["a"]}
    result = evaluate(qrels, rankings)
    assert result.queries == 3
    assert set(result.per_query) == {"q1", "q2", "q4"}
    assert result.ndcg_at_10 == pytest.approx(1 / 3)
    assert result.recall_at_100 == pytest.approx(1 / 3)


def test_evaluate_empty() -> None:
    result = evaluate({}, {})
    assert (result.ndcg_at_10, result.recall_at_100, result.queries) == (0.0, 0.0, 0)


# --- bench/beir.py's plumbing around the metrics ------------------------------------------------


def test_chunk_hits_collapse_to_documents_best_chunk_wins(tmp_path: Path) -> None:
    import beir

    doc_map = {"u1": ["d1"], "u2": ["d2"], "u3": ["d3a", "d3b"]}
    results = [
        {"document_id": "u1", "score": 0.9, "document": {"name": "d1.md"}},
        {"document_id": "u2", "score": 0.8, "document": {"name": "d2.md"}},
        {"document_id": "u1", "score": 0.7, "document": {"name": "d1.md"}},  # second chunk
        {"document_id": "u3", "score": 0.6, "document": {"name": "x.md"}},  # two BEIR ids
        {"document_id": "u9", "score": 0.5, "document": {"name": "d9.md"}},  # by name
        {"document_id": "u8", "score": 0.4, "document": {"name": "q1.md"}},  # the query's id
    ]
    ranked = beir.collapse(results, doc_map, query_id="q1")
    assert ranked == [("d1", 0.9), ("d2", 0.8), ("d3a", 0.6), ("d3b", 0.6), ("d9", 0.5)]
    assert len(beir.collapse(results, doc_map, depth=2)) == 2

    run = tmp_path / "run.trec"
    beir.write_run(run, [beir.QueryResult("q1", ranked, 1.0, 6)], "tag")
    assert run.read_text().splitlines()[0] == "q1 Q0 d1 1 0.900000 tag"
    assert beir.read_run(run) == {"q1": ["d1", "d2", "d3a", "d3b", "d9"]}


def test_dataset_loading_and_limits(tmp_path: Path) -> None:
    import beir

    (tmp_path / "corpus.jsonl").write_text(
        '{"_id": "d1", "title": "T1", "text": "one"}\n'
        '{"_id": "d2", "title": "", "text": "two"}\n'
        '{"_id": 3, "title": "T3", "text": "three"}\n'
    )
    (tmp_path / "queries-test.jsonl").write_text(
        '{"_id": "q1", "text": "first"}\n{"_id": "q2", "text": "second"}\n'
        '{"_id": "q3", "text": "unjudged"}\n'
    )
    (tmp_path / "qrels-test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\t3\t2\n")
    full = beir.load_dataset(tmp_path, "test")
    assert [d.id for d in full.corpus] == ["d1", "d2", "3"]
    assert full.queries == {"q1": "first", "q2": "second"}
    assert full.qrels == {"q1": {"d1": 1}, "q2": {"3": 2}}
    assert full.corpus[0].markdown() == "# T1\n\none"
    assert full.corpus[1].markdown() == "two"
    assert full.corpus[2].filename() == "3.md"

    small = beir.load_dataset(tmp_path, "test", limit_docs=1, limit_queries=1)
    assert small.queries == {"q1": "first"}
    assert [d.id for d in small.corpus] == ["d1"]
    judged_first = beir.load_dataset(tmp_path, "test", limit_docs=2)
    assert [d.id for d in judged_first.corpus] == ["d1", "3"]


def test_measure_against_a_fake_server(tmp_path: Path) -> None:
    """Ingest, wait, query in two modes, write runs and JSON: the API contract, faked."""
    import json
    import re

    import beir
    import httpx

    (tmp_path / "corpus.jsonl").write_text(
        "".join(f'{{"_id": "d{i}", "title": "T{i}", "text": "text {i}"}}\n' for i in range(4))
    )
    (tmp_path / "queries-dev.jsonl").write_text('{"_id": "q1", "text": "a"}\n')
    (tmp_path / "qrels-dev.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td2\t1\nq1\td3\t1\n")
    uploaded: list[str] = []
    asked: list[dict[str, object]] = []
    stages = [
        {"name": "extract", "duration_ms": 10},
        {"name": "index", "duration_ms": 30, "embed_ms": 20},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        path, params = request.url.path, request.url.params
        assert request.headers["authorization"] == "Bearer t"
        if request.method == "POST" and path == "/v1/document-collections":
            return httpx.Response(201, json={"id": "c1"})
        if path == "/v1/document-collections/c1/documents":
            names = re.findall(rb'filename="([^"]+)"', request.read())
            uploaded.extend(n.decode() for n in names)
            data = [{"outcome": "created", "document": {"id": f"u-{n.decode()}"}} for n in names]
            return httpx.Response(202, json={"data": data})
        if path == "/v1/documents" and "status" in params:
            return httpx.Response(200, json={"total": 0, "data": []})
        if path == "/v1/documents":
            docs = [
                {
                    "id": f"u-{n}",
                    "name": n,
                    "status": "ready",
                    "status_detail": {"stages": stages},
                }
                for n in uploaded
            ]
            return httpx.Response(200, json={"total": len(docs), "data": docs})
        if path == "/v1/vector-indices":
            assert params["collection_id"] == "c1"
            index = {"id": "i1", "status": "ready", "default_for_collection_id": "c1"}
            return httpx.Response(200, json={"total": 1, "data": [index]})
        if path == "/v1/vector-indices/i1/retrieve":
            asked.append(json.loads(request.read()))
            hits = [("u-d3.md", 0.9), ("u-d0.md", 0.8), ("u-d3.md", 0.7), ("u-d2.md", 0.5)]
            results = [{"document_id": d, "score": s, "document": {"name": "?"}} for d, s in hits]
            return httpx.Response(200, json={"results": results, "timings_ms": {"total": 3}})
        return httpx.Response(404)

    run = tmp_path / "out.trec"
    argv = f"--data {tmp_path} --split dev --mode bm25,hybrid --run {run} --batch 3"
    args = beir.parse_args([*argv.split(), "--url", "http://fake", "--token", "t"])
    dataset = beir.load_dataset(args.data, args.split)
    headers = {"Authorization": "Bearer t"}
    transport = httpx.MockTransport(handler)
    with httpx.Client(base_url="http://fake", headers=headers, transport=transport) as http:
        report = beir.measure(http, args, dataset)

    assert uploaded == ["d0.md", "d1.md", "d2.md", "d3.md"]
    assert [a["mode"] for a in asked] == ["keyword", "hybrid"]
    assert all(a["top_k"] == 300 and a["query"] == "a" for a in asked)
    assert report["ingest"]["ready"] == 4
    assert report["ingest"]["stage_ms"] == {"extract": 40.0, "index": 120.0}
    assert report["ingest"]["embed_ms"] == 80.0
    # d3, d0, d2: DCG = 1 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) = 1.630930
    bm25 = report["modes"][0]
    assert bm25["ndcg@10"] == pytest.approx(1.5 / 1.630930, abs=1e-6)
    assert bm25["recall@100"] == 1.0
    assert (tmp_path / "out.bm25.trec").read_text().splitlines() == [
        "q1 Q0 d3 1 0.900000 wxo-bm25",
        "q1 Q0 d0 2 0.800000 wxo-bm25",
        "q1 Q0 d2 3 0.500000 wxo-bm25",
    ]
    assert (tmp_path / "out.hybrid.trec").exists()


def test_batched_index_stages_count_their_share_and_annotation_is_awaited() -> None:
    import beir
    import httpx

    batch = {"name": "index", "started_at": "t1", "batch": 2, "duration_ms": 900}
    documents = [
        {
            "status_detail": {
                "stages": [
                    # Extracted in one job of two: the extract stage counts its own duration.
                    {"name": "extract", "started_at": "t0", "batch": 2, "duration_ms": 5},
                    batch | share,
                ]
            }
        }
        for share in (
            {"chunk_ms": 1, "embed_ms": 60, "store_ms": 9},
            {"chunk_ms": 2, "embed_ms": 20, "store_ms": 8},
        )
    ]
    totals, embed, batches = beir.stage_totals(documents)
    assert (totals, embed, batches) == ({"extract": 10.0, "index": 100.0}, 80.0, 1)

    polls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        polls.append(1)
        stages = [{"name": "annotate"}] if len(polls) > 1 else []
        docs = [{"status_detail": {"stages": stages}} for _ in range(2)]
        return httpx.Response(200, json={"total": 2, "data": docs})

    transport = httpx.MockTransport(handler)
    with (
        httpx.Client(base_url="http://fake", transport=transport) as http,
        mock.patch("time.sleep"),
    ):
        assert beir.wait_annotated(http, "c1", 2, timeout=60) is not None
    assert len(polls) == 2  # not annotated at the first poll, annotated at the second
