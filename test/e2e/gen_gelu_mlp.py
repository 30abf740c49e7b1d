#!/usr/bin/python3
"""An MLP with ONNX Gelu nodes (opset 20), for fusion equivalence tests.

Usage: gen_gelu_mlp.py OUT_DIR [--seed 0] [--rows 64]

input [R, 96] -> MatMul + b1 [200] -> Gelu (erf) -> MatMul + b2 [R, 80]
(a bias that varies along the rows too) -> Gelu (tanh) -> MatMul -> output
[R, 32], R = --rows (64; 128 or more takes the tiler's row form of the
linear). At -O2 each Gelu fuses into the linear before it; at -O0 it is
a separate op. Writes model.onnx, input.npy and expected.npy (the output
computed here in float64 with numpy, an independent reference).
"""
import argparse
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rows", type=int, default=64)
    args = ap.parse_args()
    rows = args.rows
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)

    def init(name, *shape):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    inits = [init("w1", 96, 200), init("b1", 200), init("w2", 200, 80), init("b2", rows, 80),
             init("w3", 80, 32)]
    nodes = [
        helper.make_node("MatMul", ["input", "w1"], ["m1"], name="fc1"),
        helper.make_node("Add", ["m1", "b1"], ["a1"], name="bias1"),
        helper.make_node("Gelu", ["a1"], ["g1"], name="gelu1"),
        helper.make_node("MatMul", ["g1", "w2"], ["m2"], name="fc2"),
        helper.make_node("Add", ["m2", "b2"], ["a2"], name="bias2"),
        helper.make_node("Gelu", ["a2"], ["g2"], name="gelu2", approximate="tanh"),
        helper.make_node("MatMul", ["g2", "w3"], ["output"], name="fc3"),
    ]
    graph = helper.make_graph(
        nodes, "gelu_mlp", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [rows, 96])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [rows, 32])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    # (Debian's onnx 1.12 predates Gelu, so no onnx.checker here; the
    # importer checks the node.)
    onnx.save(model, os.path.join(args.out_dir, "model.onnx"))
    x = rng.standard_normal((rows, 96)).astype(np.float32)
    np.save(os.path.join(args.out_dir, "input.npy"), x)
    w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in inits}
    erf = np.vectorize(math.erf)
    g1 = lambda a: 0.5 * a * (1.0 + erf(a / math.sqrt(2.0)))
    g2 = lambda a: 0.5 * a * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (a + 0.044715 * a ** 3)))
    h = g2(g1(x.astype(np.float64) @ w["w1"] + w["b1"]) @ w["w2"] + w["b2"])
    np.save(os.path.join(args.out_dir, "expected.npy"), (h @ w["w3"]).astype(np.float32))


if __name__ == "__main__":
    main()
