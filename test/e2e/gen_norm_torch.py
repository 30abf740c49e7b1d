#!/usr/bin/python3
"""Exports a seeded PyTorch block whose ops ONNX spells as chains before
opset 17: nn.LayerNorm, GELU (erf and tanh) and softmax, with PyTorch's outputs.

Usage: gen_norm_torch.py OUT_DIR [--seed 0]

Writes OUT_DIR/model.onnx (opset 14), input.npy and ln_gelu.npy, gelu_tanh.npy,
softmax.npy, log_softmax.npy (PyTorch fp32 references). Runs with Debian's
python3 (python3-torch, python3-onnx, python3-numpy).
"""
import argparse
import os

import numpy as np
import torch


class Block(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln = torch.nn.LayerNorm(d)
        self.proj = torch.nn.Linear(d, d)

    def forward(self, x):
        h = torch.nn.functional.gelu(self.ln(x))
        t = torch.nn.functional.gelu(self.proj(x), approximate="tanh")
        scores = self.proj(x) * 0.125
        return h, t, torch.softmax(scores, dim=-1), torch.log_softmax(x, dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    model = Block(64).eval()
    with torch.no_grad():
        model.ln.weight.normal_()
        model.ln.bias.normal_()
    x = torch.randn(2, 16, 64)
    with torch.no_grad():
        outs = model(x)
    os.makedirs(args.out_dir, exist_ok=True)
    names = ["ln_gelu", "gelu_tanh", "softmax", "log_softmax"]
    torch.onnx.export(model, x, os.path.join(args.out_dir, "model.onnx"), input_names=["input"],
                      output_names=names, opset_version=14)
    np.save(os.path.join(args.out_dir, "input.npy"), x.numpy())
    for name, y in zip(names, outs):
        np.save(os.path.join(args.out_dir, name + ".npy"), y.numpy())


if __name__ == "__main__":
    main()
