#!/usr/bin/python3
"""Two models for the narrowed results of --auto-cast=matmult.

Usage: gen_autocast_narrow.py OUT_DIR [--seed 0]

narrow.onnx: y1 = Conv(Relu(Conv(x, w1, b1)), w2, b2) and
y2 = Relu(a @ w3 + b3) @ w4: each intermediate feeds only the next
product, so the compiler narrows it on PSUM evacuation (AutoCast's
narrowCastResults). wide.onnx is the same graph with both intermediates
also as outputs: they keep their f32 type and a separate cast op rounds
them for the next product. Both round the same f32 values to nearest
even, so y1 and y2 must be bit-identical between the two compiles.
Writes narrow.onnx, wide.onnx, x.npy and a.npy.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)

    def init(name, *shape):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    inits = [init("w1", 32, 16, 3, 3), init("b1", 32), init("w2", 8, 32, 1, 1), init("b2", 8),
             init("w3", 300, 200), init("b3", 200), init("w4", 200, 96)]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["h1"], name="relu1"),
        helper.make_node("Conv", ["h1", "w2", "b2"], ["y1"], name="conv2"),
        helper.make_node("MatMul", ["a", "w3"], ["m3"], name="mm3"),
        helper.make_node("Add", ["m3", "b3"], ["l3"], name="bias3"),
        helper.make_node("Relu", ["l3"], ["h2"], name="relu3"),
        helper.make_node("MatMul", ["h2", "w4"], ["y2"], name="mm4"),
    ]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 8, 8]),
              helper.make_tensor_value_info("a", TensorProto.FLOAT, [64, 300])]
    outputs = [helper.make_tensor_value_info("y1", TensorProto.FLOAT, [1, 8, 8, 8]),
               helper.make_tensor_value_info("y2", TensorProto.FLOAT, [64, 96])]
    extra = [helper.make_tensor_value_info("h1", TensorProto.FLOAT, [1, 32, 8, 8]),
             helper.make_tensor_value_info("h2", TensorProto.FLOAT, [64, 200])]
    for name, outs in (("narrow", outputs), ("wide", outputs + extra)):
        graph = helper.make_graph(nodes, name, inputs, outs, inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(args.out_dir, name + ".onnx"))
    np.save(os.path.join(args.out_dir, "x.npy"), rng.standard_normal((1, 16, 8, 8)).astype(np.float32))
    np.save(os.path.join(args.out_dir, "a.npy"), rng.standard_normal((64, 300)).astype(np.float32))


if __name__ == "__main__":
    main()
