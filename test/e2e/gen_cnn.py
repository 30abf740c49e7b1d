#!/usr/bin/python3
"""Exports a seeded small PyTorch CNN to ONNX with an input and PyTorch's output.

Usage: gen_cnn.py OUT_DIR [--batch 2] [--size 32] [--seed 0]

The network: Conv 3x3 + BatchNorm + ReLU, MaxPool 2x2, Conv 3x3 stride 2 +
BatchNorm + ReLU, grouped Conv 3x3 (4 groups) + BatchNorm + ReLU,
GlobalAveragePool and a 1x1 Conv as the classifier head (a Gemm head needs
Flatten). BatchNorm statistics are random too, so folding them into the
convolutions is exercised. Writes OUT_DIR/model.onnx, OUT_DIR/input.npy and
OUT_DIR/expected.npy (PyTorch's fp32 output). Runs with Debian's python3
(python3-torch, python3-onnx, python3-numpy).
"""
import argparse
import os

import numpy as np
import torch
from torch import nn


def conv_bn_relu(cin, cout, stride=1, groups=1):
    return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, groups=groups, bias=False),
            nn.BatchNorm2d(cout), nn.ReLU()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    model = nn.Sequential(
        *conv_bn_relu(3, 16), nn.MaxPool2d(2),
        *conv_bn_relu(16, 32, stride=2),
        *conv_bn_relu(32, 32, groups=4),
        nn.AdaptiveAvgPool2d(1),
        nn.Conv2d(32, 10, 1))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    model.eval()

    x = torch.randn(args.batch, 3, args.size, args.size)
    with torch.no_grad():
        y = model(x)

    os.makedirs(args.out_dir, exist_ok=True)
    torch.onnx.export(model, x, os.path.join(args.out_dir, "model.onnx"),
                      input_names=["input"], output_names=["logits"], opset_version=13,
                      # EVAL mode would fold the batch norms in the exporter.
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    np.save(os.path.join(args.out_dir, "input.npy"), x.numpy())
    np.save(os.path.join(args.out_dir, "expected.npy"), y.numpy())


if __name__ == "__main__":
    main()
