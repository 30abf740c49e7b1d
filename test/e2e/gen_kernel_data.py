#!/usr/bin/env python3
"""Inputs and numpy references for the shipped kernels (kernels/*.nki).

usage: gen_kernel_data.py KERNEL OUT_DIR

Writes OUT_DIR/<input>.npy, OUT_DIR/expected.npy (or expected_<output>.npy
for kernels with several outputs) and OUT_DIR/args (the trellis-cc --args
spec). bf16 inputs are generated as float32 values that
are already bf16 (round to nearest even), so trellis-run's conversion is
exact and the reference sees the same numbers as the kernel. References are
computed in float64 from the formulas, independently of the kernels.
"""
import os
import sys

import numpy as np


def bf16(x):
    b = np.asarray(x, dtype=np.float32).view(np.uint32)
    b = (b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000
    return b.view(np.float32)


def main():
    kernel, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    r = np.random.default_rng(7)
    save = lambda name, a: np.save(os.path.join(out, name + ".npy"), a)
    if kernel == "matmul":
        K, M, N = 512, 256, 1024
        a = bf16(r.uniform(-1, 1, (K, M)))
        b = bf16(r.uniform(-1, 1, (K, N)))
        save("lhsT", a)
        save("rhs", b)
        ref = a.astype(np.float64).T @ b.astype(np.float64)
        args = f"lhsT=bf16[{K},{M}],rhs=bf16[{K},{N}]"
    elif kernel in ("softmax", "layernorm", "rmsnorm", "legacy_rmsnorm"):
        R, C = 256, 384
        x = (r.standard_normal((R, C)) * 3 + 1).astype(np.float32)
        xd = x.astype(np.float64)
        save("x", x)
        if kernel == "softmax":
            e = np.exp(xd - xd.max(axis=1, keepdims=True))
            ref = e / e.sum(axis=1, keepdims=True)
            args = f"x=f32[{R},{C}]"
        elif kernel == "layernorm":
            g = r.uniform(0.5, 1.5, C).astype(np.float32)
            beta = r.uniform(-1, 1, C).astype(np.float32)
            save("gamma", g)
            save("beta", beta)
            m = xd.mean(axis=1, keepdims=True)
            v = ((xd - m) ** 2).mean(axis=1, keepdims=True)
            ref = (xd - m) / np.sqrt(v + 1e-5) * g + beta
            args = f"x=f32[{R},{C}],gamma=f32[{C}],beta=f32[{C}]"
        elif kernel == "rmsnorm":
            g = r.uniform(0.5, 1.5, C).astype(np.float32)
            save("g", g)
            ref = xd / np.sqrt((xd ** 2).mean(axis=1, keepdims=True) + 1e-6) * g
            args = f"x=f32[{R},{C}],g=f32[{C}]"
        else:  # the tutorial's RMSNorm: no epsilon, parameters named a/g/out_tensor
            os.rename(os.path.join(out, "x.npy"), os.path.join(out, "a_tensor.npy"))
            g = r.uniform(0.5, 1.5, C).astype(np.float32)
            save("g_tensor", g)
            ref = xd / np.sqrt((xd ** 2).mean(axis=1, keepdims=True)) * g
            args = f"a_tensor=f32[{R},{C}],g_tensor=f32[{C}],out_tensor=f32[{R},{C}]"
    elif kernel == "attention":
        # q, k: [d, S] (head dim on partitions), v: [S, d]; causal.
        d, S = 64, 512
        q = bf16(r.standard_normal((d, S)) * 0.5)
        k = bf16(r.standard_normal((d, S)) * 0.5)
        v = bf16(r.standard_normal((S, d)))
        save("q", q)
        save("k", k)
        save("v", v)
        s = q.astype(np.float64).T @ k.astype(np.float64) / np.sqrt(d)
        s = np.where(np.tril(np.ones((S, S), dtype=bool)), s, -np.inf)
        p = np.exp(s - s.max(axis=1, keepdims=True))
        ref = (p / p.sum(axis=1, keepdims=True)) @ v.astype(np.float64)
        args = f"q=bf16[{d},{S}],k=bf16[{d},{S}],v=bf16[{S},{d}]"
    elif kernel == "builtins":
        x = r.standard_normal((64, 96)).astype(np.float32)
        y = r.standard_normal((96, 128)).astype(np.float32)
        s = r.standard_normal((32, 16)).astype(np.float32)
        save("x", x)
        save("y", y)
        save("s", s)
        sd = s.astype(np.float64)
        save("expected_o1", (x.astype(np.float64) @ y).astype(np.float32))
        save("expected_o2", s.T.copy())
        save("expected_o3", np.maximum(1.0 / ((2.0 - sd) / 4.0 - 3.0), -0.5).astype(np.float32))
        save("expected_o4", ((sd - sd.max(axis=1, keepdims=True)) * sd).astype(np.float32))
        xy = x.astype(np.float64) @ y
        e = np.exp(xy - xy.max(axis=1, keepdims=True))
        save("expected_o5", (e / e.sum(axis=1, keepdims=True)).astype(np.float32))
        ref = None
        args = ""
    else:
        sys.exit(f"unknown kernel {kernel}")
    if ref is not None:
        save("expected", ref.astype(np.float32))
    with open(os.path.join(out, "args"), "w") as f:
        f.write(args + "\n")


if __name__ == "__main__":
    main()
