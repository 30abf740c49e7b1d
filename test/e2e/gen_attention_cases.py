#!/usr/bin/python3
"""Attention chains with masks, as ONNX, with numpy references.

Usage: gen_attention_cases.py OUT_DIR [--seed 0]

Writes OUT_DIR/<case>/{model.onnx, q.npy, k.npy, v.npy, [mask.npy],
expected.npy} for:
  padding  softmax(q @ k^T / 4 + mask) @ v, mask [B, 1, 1, Sk] an input
           (a per-key mask: the evacuating activation's bias)
  full     softmax((q @ k^T) * 0.25 + mask) @ v, mask [Sq, Sk] an input
  where    softmax(Where(c, -inf, q @ k^T * 0.25)) @ v, c a constant
           non-causal pattern (an additive 0 / -inf constant mask)
with q, k, v [2, 3, 40, 16] (k's sequence 48) and K^T as a Transpose of k,
the way torch exports it. The reference is float64 numpy.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

B, H, SQ, SK, D = 2, 3, 40, 48, 16


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    q = rng.standard_normal((B, H, SQ, D)).astype(np.float32)
    k = rng.standard_normal((B, H, SK, D)).astype(np.float32)
    v = rng.standard_normal((B, H, SK, D)).astype(np.float32)
    scores = q.astype(np.float64) @ k.astype(np.float64).transpose(0, 1, 3, 2)
    f32 = TensorProto.FLOAT

    def io(name, shape):
        return helper.make_tensor_value_info(name, f32, list(shape))

    common = [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2], name="kt")]
    tail = [helper.make_node("Softmax", ["masked"], ["p"], axis=-1, name="softmax"),
            helper.make_node("MatMul", ["p", "v"], ["o"], name="pv")]
    inputs = [io("q", q.shape), io("k", k.shape), io("v", v.shape)]
    cases = {}

    pad = np.where(rng.random((B, 1, 1, SK)) < 0.25, -1e4, 0.0).astype(np.float32)
    cases["padding"] = (
        [helper.make_node("MatMul", ["q", "kt"], ["s"], name="qk"),
         helper.make_node("Div", ["s", "four"], ["scaled"], name="scale"),
         helper.make_node("Add", ["scaled", "mask"], ["masked"], name="mask")],
        [numpy_helper.from_array(np.array(4.0, np.float32), "four")],
        pad, softmax(scores / 4 + pad))

    full = (rng.standard_normal((SQ, SK)) * 2).astype(np.float32)
    cases["full"] = (
        [helper.make_node("MatMul", ["q", "kt"], ["s"], name="qk"),
         helper.make_node("Mul", ["s", "quarter"], ["scaled"], name="scale"),
         helper.make_node("Add", ["mask", "scaled"], ["masked"], name="mask")],
        [numpy_helper.from_array(np.array(0.25, np.float32), "quarter")],
        full, softmax(scores * 0.25 + full))

    cond = rng.random((1, 1, SQ, SK)) < 0.3
    cond[..., 0] = False  # every query keeps a key
    cases["where"] = (
        [helper.make_node("MatMul", ["q", "kt"], ["s"], name="qk"),
         helper.make_node("Mul", ["s", "quarter"], ["scaled"], name="scale"),
         helper.make_node("Where", ["cond", "ninf", "scaled"], ["masked"], name="mask")],
        [numpy_helper.from_array(np.array(0.25, np.float32), "quarter"),
         numpy_helper.from_array(cond, "cond"),
         numpy_helper.from_array(np.array(-np.inf, np.float32), "ninf")],
        None, softmax(np.where(cond, -np.inf, scores * 0.25)))

    for name, (nodes, inits, mask, probs) in cases.items():
        d = os.path.join(args.out_dir, name)
        os.makedirs(d, exist_ok=True)
        ins = inputs + ([io("mask", mask.shape)] if mask is not None else [])
        graph = helper.make_graph(common + nodes + tail, name, ins,
                                  [io("o", (B, H, SQ, D))], inits)
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
                  os.path.join(d, "model.onnx"))
        arrays = {"q": q, "k": k, "v": v, "expected": probs @ v.astype(np.float64)}
        if mask is not None:
            arrays["mask"] = mask
        for n, a in arrays.items():
            np.save(os.path.join(d, n + ".npy"), a.astype(np.float32))


if __name__ == "__main__":
    main()
