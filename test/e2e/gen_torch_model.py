#!/usr/bin/python3
"""Exports a seeded PyTorch model to ONNX with an input and PyTorch's output.

Usage: gen_torch_model.py MODEL OUT_DIR [--seed 0] [--opset 17] [--size 224]

MODEL is one of:
  resnet18     torchvision ResNet-18 (random weights), batch 1, 3xSIZExSIZE
               (--size, default 224)
  transformer  nn.TransformerEncoderLayer(d_model 256, 4 heads, FFN 1024,
               GELU, batch_first), batch 1, sequence 64
  gpt2         a GPT-2-style pre-LayerNorm causal block (d 256, 4 heads,
               FFN 1024, tanh-GELU), batch 1, sequence 64

Writes OUT_DIR/model.onnx, OUT_DIR/input.npy, OUT_DIR/expected.npy (the
output PyTorch computes in fp32) and OUT_DIR/atol.txt: 1e-3 of the
output's range, the end-to-end tolerance (issue #4: max error <= 1e-3 of
the output's range). Runs with Debian's python3 (python3-torch,
python3-torchvision, python3-onnx, python3-numpy).
"""
import argparse
import math
import os

import numpy as np
import torch
from torch import nn


class CausalBlock(nn.Module):
    """GPT-2's block: x + attn(ln1(x)), then + mlp(ln2(x)); causal mask."""

    def __init__(self, d=256, heads=4, ffn=1024, seq=64):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, ffn)
        self.out = nn.Linear(ffn, d)
        self.register_buffer("mask", torch.tril(torch.ones(seq, seq)).view(1, 1, seq, seq))

    def forward(self, x):
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = q.view(b, t, h, d // h).transpose(1, 2)
        k = k.view(b, t, h, d // h).transpose(1, 2)
        v = v.view(b, t, h, d // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // h))
        att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, d)
        x = x + self.proj(y)
        return x + self.out(nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh"))


def build(name, size):
    if name == "resnet18":
        import torchvision
        return torchvision.models.resnet18(weights=None), torch.randn(1, 3, size, size)
    if name == "transformer":
        layer = nn.TransformerEncoderLayer(d_model=256, nhead=4, dim_feedforward=1024,
                                           dropout=0.0, activation="gelu", batch_first=True)
        return layer, torch.randn(1, 64, 256)
    if name == "gpt2":
        return CausalBlock(), torch.randn(1, 64, 256)
    raise SystemExit("unknown model '%s'" % name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--size", type=int, default=224, help="resnet18's image size")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    model, x = build(args.model, args.size)
    model = model.eval()
    with torch.no_grad():
        y = model(x)

    os.makedirs(args.out_dir, exist_ok=True)
    torch.onnx.export(model, x, os.path.join(args.out_dir, "model.onnx"), input_names=["input"],
                      output_names=["output"], opset_version=args.opset)
    np.save(os.path.join(args.out_dir, "input.npy"), x.numpy())
    np.save(os.path.join(args.out_dir, "expected.npy"), y.numpy())
    rng = float(y.max() - y.min())
    with open(os.path.join(args.out_dir, "atol.txt"), "w") as f:
        f.write("%g\n" % (1e-3 * rng))


if __name__ == "__main__":
    main()
