#!/usr/bin/python3
"""An ONNX model whose ops the shipped kernels implement, with a numpy reference.

Usage: gen_kernel_model.py OUT_DIR

    Y = MatMul(X, W)                      -- kernels/matmul.nki  (--kernel-lib)
    N = LayerNormalization(Y, gamma, beta) -- kernels/layernorm.nki
    S = Softmax(N, axis=-1)                -- kernels/softmax.nki
    Z = com.example.RmsNorm(S, g, eps)     -- a custom-domain node, --kernel RmsNorm=...

X is [256, 256], W [256, 1024]: the fully blocked matmul kernel's block
sizes (256 x 1024 x 256) divide them. Writes OUT_DIR/model.onnx, X.npy and
expected.npy (float64 numpy, cast to float32).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    M, K, N = 256, 256, 1024
    x = rng.standard_normal((M, K)).astype(np.float32)
    w = (rng.standard_normal((K, N)) / np.sqrt(K)).astype(np.float32)
    gamma = (1 + 0.1 * rng.standard_normal(N)).astype(np.float32)
    beta = (0.1 * rng.standard_normal(N)).astype(np.float32)
    g = (1 + 0.1 * rng.standard_normal(N)).astype(np.float32)
    eps_ln, eps_rms = 1e-5, 1e-6

    nodes = [
        helper.make_node("MatMul", ["X", "W"], ["Y"], name="matmul"),
        helper.make_node("LayerNormalization", ["Y", "gamma", "beta"], ["Nrm"], name="ln",
                         axis=-1, epsilon=eps_ln),
        helper.make_node("Softmax", ["Nrm"], ["S"], name="softmax", axis=-1),
        helper.make_node("RmsNorm", ["S", "g"], ["Z"], name="rms", domain="com.example",
                         eps=eps_rms),
    ]
    graph = helper.make_graph(
        nodes, "kernels",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [M, K])],
        [helper.make_tensor_value_info("Z", TensorProto.FLOAT, [M, N])],
        initializer=[numpy_helper.from_array(w, "W"), numpy_helper.from_array(gamma, "gamma"),
                     numpy_helper.from_array(beta, "beta"), numpy_helper.from_array(g, "g")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.example", 1)])
    onnx.save(model, os.path.join(out, "model.onnx"))

    # The reference, in float64.
    y = x.astype(np.float64) @ w.astype(np.float64)
    mu = y.mean(axis=-1, keepdims=True)
    var = ((y - mu) ** 2).mean(axis=-1, keepdims=True)
    n = (y - mu) / np.sqrt(var + eps_ln) * gamma + beta
    e = np.exp(n - n.max(axis=-1, keepdims=True))
    s = e / e.sum(axis=-1, keepdims=True)
    z = s / np.sqrt((s ** 2).mean(axis=-1, keepdims=True) + eps_rms) * g
    np.save(os.path.join(out, "X.npy"), x)
    np.save(os.path.join(out, "expected.npy"), z.astype(np.float32))


if __name__ == "__main__":
    main()
