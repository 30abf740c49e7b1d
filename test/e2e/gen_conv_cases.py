#!/usr/bin/python3
"""Exports seeded PyTorch conv-family layers that reach the tiler's edge cases.

Usage: gen_conv_cases.py OUT_DIR [--seed 0]

One ONNX model per case (OUT_DIR/CASE.onnx, CASE_in.npy, CASE_out.npy with
PyTorch's fp32 output) and OUT_DIR/cases.txt listing them: output rows wider
than a PSUM bank, weights too large to stay resident, groups wider than the
array, strides with dilations and asymmetric pads, a depthwise multiplier, a
grouped dilated transposed convolution with output padding, and pools with
ceil_mode, dilation, more than 128 planes and rows wider than a vector tile.
Runs with Debian's python3 (python3-torch, python3-onnx, python3-numpy).
"""
import argparse
import os

import numpy as np
import torch
from torch import nn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    cases = {
        "wide_rows": (nn.Conv2d(3, 8, 3, padding=1), (1, 3, 4, 600)),
        "nonresident_weights": (nn.Conv2d(256, 160, 5, padding=2, bias=False), (1, 256, 6, 6)),
        "wide_groups": (nn.Conv2d(384, 256, 3, padding=1, groups=2), (2, 384, 5, 5)),
        "dilated_strided": (nn.Conv2d(8, 16, 3, stride=3, dilation=2, padding=(2, 1)),
                            (2, 8, 17, 13)),
        "depthwise_x2": (nn.Conv2d(200, 400, 3, padding=1, groups=200), (1, 200, 9, 9)),
        "conv_transpose": (nn.ConvTranspose2d(6, 9, 3, stride=3, padding=1, output_padding=2,
                                              groups=3, dilation=2), (1, 6, 5, 4)),
        "maxpool_wide": (nn.MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True),
                         (2, 70, 9, 2100)),
        "avgpool_ceil": (nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True,
                                      count_include_pad=False), (2, 130, 11, 12)),
    }
    os.makedirs(args.out_dir, exist_ok=True)
    for name, (module, shape) in cases.items():
        module.eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            y = module(x)
        torch.onnx.export(module, x, os.path.join(args.out_dir, name + ".onnx"),
                          input_names=["input"], output_names=["y"], opset_version=13)
        np.save(os.path.join(args.out_dir, name + "_in.npy"), x.numpy())
        np.save(os.path.join(args.out_dir, name + "_out.npy"), y.numpy())
    with open(os.path.join(args.out_dir, "cases.txt"), "w") as f:
        f.write("\n".join(cases) + "\n")


if __name__ == "__main__":
    main()
