#!/usr/bin/python3
"""Writes an ONNX model computing C = A @ B for A [M, K] and B [K, N].

Usage: gen_gemm.py OUT_DIR --m M --k K --n N [--dtype bf16|f16|f32]
                   [--weights] [--data] [--seed S]

With --weights, B is an initializer (a layer's weight) instead of an input.
With --data, also writes a.npy (and b.npy) as float32 values exactly
representable in the dtype, and expected.npy = A @ B computed by numpy in
float64 from those values. Runs with Debian's python3 (python3-onnx,
python3-numpy).
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

ONNX_TYPES = {"bf16": TensorProto.BFLOAT16, "f16": TensorProto.FLOAT16, "f32": TensorProto.FLOAT}


def representable(x, dtype):
    """Rounds float32 values to the nearest value of `dtype` (ties to even)."""
    x = x.astype(np.float32)
    if dtype == "f32":
        return x
    if dtype == "f16":
        return x.astype(np.float16).astype(np.float32)
    bits = x.view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32)


def tensor_proto(name, values, dtype):
    if dtype == "bf16":
        raw = (values.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).tobytes()
        return helper.make_tensor(name, TensorProto.BFLOAT16, values.shape, raw, raw=True)
    if dtype == "f16":
        return helper.make_tensor(name, TensorProto.FLOAT16, values.shape,
                                  values.astype(np.float16).tobytes(), raw=True)
    return helper.make_tensor(name, TensorProto.FLOAT, values.shape, values.tobytes(), raw=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--m", type=int, required=True)
    ap.add_argument("--k", type=int, required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--dtype", choices=sorted(ONNX_TYPES), default="bf16")
    ap.add_argument("--weights", action="store_true")
    ap.add_argument("--data", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t = ONNX_TYPES[args.dtype]
    rng = np.random.default_rng(args.seed)
    a = representable(rng.standard_normal((args.m, args.k)), args.dtype)
    b = representable(rng.standard_normal((args.k, args.n)) / np.sqrt(args.k), args.dtype)

    inputs = [helper.make_tensor_value_info("a", t, [args.m, args.k])]
    initializers = []
    if args.weights:
        initializers.append(tensor_proto("b", b, args.dtype))
    else:
        inputs.append(helper.make_tensor_value_info("b", t, [args.k, args.n]))
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"], name="gemm")],
                              "gemm", inputs,
                              [helper.make_tensor_value_info("c", t, [args.m, args.n])],
                              initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    os.makedirs(args.out_dir, exist_ok=True)
    onnx.save(model, os.path.join(args.out_dir, "model.onnx"))
    if args.data:
        np.save(os.path.join(args.out_dir, "a.npy"), a)
        if not args.weights:
            np.save(os.path.join(args.out_dir, "b.npy"), b)
        c = a.astype(np.float64) @ b.astype(np.float64)
        np.save(os.path.join(args.out_dir, "expected.npy"), c.astype(np.float32))


if __name__ == "__main__":
    main()
