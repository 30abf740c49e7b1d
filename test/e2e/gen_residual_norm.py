#!/usr/bin/python3
"""A residual add feeding a layer norm, twice: as is (the tiler folds the
add into the layer norm, the sum never stored) and with the sum also a
model output (stored, the layer norm reading it back).

Usage: gen_residual_norm.py OUT_DIR [--seed 0]
Writes folded.onnx, stored.onnx, a.npy, b.npy and ref.npy (numpy's layer
norm of a + b).
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROWS, COLS = 300, 96


def model(path, gamma, beta, sum_output):
    nodes = [helper.make_node("Add", ["a", "b"], ["s"], name="residual"),
             helper.make_node("LayerNormalization", ["s", "g", "bb"], ["y"], axis=-1, name="ln")]
    value = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, [ROWS, COLS])
    outputs = [value("y")] + ([value("s")] if sum_output else [])
    graph = helper.make_graph(nodes, "residual_norm", [value("a"), value("b")], outputs,
                              [numpy_helper.from_array(gamma, "g"),
                               numpy_helper.from_array(beta, "bb")])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(m)
    onnx.save(m, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    gamma = rng.standard_normal(COLS).astype(np.float32)
    beta = rng.standard_normal(COLS).astype(np.float32)
    model(os.path.join(args.out_dir, "folded.onnx"), gamma, beta, False)
    model(os.path.join(args.out_dir, "stored.onnx"), gamma, beta, True)
    a = (3 * rng.standard_normal((ROWS, COLS))).astype(np.float32)
    b = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    np.save(os.path.join(args.out_dir, "a.npy"), a)
    np.save(os.path.join(args.out_dir, "b.npy"), b)
    s = (a + b).astype(np.float64)
    mu = s.mean(-1, keepdims=True)
    var = ((s - mu) ** 2).mean(-1, keepdims=True)
    ref = (s - mu) / np.sqrt(var + 1e-5) * gamma + beta
    np.save(os.path.join(args.out_dir, "ref.npy"), ref.astype(np.float32))


if __name__ == "__main__":
    main()
