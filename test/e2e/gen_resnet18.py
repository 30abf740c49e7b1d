#!/usr/bin/python3
"""Exports a seeded torchvision ResNet-18 trunk to ONNX with an input and PyTorch's output.

Usage: gen_resnet18.py OUT_DIR [--size 224] [--seed 0]

The trunk is ResNet-18 up to and including the global average pool (output
[1, 512, 1, 1]); the fc head needs Flatten, which is not supported yet.
Random weights (torchvision's seeded init) and random batch-norm statistics;
exported with TrainingMode.PRESERVE so the batch norms stay in the model
(EVAL would fold them in the exporter). Writes OUT_DIR/model.onnx,
OUT_DIR/input.npy and OUT_DIR/expected.npy. Runs with Debian's python3
(python3-torch, python3-torchvision, python3-onnx).
"""
import argparse
import os

import numpy as np
import torch
import torchvision


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    model = torchvision.models.resnet18(weights=None)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.0)
            m.bias.data.uniform_(-0.2, 0.2)
    trunk = torch.nn.Sequential(*list(model.children())[:-1]).eval()

    x = torch.randn(1, 3, args.size, args.size)
    with torch.no_grad():
        y = trunk(x)

    os.makedirs(args.out_dir, exist_ok=True)
    torch.onnx.export(trunk, x, os.path.join(args.out_dir, "model.onnx"),
                      input_names=["input"], output_names=["features"], opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    np.save(os.path.join(args.out_dir, "input.npy"), x.numpy())
    np.save(os.path.join(args.out_dir, "expected.npy"), y.numpy())


if __name__ == "__main__":
    main()
