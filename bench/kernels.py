#!/usr/bin/python3
"""Hand-written kernels against the compiler, on the trn2 timing model.

Usage: bench/kernels.py [--bin build/bin] [--out build/bench/kernels] [--json FILE]

For each shipped kernel (kernels/*.nki) one ONNX model of the op it
implements, at the shapes of its e2e test, is compiled twice: by the
compiler alone, and with the kernel bound to the op (--kernel OP=FILE.nki,
or a custom-domain node for rmsnorm). Both run with
`trellis-run --timing-only --profile`; the kernel is also compiled and run
on its own (`trellis-cc compile kernel.nki --args ...`), without the layout
glue the binding adds around it. Prints a markdown table of device times
(docs/performance.md quotes it) and writes the rows as JSON.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
F32, BF16 = TensorProto.FLOAT, TensorProto.BFLOAT16


def model(path, nodes, inputs, outputs, inits=(), custom=False):
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid("com.example", 1)] if custom else [])
    g = helper.make_graph(nodes, "bench", [helper.make_tensor_value_info(*i) for i in inputs],
                          [helper.make_tensor_value_info(*o) for o in outputs],
                          initializer=[numpy_helper.from_array(a, n) for n, a in inits])
    onnx.save(helper.make_model(g, opset_imports=opsets), path)


def cases(out):
    """(name, model path, kernel binding, standalone --args, what the compiler does)"""
    r = np.random.default_rng(0)
    K, M, N = 512, 256, 1024
    w = r.uniform(-1, 1, (K, N)).astype(np.float32)
    p = os.path.join(out, "matmul.onnx")
    model(p, [helper.make_node("Cast", ["W32"], ["W"], to=BF16),
              helper.make_node("MatMul", ["A", "W"], ["C"])],
          [("A", BF16, [M, K])], [("C", BF16, [M, N])], [("W32", w)])
    yield ("matmul", p, "matmul=kernels/matmul.nki",
           f"lhsT=bf16[{K},{M}],rhs=bf16[{K},{N}]", "bf16 [256,512] @ [512,1024]")

    R, C = 256, 384
    p = os.path.join(out, "softmax.onnx")
    model(p, [helper.make_node("Softmax", ["x"], ["y"], axis=-1)], [("x", F32, [R, C])],
          [("y", F32, [R, C])])
    yield ("softmax", p, "softmax=kernels/softmax.nki", f"x=f32[{R},{C}]", "f32 [256,384]")

    g, b = np.ones(C, np.float32), np.zeros(C, np.float32)
    p = os.path.join(out, "layernorm.onnx")
    model(p, [helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1)],
          [("x", F32, [R, C])], [("y", F32, [R, C])], [("g", g), ("b", b)])
    yield ("layernorm", p, "layer_norm=kernels/layernorm.nki",
           f"x=f32[{R},{C}],gamma=f32[{C}],beta=f32[{C}]", "f32 [256,384]")

    # RMSNorm: the compiler gets the decomposition, the kernel a custom node.
    eps = np.array(1e-6, np.float32)
    p = os.path.join(out, "rmsnorm-decomposed.onnx")
    model(p, [helper.make_node("Mul", ["x", "x"], ["sq"]),
              helper.make_node("ReduceMean", ["sq"], ["ms"], axes=[-1], keepdims=1),
              helper.make_node("Add", ["ms", "eps"], ["mse"]),
              helper.make_node("Sqrt", ["mse"], ["rms"]),
              helper.make_node("Div", ["x", "rms"], ["n"]),
              helper.make_node("Mul", ["n", "g"], ["y"])],
          [("x", F32, [R, C])], [("y", F32, [R, C])], [("eps", eps), ("g", g)])
    pk = os.path.join(out, "rmsnorm-custom.onnx")
    model(pk, [helper.make_node("RmsNorm", ["x", "g"], ["y"], domain="com.example", eps=1e-6)],
          [("x", F32, [R, C])], [("y", F32, [R, C])], [("g", g)], custom=True)
    yield ("rmsnorm", (p, pk), "RmsNorm=kernels/rmsnorm.nki", f"x=f32[{R},{C}],g=f32[{C}]",
           "f32 [256,384]")

    # One causal head, S 512, d 64: MatMul, scale, causal Where, Softmax, MatMul
    # (fused into graph.attention), q k v [1, S, d] f32.
    S, D = 512, 64
    mask = np.tril(np.ones((S, S), bool))
    p = os.path.join(out, "attention.onnx")
    model(p, [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
              helper.make_node("MatMul", ["q", "kt"], ["s"]),
              helper.make_node("Mul", ["s", "scale"], ["ss"]),
              helper.make_node("Where", ["mask", "ss", "ninf"], ["sm"]),
              helper.make_node("Softmax", ["sm"], ["pr"], axis=-1),
              helper.make_node("MatMul", ["pr", "v"], ["o"])],
          [("q", F32, [1, S, D]), ("k", F32, [1, S, D]), ("v", F32, [1, S, D])],
          [("o", F32, [1, S, D])],
          [("scale", np.array(1 / np.sqrt(D), np.float32).astype(np.float32)),
           ("mask", mask), ("ninf", np.array(-np.inf, np.float32))])
    yield ("attention", p, "attention=kernels/attention.nki",
           f"q=f32[{D},{S}],k=f32[{D},{S}],v=f32[{S},{D}]", "causal, f32, S 512, d 64")


def device_us(bin_dir, tnef, work):
    trace = tnef + ".json"
    subprocess.run([f"{bin_dir}/trellis-run", tnef, "--timing-only", "--quiet", "--profile", trace],
                   check=True, cwd=work)
    out = subprocess.run([f"{bin_dir}/trellis-profile", "summary", trace, "--json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["device_time_us"]


def compile_run(bin_dir, src, out, flags, work):
    r = subprocess.run([f"{bin_dir}/trellis-cc", "compile", src, "-o", out] + flags,
                       capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        return None, (r.stderr.strip().splitlines() or ["failed"])[0]
    return device_us(bin_dir, out, work), ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "kernels"))
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for name, path, binding, kargs, shape in cases(args.out):
        plain, bound_src = (path if isinstance(path, tuple) else (path, path))
        base = os.path.join(args.out, name)
        compiler, err1 = compile_run(args.bin, plain, base + "-compiler.tnef", [], args.out)
        op, file = binding.split("=", 1)
        bound, err2 = compile_run(args.bin, bound_src, base + "-bound.tnef",
                                  ["--kernel", f"{op}={os.path.join(ROOT, file)}"], args.out)
        alone, err3 = compile_run(args.bin, os.path.join(ROOT, file), base + "-kernel.tnef",
                                  ["--args", kargs], args.out)
        rows.append(dict(kernel=name, shape=shape, compiler_us=compiler, bound_us=bound,
                         kernel_us=alone, errors=[e for e in (err1, err2, err3) if e]))
    fmt = lambda v: "failed" if v is None else f"{v:.1f} us"
    print("| kernel | op, shapes | compiler | kernel bound in the model | kernel alone |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| `{r['kernel']}.nki` | {r['shape']} | {fmt(r['compiler_us'])} | "
              f"{fmt(r['bound_us'])} | {fmt(r['kernel_us'])} |")
        for e in r["errors"]:
            print(f"|  | error: {e} | | | |")
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump(rows, f, indent=1)
        os.replace(args.json + ".tmp", args.json)


if __name__ == "__main__":
    sys.exit(main())
