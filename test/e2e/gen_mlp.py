#!/usr/bin/python3
"""Exports a seeded PyTorch MLP to ONNX with an input and PyTorch's output.

Usage: gen_mlp.py OUT_DIR [--dims 784,512,256,10] [--batch 8] [--seed 0]

Writes OUT_DIR/model.onnx, OUT_DIR/input.npy and OUT_DIR/expected.npy (the
reference output computed by PyTorch in fp32). Runs with Debian's python3
(python3-torch, python3-onnx, python3-numpy).
"""
import argparse
import os

import numpy as np
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--dims", default="784,512,256,10")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    dims = [int(d) for d in args.dims.split(",")]
    torch.manual_seed(args.seed)
    layers = []
    for i in range(len(dims) - 1):
        layers.append(torch.nn.Linear(dims[i], dims[i + 1]))
        if i + 2 < len(dims):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).eval()

    x = torch.randn(args.batch, dims[0])
    with torch.no_grad():
        y = model(x)

    os.makedirs(args.out_dir, exist_ok=True)
    torch.onnx.export(model, x, os.path.join(args.out_dir, "model.onnx"),
                      input_names=["input"], output_names=["logits"], opset_version=13)
    np.save(os.path.join(args.out_dir, "input.npy"), x.numpy())
    np.save(os.path.join(args.out_dir, "expected.npy"), y.numpy())


if __name__ == "__main__":
    main()
