"""The built-in MiniLM encoder reproduces sentence-transformers' vectors, in input order.

The reference vectors in tests/fixtures/minilm_reference.json were computed once with
sentence-transformers on torch (scripts/make_minilm_reference.py); this test needs no torch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import pytest
from tokenizers import Tokenizer

from wxo.llm.local.minilm import MiniLMEncoder, ensure_onnx_graph, model_dir

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "minilm_reference.json"
MIN_COSINE = 0.9999


@pytest.fixture(scope="session")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def ref_texts(reference: dict[str, Any]) -> list[str]:
    return [item["text"] for item in reference["items"]]


@pytest.fixture(scope="session")
def ref_vectors(reference: dict[str, Any]) -> npt.NDArray[np.float32]:
    return np.array([item["vector"] for item in reference["items"]], dtype=np.float32)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("minilm-cache")


@pytest.fixture(scope="session")
def encoder(cache_dir: Path) -> MiniLMEncoder:
    # Small batches and two threads: a 40-text call becomes many buckets run concurrently.
    return MiniLMEncoder(cache_dir=cache_dir, threads=2, batch_size=4)


def cosines(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    dots = (a64 * b64).sum(axis=1)
    result: npt.NDArray[np.float64] = dots / (
        np.linalg.norm(a64, axis=1) * np.linalg.norm(b64, axis=1)
    )
    return result


def test_reference_covers_the_hard_cases(reference: dict[str, Any], ref_texts: list[str]) -> None:
    counts = [item["tokens"] for item in reference["items"]]
    assert len(ref_texts) >= 40
    assert "" in ref_texts
    assert sum(c > 256 for c in counts) >= 3  # truncated texts
    assert any(not t.isascii() for t in ref_texts)


def test_vectors_match_sentence_transformers(
    encoder: MiniLMEncoder, ref_texts: list[str], ref_vectors: npt.NDArray[np.float32]
) -> None:
    vectors = encoder.encode(ref_texts)
    cos = cosines(vectors, ref_vectors)
    worst = int(cos.argmin())
    assert cos.min() >= MIN_COSINE, f"cosine {cos.min():.6f} for {ref_texts[worst][:60]!r}"
    assert np.abs(vectors - ref_vectors).max() < 1e-4


def test_shape_dtype_and_unit_norm(encoder: MiniLMEncoder, ref_texts: list[str]) -> None:
    vectors = encoder.encode(ref_texts)
    assert vectors.shape == (len(ref_texts), MiniLMEncoder.dimensions) == (len(ref_texts), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.isfinite(vectors).all()


def test_no_texts_give_an_empty_matrix(encoder: MiniLMEncoder) -> None:
    empty = encoder.encode([])
    assert empty.shape == (0, 384)
    assert empty.dtype == np.float32
    assert encoder.count_tokens([]) == []


def test_input_order_is_kept_under_bucketing(
    encoder: MiniLMEncoder, ref_texts: list[str], ref_vectors: npt.NDArray[np.float32]
) -> None:
    order = [int(i) for i in np.random.default_rng(7).permutation(len(ref_texts))]
    texts = [ref_texts[i] for i in order] * 2  # duplicates land in the same bucket
    vectors = encoder.encode(texts)
    expected = np.concatenate([ref_vectors[order], ref_vectors[order]])
    assert cosines(vectors, expected).min() >= MIN_COSINE
    # Padding in a shared batch does not change a vector: each text alone gives the same.
    for i in (0, 5, len(order) - 1):
        alone = encoder.encode([texts[i]])[0]
        np.testing.assert_allclose(vectors[i], alone, atol=1e-5)


def test_long_texts_are_truncated_to_256_tokens(
    encoder: MiniLMEncoder, ref_texts: list[str]
) -> None:
    long_text = max(ref_texts, key=len)
    assert encoder.count_tokens([long_text])[0] > 300
    changed_tail = long_text + " an entirely different ending about volcanoes and jazz"
    changed_head = "volcanoes and jazz. " + long_text
    vectors = encoder.encode([long_text, changed_tail, changed_head])
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)  # past token 256: ignored
    assert float(vectors[0] @ vectors[2]) < 0.999  # at the start: it counts


def test_count_tokens_matches_the_hf_tokenizer(
    encoder: MiniLMEncoder, reference: dict[str, Any], ref_texts: list[str]
) -> None:
    expected = [item["tokens"] for item in reference["items"]]
    assert encoder.count_tokens(ref_texts) == expected
    assert encoder.count_tokens(["", "hello world"]) == [2, 4]


def test_graph_is_cached_and_settings_do_not_change_vectors(
    encoder: MiniLMEncoder, cache_dir: Path, ref_texts: list[str]
) -> None:
    graphs = sorted(cache_dir.glob("*.onnx"))
    assert len(graphs) == 1
    built_at = graphs[0].stat().st_mtime_ns
    other = MiniLMEncoder(cache_dir=cache_dir, threads=1, batch_size=64)
    assert sorted(cache_dir.glob("*")) == graphs  # reused, no temporary files left
    assert graphs[0].stat().st_mtime_ns == built_at
    np.testing.assert_allclose(other.encode(ref_texts), encoder.encode(ref_texts), atol=1e-5)
    other.close()
    assert other.encode(["still works"]).shape == (1, 384)


def test_plain_reference_graph_agrees(
    tmp_path: Path, ref_texts: list[str], ref_vectors: npt.NDArray[np.float32]
) -> None:
    """The straightforward graph (the benchmark's reference) computes the same vectors."""
    session = ort.InferenceSession(
        str(ensure_onnx_graph(tmp_path, model_dir(), "plain")), providers=["CPUExecutionProvider"]
    )
    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(256)
    encodings = tokenizer.encode_batch(ref_texts)
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(ref_texts), width), dtype=np.int64)
    for row, enc in enumerate(encodings):
        ids[row, : len(enc.ids)] = enc.ids
    vectors = session.run(None, {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64)})
    assert cosines(vectors[0], ref_vectors).min() >= MIN_COSINE


def test_bad_settings_are_rejected(cache_dir: Path) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        MiniLMEncoder(cache_dir=cache_dir, batch_size=0)
    with pytest.raises(ValueError, match="threads"):
        MiniLMEncoder(cache_dir=cache_dir, threads=0)
