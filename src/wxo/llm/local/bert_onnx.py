"""Build an ONNX graph of a BERT sentence encoder straight from its safetensors weights.

No torch and no exporter: the graph is written node by node with ``onnx.helper``. It computes
what sentence-transformers computes for ``all-MiniLM-L6-v2`` (BERT encoder, mean pooling over
the attention mask, L2 normalisation) in fp32, with the exact (erf) GELU.

Two variants of the same maths:

* ``"fused"`` (the one the encoder runs) uses ONNX Runtime's CPU contrib kernels
  (``com.microsoft``): ``Attention`` (one packed QKV GEMM, masked softmax, context), and
  ``SkipLayerNormalization`` and ``BiasGelu`` for the residual/LayerNorm and feed-forward steps.
* ``"plain"`` uses standard ONNX operators only (MatMul, Softmax, Erf, LayerNormalization);
  any ONNX runtime can run it. The benchmark uses it as the straightforward reference.

Graph inputs are ``input_ids`` and ``attention_mask`` (int64, shape ``(batch, seq)``, padding
on the right); the output ``embeddings`` is float32 ``(batch, hidden)``, L2-normalised.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

Variant = Literal["fused", "hybrid", "plain", "lean"]

#: Bump when the graph changes, so cached graphs built by older code are not reused.
GRAPH_VERSION = 2

_MS = "com.microsoft"
_OPSET = 18


@dataclass(frozen=True)
class BertConfig:
    """The BERT hyper-parameters the graph needs (from the model's ``config.json``)."""

    num_layers: int = 6
    hidden: int = 384
    heads: int = 12
    intermediate: int = 1536
    eps: float = 1e-12
    max_positions: int = 512


class _Graph:
    """Accumulates nodes and initializers, handing out unique tensor names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def const(self, name: str, array: npt.ArrayLike, dtype: npt.DTypeLike = np.float32) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=dtype), name))
        return name

    def op(self, op_type: str, inputs: list[str], domain: str = "", **attrs: object) -> str:
        return self.ops(op_type, inputs, 1, domain, **attrs)[0]

    def ops(
        self, op_type: str, inputs: list[str], n_out: int, domain: str = "", **attrs: object
    ) -> list[str]:
        self._n += 1
        outs = [f"{op_type.lower()}_{self._n}_{i}" for i in range(n_out)]
        node = helper.make_node(
            op_type, inputs, outs, name=f"{op_type}_{self._n}", domain=domain or None, **attrs
        )
        self.nodes.append(node)
        return outs


def _w(weights: Mapping[str, npt.NDArray[np.float32]], name: str) -> npt.NDArray[np.float32]:
    return np.asarray(weights[name], dtype=np.float32)


def build_bert_encoder(
    weights: Mapping[str, npt.NDArray[np.float32]],
    config: BertConfig,
    variant: Variant = "fused",
) -> onnx.ModelProto:
    """Build the sentence-embedding graph.

    Args:
        weights: Tensors of a Hugging Face ``BertModel`` checkpoint (``embeddings.*`` and
            ``encoder.layer.N.*`` names, Linear weights as ``(out, in)``), e.g. from
            ``safetensors.numpy.load_file``.
        config: The model's hyper-parameters.
        variant: ``"fused"`` for ONNX Runtime contrib kernels, ``"plain"`` for standard ops.

    Returns:
        A checked ONNX model; inputs ``input_ids``/``attention_mask`` (int64, ``(B, S)``),
        output ``embeddings`` (float32, ``(B, hidden)``, mean-pooled and L2-normalised).
    """
    g = _Graph()
    h, heads = config.hidden, config.heads
    head_dim = h // heads
    e = "embeddings."
    # token_type_ids are always 0 for single sentences: fold that row into the positions.
    pos_type = (
        _w(weights, e + "position_embeddings.weight")
        + _w(weights, e + "token_type_embeddings.weight")[0]
    )
    word = g.op(
        "Gather", [g.const("word_emb", _w(weights, e + "word_embeddings.weight")), "input_ids"]
    )
    seq = g.op("Shape", ["input_ids"], start=1, end=2)
    pos = g.op(
        "Slice",
        [g.const("pos_type_emb", pos_type), g.const("zero1", [0], np.int64), seq,
         g.const("axis0", [0], np.int64)],
    )  # fmt: skip
    summed = g.op("Add", [word, pos])
    x = g.op(
        "LayerNormalization",
        [summed, g.const("emb_ln_g", _w(weights, e + "LayerNorm.weight")),
         g.const("emb_ln_b", _w(weights, e + "LayerNorm.bias"))],
        axis=-1, epsilon=config.eps,
    )  # fmt: skip
    lean = variant == "lean"
    if lean:
        x = g.op("Reshape", [x, g.const("flat2", [-1, h], np.int64)])
        neg1 = g.const("neg1", [-1], np.int64)
        shape5 = g.op("Concat", [neg1, seq, g.const("s5tail", [3, heads, head_dim], np.int64)], axis=0)
        shape3 = g.op("Concat", [neg1, seq, g.const("s3tail", [h], np.int64)], axis=0)
    mask_f = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    contrib_attention = variant == "fused"
    contrib_norm = variant in ("fused", "hybrid")
    if contrib_attention:
        mask_i32 = g.op("Cast", ["attention_mask"], to=TensorProto.INT32)
    else:
        # (1 - mask) * -10000 as a (B, 1, 1, S) additive bias on the attention scores.
        inv = g.op("Sub", [g.const("one", 1.0), mask_f])
        bias = g.op("Mul", [inv, g.const("neg_big", -10000.0)])
        mask_bias = g.op("Unsqueeze", [bias, g.const("axes12", [1, 2], np.int64)])

    def add_norm(y: str, residual: str, bias: str, gamma: str, beta: str) -> str:
        """LayerNorm(y + bias + residual)."""
        if contrib_norm:
            return g.op("SkipLayerNormalization", [y, residual, gamma, beta, bias], _MS,
                        epsilon=config.eps)  # fmt: skip
        summed = g.op("Add", [y if lean else g.op("Add", [y, bias]), residual])
        return g.op("LayerNormalization", [summed, gamma, beta], axis=-1, epsilon=config.eps)

    def gelu(y: str, bias: str, c: str) -> str:
        """Exact (erf) GELU of y + bias."""
        if contrib_norm:
            return g.op("BiasGelu", [y, bias], _MS)
        if lean:
            return g.op("Gelu", [y], approximate="none")
        z = g.op("Add", [y, bias])
        erf = g.op("Erf", [g.op("Mul", [z, g.const(c + "rsqrt2", 1.0 / math.sqrt(2.0))])])
        half = g.op("Mul", [z, g.const(c + "half", 0.5)])
        return g.op("Mul", [half, g.op("Add", [erf, g.const(c + "one", 1.0)])])

    for i in range(config.num_layers):
        p = f"encoder.layer.{i}."

        def lw(name: str, p: str = p) -> npt.NDArray[np.float32]:
            return _w(weights, p + name)

        c = f"l{i}_"
        wq, wk, wv = (lw(f"attention.self.{n}.weight").T for n in ("query", "key", "value"))
        bq, bk, bv = (lw(f"attention.self.{n}.bias") for n in ("query", "key", "value"))
        qkv_w = g.const(c + "qkv_w", np.concatenate([wq, wk, wv], axis=1))
        qkv_b = g.const(c + "qkv_b", np.concatenate([bq, bk, bv]))
        if contrib_attention:
            ctx = g.op("Attention", [x, qkv_w, qkv_b, mask_i32], _MS, num_heads=heads)
        else:
            if lean:
                qkv = g.op("Gemm", [x, qkv_w, qkv_b])
                split = shape5
            else:
                qkv = g.op("Add", [g.op("MatMul", [x, qkv_w]), qkv_b])
                split = g.const(c + "split", [0, 0, 3, heads, head_dim], np.int64)
            # (B, S, 3, heads, d) -> (3, B, heads, S, d)
            qkv5 = g.op("Transpose", [g.op("Reshape", [qkv, split])], perm=[2, 0, 3, 1, 4])
            q, k, v = g.ops("Split", [qkv5], 3, axis=0, num_outputs=3)
            sq = g.const(c + "sq0", [0], np.int64)
            q, k, v = (g.op("Squeeze", [t, sq]) for t in (q, k, v))
            kt = g.op("Transpose", [k], perm=[0, 1, 3, 2])
            scores = g.op("MatMul", [q, kt])
            scaled = g.op("Mul", [scores, g.const(c + "scale", 1.0 / math.sqrt(head_dim))])
            probs = g.op("Softmax", [g.op("Add", [scaled, mask_bias])], axis=-1)
            ctx4 = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
            ctx = g.op("Reshape", [ctx4, g.const(c + "merge", [-1, h] if lean else [0, 0, h], np.int64)])
        o_b = g.const(c + "o_b", lw("attention.output.dense.bias"))
        o_w = g.const(c + "o_w", lw("attention.output.dense.weight").T)
        attn = g.op("Gemm", [ctx, o_w, o_b]) if lean else g.op("MatMul", [ctx, o_w])
        x = add_norm(
            attn, x, o_b,
            g.const(c + "ln1_g", lw("attention.output.LayerNorm.weight")),
            g.const(c + "ln1_b", lw("attention.output.LayerNorm.bias")),
        )  # fmt: skip
        i_w = g.const(c + "i_w", lw("intermediate.dense.weight").T)
        i_b = g.const(c + "i_b", lw("intermediate.dense.bias"))
        inter = g.op("Gemm", [x, i_w, i_b]) if lean else g.op("MatMul", [x, i_w])
        act = gelu(inter, i_b, c)
        f_w = g.const(c + "f_w", lw("output.dense.weight").T)
        f_b = g.const(c + "f_b", lw("output.dense.bias"))
        out = g.op("Gemm", [act, f_w, f_b]) if lean else g.op("MatMul", [act, f_w])
        x = add_norm(
            out, x, f_b,
            g.const(c + "ln2_g", lw("output.LayerNorm.weight")),
            g.const(c + "ln2_b", lw("output.LayerNorm.bias")),
        )  # fmt: skip

    if lean:
        x = g.op("Reshape", [x, shape3])
    # Mean pooling over real tokens, then x / max(||x||, 1e-12) like torch's F.normalize.
    mask3 = g.op("Unsqueeze", [mask_f, g.const("axis_last", [-1], np.int64)])
    axis1 = g.const("axis1", [1], np.int64)
    total = g.op("ReduceSum", [g.op("Mul", [x, mask3]), axis1], keepdims=0)
    count = g.op("Max", [g.op("ReduceSum", [mask3, axis1], keepdims=0), g.const("tiny", 1e-9)])
    mean = g.op("Div", [total, count])
    norm = g.op("Max", [g.op("ReduceL2", [mean, g.const("axis_m1", [-1], np.int64)], keepdims=1),
                        g.const("eps_norm", 1e-12)])  # fmt: skip
    g.nodes.append(helper.make_node("Div", [mean, norm], ["embeddings"], name="normalize"))

    graph = helper.make_graph(
        g.nodes,
        "bert_sentence_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", h])],
        initializer=g.inits,
    )
    opsets = [helper.make_opsetid("", 20 if lean else _OPSET)]
    if variant != "plain":
        opsets.append(helper.make_opsetid(_MS, 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="wxo")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
