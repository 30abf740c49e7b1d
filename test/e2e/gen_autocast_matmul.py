#!/usr/bin/python3
"""A matmul model and its --auto-cast=matmult reference, computed in numpy.

Usage: gen_autocast_matmul.py OUT_DIR --type bf16|fp16|fp8_e4m3 [--seed 0]

model.onnx: c = a @ w (w an initializer: converted at compile time) and
d = a @ b (both run-time inputs: cast on the device), a [64, 300] (K spans
three 128-row PSUM accumulation steps), w [300, 200], b [300, 96].

The reference rounds a, w and b to TYPE with round-to-nearest-even,
written here independently of the compiler (bf16 by uint32 bit
manipulation, fp16 by numpy's astype, fp8_e4m3 (e4m3fn: bias 7, max 448,
saturating) against a table of its 255 finite values, ties to the even
code), then takes the products in float64. The device multiplies exactly
(the products of two narrow values fit fp32) and accumulates in fp32 in k
order, so it may differ from the reference by the rounding of those
additions only, each at most 2^-24 of the partial sum it produces:
atol.txt is 1.01 * 2^-24 * max_ij sum_k |partial sum_ij after k terms|. Half of a's elements sit exactly
halfway between two TYPE values, where rounding half up or truncating gives
another answer; the script checks that leaving the inputs unrounded would
miss atol by far, so the test can tell.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

M, K, N, N2 = 64, 300, 200, 96


def round_bf16(x):
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16 << 16
    return u.astype(np.uint32).view(np.float32)


def fp8_e4m3_values():
    """The non-negative finite e4m3fn values, by code (0x00..0x7E)."""
    vals = []
    for code in range(0x7F):
        e, m = code >> 3, code & 7
        vals.append(m / 8 * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7))
    return np.array(vals)


def round_fp8(x):
    vals = fp8_e4m3_values()
    mag = np.minimum(np.abs(x.astype(np.float64)), vals[-1])  # saturate at 448
    hi = np.clip(np.searchsorted(vals, mag), 0, len(vals) - 1)
    lo = np.maximum(hi - 1, 0)
    dlo, dhi = mag - vals[lo], vals[hi] - mag
    pick = np.where(dlo < dhi, lo, np.where(dhi < dlo, hi, np.where(lo % 2 == 0, lo, hi)))
    return (np.sign(x) * vals[pick]).astype(np.float32)


ROUND = {"bf16": round_bf16, "fp16": lambda x: x.astype(np.float16).astype(np.float32),
         "fp8_e4m3": round_fp8}


def halfway(x, kind):
    """x moved to the midpoint above its rounded value: a tie."""
    r = ROUND[kind](x)
    if kind == "bf16":
        return (r.view(np.uint32) | np.uint32(0x8000)).view(np.float32)
    if kind == "fp16":
        up = np.nextafter(r.astype(np.float16), np.float16(np.inf)).astype(np.float32)
        return ((r.astype(np.float64) + up) / 2).astype(np.float32)
    vals = fp8_e4m3_values()
    i = np.searchsorted(vals, np.abs(r))
    up = vals[np.minimum(i + 1, len(vals) - 1)]
    return (np.sign(r) * (np.abs(r) + up) / 2).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--type", required=True, choices=sorted(ROUND))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    a = rng.standard_normal((M, K)).astype(np.float32)
    a[::2] = halfway(a[::2], args.type)
    w = rng.standard_normal((K, N)).astype(np.float32)
    b = rng.standard_normal((K, N2)).astype(np.float32)
    rnd = ROUND[args.type]
    ra, rw, rb = (rnd(v).astype(np.float64) for v in (a, w, b))
    c, d = ra @ rw, ra @ rb

    def accumulation_bound(x, y):
        partial = np.cumsum(x[:, :, None] * y[None, :, :], axis=1)
        return 1.01 * 2.0 ** -24 * np.abs(partial).sum(axis=1).max()

    atol = max(accumulation_bound(ra, rw), accumulation_bound(ra, rb))
    # Unrounded inputs must fail the check, or it would test nothing.
    unrounded = np.abs(a.astype(np.float64) @ w - c).max()
    assert unrounded > 4 * atol, (unrounded, atol)

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "w"], ["c"], name="matmul_w"),
         helper.make_node("MatMul", ["a", "b"], ["d"], name="matmul_b")],
        "autocast_matmul",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [M, K]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [K, N2])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [M, N]),
         helper.make_tensor_value_info("d", TensorProto.FLOAT, [M, N2])],
        [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    os.makedirs(args.out_dir, exist_ok=True)
    onnx.save(model, os.path.join(args.out_dir, "model.onnx"))
    for name, v in {"a": a, "b": b, "c": c, "d": d}.items():
        np.save(os.path.join(args.out_dir, name + ".npy"), v.astype(np.float32))
    with open(os.path.join(args.out_dir, "atol.txt"), "w") as f:
        f.write("%g\n" % atol)


if __name__ == "__main__":
    main()
