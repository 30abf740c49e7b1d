#!/usr/bin/python3
"""Writes ONNX node tests of the norm family that the backend suite lacks.

Usage: gen_norm_cases.py OUT_DIR

Each case is OUT_DIR/<name>/model.onnx plus test_data_set_0/{input,output}_N.pb,
the layout of the ONNX backend node tests, with outputs computed by numpy in
float64 (an independent reference). The shapes exercise the lowering's
layouts: more than 128 rows, kept axes split in chunks, rows longer than a
partition holds (split reductions), views of more than four axes, ties in
ArgMax, float16. Runs with Debian's python3 (python3-onnx, python3-numpy).
"""
import os
import sys

import numpy as np
from onnx import helper, mapping, numpy_helper, save

RNG = np.random.default_rng(0)


def write_case(out_dir, name, op, inputs, outputs, attrs=None, opset=13, const_inputs=None):
    """inputs/outputs: lists of (name, array). const_inputs: initializers."""
    case = os.path.join(out_dir, name)
    data = os.path.join(case, "test_data_set_0")
    os.makedirs(data, exist_ok=True)

    def info(n, a):
        return helper.make_tensor_value_info(n, mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype], a.shape)

    inits = [numpy_helper.from_array(a, n) for n, a in (const_inputs or [])]
    node_inputs = [n for n, _ in inputs] + [n for n, _ in (const_inputs or [])]
    node = helper.make_node(op, node_inputs, [n for n, _ in outputs], **(attrs or {}))
    graph = helper.make_graph([node], name, [info(n, a) for n, a in inputs],
                              [info(n, a) for n, a in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    save(model, os.path.join(case, "model.onnx"))
    for i, (n, a) in enumerate(inputs):
        with open(os.path.join(data, f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    for i, (n, a) in enumerate(outputs):
        with open(os.path.join(data, f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())


def softmax(x, axes):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axes, keepdims=True))
    return e / e.sum(axis=axes, keepdims=True)


def normalize(x, axes, eps):
    x = x.astype(np.float64)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps), mean, 1.0 / np.sqrt(var + eps)


def rand(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def main():
    out = sys.argv[1]
    f32 = np.float32

    # More than 128 rows: partition tiles of 128, 128, 44.
    x = rand(300, 200, scale=3.0)
    write_case(out, "softmax_300x200", "Softmax", [("x", x)],
               [("y", softmax(x, -1).astype(f32))])

    # Softmax over the middle axis with two large kept axes: 129 on the
    # partitions, the other in chunks of 4096 / 1100 = 3 rows per tile.
    x = rand(129, 1100, 5)
    write_case(out, "softmax_kept_chunks", "Softmax", [("x", x)],
               [("y", softmax(x, 1).astype(f32))], {"axis": 1})

    # LogSoftmax before opset 13: flattened at axis 1.
    x = rand(2, 3, 4, 5, scale=10.0)
    y = x.astype(np.float64) - x.max(axis=(1, 2, 3), keepdims=True)
    y = y - np.log(np.exp(y).sum(axis=(1, 2, 3), keepdims=True))
    write_case(out, "logsoftmax_opset11", "LogSoftmax", [("x", x)], [("y", y.astype(f32))],
               {"axis": 1}, opset=11)

    # Reduced axes 0, 2, 4 of a rank-6 tensor: views of more than four axes.
    x = rand(2, 3, 4, 5, 6, 7)
    write_case(out, "reduce_sum_rank6", "ReduceSum", [("x", x)],
               [("y", x.astype(np.float64).sum(axis=(0, 2, 4)).astype(f32))], {"keepdims": 0},
               const_inputs=[("axes", np.array([0, 2, 4], dtype=np.int64))])

    # Rows longer than a partition holds: split reductions.
    x = rand(3, 100, 100)
    write_case(out, "reduce_mean_all", "ReduceMean", [("x", x)],
               [("y", x.astype(np.float64).mean(keepdims=True).astype(f32))])
    x = rand(2, 100, 200, scale=20.0)
    xd = x.astype(np.float64)
    m = xd.max(axis=(1, 2), keepdims=True)
    lse = (m + np.log(np.exp(xd - m).sum(axis=(1, 2), keepdims=True))).squeeze((1, 2))
    write_case(out, "reduce_logsumexp_split", "ReduceLogSumExp", [("x", x)],
               [("y", lse.astype(f32))], {"axes": [1, 2], "keepdims": 0})
    # Reduced axes 0 and 2, not adjacent: axis 2 whole, axis 0 in chunks.
    x = rand(100, 3, 200)
    xd = x.astype(np.float64)
    write_case(out, "reduce_max_split", "ReduceMax", [("x", x)],
               [("y", xd.max(axis=(0, 2), keepdims=True).astype(f32))], {"axes": [0, 2]})
    write_case(out, "reduce_l2_split", "ReduceL2", [("x", x)],
               [("y", np.sqrt((xd ** 2).sum(axis=(0, 2))).astype(f32))],
               {"axes": [0, 2], "keepdims": 0})
    p = (1.0 + rand(100, 3, 200) * 0.001).astype(f32)
    write_case(out, "reduce_prod_split", "ReduceProd", [("x", p)],
               [("y", p.astype(np.float64).prod(axis=(0, 2), keepdims=True).astype(f32))],
               {"axes": [0, 2]})
    q = np.abs(rand(100, 3, 200)) + f32(0.1)
    write_case(out, "reduce_logsum_split", "ReduceLogSum", [("x", q)],
               [("y", np.log(q.astype(np.float64).sum(axis=(0, 2))).astype(f32))],
               {"axes": [0, 2], "keepdims": 0})
    x = rand(3, 4, 5, scale=4.0)
    xd = x.astype(np.float64)
    m = xd.max(axis=1, keepdims=True)
    write_case(out, "reduce_logsumexp_f32", "ReduceLogSumExp", [("x", x)],
               [("y", (m + np.log(np.exp(xd - m).sum(axis=1, keepdims=True))).astype(f32))],
               {"axes": [1]})

    # ArgMax with many ties, first and last index, over 130 rows.
    x = RNG.integers(0, 5, size=(130, 300)).astype(f32)
    write_case(out, "argmax_ties_first", "ArgMax", [("x", x)],
               [("y", np.argmax(x, axis=1).astype(np.int64))], {"axis": 1, "keepdims": 0})
    last = x.shape[1] - 1 - np.argmax(x[:, ::-1], axis=1)
    write_case(out, "argmax_ties_last", "ArgMax", [("x", x)],
               [("y", last.astype(np.int64))],
               {"axis": 1, "keepdims": 0, "select_last_index": 1})
    write_case(out, "argmin_axis0", "ArgMin", [("x", x)],
               [("y", np.argmin(x, axis=0)[None, :].astype(np.int64))], {"axis": 0})

    # LayerNorm over 300 rows of 64, with Mean and InvStdDev; float16.
    x, w, b = rand(300, 64, scale=2.0), rand(64), rand(64)
    y, mean, rstd = normalize(x, (1,), 1e-5)
    write_case(out, "layernorm_300x64", "LayerNormalization", [("x", x), ("w", w), ("b", b)],
               [("y", (y * w + b).astype(f32)), ("mean", mean.astype(f32)),
                ("rstd", rstd.astype(f32))], opset=17)
    h, hw = rand(4, 8, 32).astype(np.float16), rand(32).astype(np.float16)
    y, _, _ = normalize(h, (2,), 1e-5)
    write_case(out, "layernorm_f16", "LayerNormalization", [("x", h), ("w", hw)],
               [("y", (y * hw.astype(np.float64)).astype(np.float16))], opset=17)

    # InstanceNorm with 200 channels: partition tiles of 128 and 72.
    x, s, b = rand(2, 200, 7, 7), rand(200), rand(200)
    y, _, _ = normalize(x, (2, 3), 1e-5)
    write_case(out, "instancenorm_200ch", "InstanceNormalization", [("x", x), ("s", s), ("b", b)],
               [("y", (y * s[None, :, None, None] + b[None, :, None, None]).astype(f32))])


if __name__ == "__main__":
    main()
