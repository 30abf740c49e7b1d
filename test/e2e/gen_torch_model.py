#!/usr/bin/python3
"""Exports a seeded PyTorch model to ONNX with an input and PyTorch's output.

Usage: gen_torch_model.py MODEL OUT_DIR [--seed 0] [--opset 17] [--size 224] [--seq 64]
                          [--prune N:M] [--export-pruned]

MODEL is one of:
  resnet18     torchvision ResNet-18 (random weights), batch 1, 3xSIZExSIZE
               (--size, default 224)
  transformer  nn.TransformerEncoderLayer(d_model 256, 4 heads, FFN 1024,
               GELU, batch_first), batch 1, sequence --seq (default 64)
  gpt2         a GPT-2-style pre-LayerNorm causal block (d 256, 4 heads,
               FFN 1024, tanh-GELU), batch 1, sequence --seq (default 64)
  mlp          Linear 256-512, ReLU, Linear 512-256, ReLU, Linear 256-64;
               batch 64
  cnn          Conv 3-32 3x3, Conv 32-64 3x3 stride 2, Conv 64-128 3x3,
               Conv 128-64 1x1 (each + BatchNorm + ReLU), global average
               pool, Linear 64-10; batch 2, 3x32x32

With --prune N:M, expected.npy is the output with every linear weight
(nn.Linear, and MultiheadAttention's input projection) and every group-1
convolution weight whose input channels are whole groups of M
magnitude-pruned to N:M along its input axis (a convolution: along the
input channels, for each output channel and kernel tap), computed here with
torch independently of Trellis; the exported model keeps the dense weights (what trellis-cc
--sparsity-prune starts from) unless --export-pruned is given.

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


def build(name, size, seq):
    if name == "resnet18":
        import torchvision
        return torchvision.models.resnet18(weights=None), torch.randn(1, 3, size, size)
    if name == "transformer":
        layer = nn.TransformerEncoderLayer(d_model=256, nhead=4, dim_feedforward=1024,
                                           dropout=0.0, activation="gelu", batch_first=True)
        return layer, torch.randn(1, seq, 256)
    if name == "gpt2":
        return CausalBlock(seq=seq), torch.randn(1, seq, 256)
    if name == "mlp":
        return nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                             nn.Linear(256, 64)), torch.randn(64, 256)
    if name == "cnn":
        def block(cin, cout, k, stride=1):
            return [nn.Conv2d(cin, cout, k, stride, k // 2), nn.BatchNorm2d(cout), nn.ReLU()]
        model = nn.Sequential(*block(3, 32, 3), *block(32, 64, 3, 2), *block(64, 128, 3),
                              *block(128, 64, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                              nn.Linear(64, 10))
        # Non-trivial batch-norm statistics, so that folding them matters.
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.5, 0.5)
        return model, torch.randn(2, 3, 32, 32)
    raise SystemExit("unknown model '%s'" % name)


def prune_(weight, keep, group):
    """Keeps the `keep` largest magnitudes of every `group` consecutive
    elements along the input axis (dim 1) of a [out, in] linear or
    [out, in, kh, kw] convolution weight, in place; an input axis that is
    not whole groups is zero-padded to them."""
    w = weight.movedim(1, -1)  # [..., in]: groups along the input axis
    n = w.shape[-1]
    padded = -(-n // group) * group  # the last group zero-padded
    w = nn.functional.pad(w, (0, padded - n))
    g = w.reshape(-1, padded // group, group)
    idx = g.abs().topk(keep, dim=-1).indices
    mask = torch.zeros_like(g, dtype=torch.bool).scatter_(-1, idx, True)
    weight.mul_(mask.reshape(w.shape)[..., :n].movedim(-1, 1))


def prune_model(model, pattern):
    keep, group = (int(v) for v in pattern.split(":"))
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                prune_(m.weight, keep, group)
            elif isinstance(m, nn.Conv2d) and m.groups == 1 and m.in_channels % group == 0:
                prune_(m.weight, keep, group)
            elif isinstance(m, nn.MultiheadAttention) and m.in_proj_weight is not None:
                prune_(m.in_proj_weight, keep, group)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--size", type=int, default=224, help="resnet18's image size")
    ap.add_argument("--seq", type=int, default=64, help="transformer's and gpt2's sequence length")
    ap.add_argument("--prune", metavar="N:M")
    ap.add_argument("--export-pruned", action="store_true")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    model, x = build(args.model, args.size, args.seq)
    model = model.eval()
    os.makedirs(args.out_dir, exist_ok=True)

    def export():
        torch.onnx.export(model, x, os.path.join(args.out_dir, "model.onnx"),
                          input_names=["input"], output_names=["output"],
                          opset_version=args.opset)

    if args.prune and not args.export_pruned:
        export()
    if args.prune:
        with torch.no_grad():
            np.save(os.path.join(args.out_dir, "expected-dense.npy"), model(x).numpy())
        prune_model(model, args.prune)
    with torch.no_grad():
        y = model(x)
    if not args.prune or args.export_pruned:
        export()
    np.save(os.path.join(args.out_dir, "input.npy"), x.numpy())
    np.save(os.path.join(args.out_dir, "expected.npy"), y.numpy())
    rng = float(y.max() - y.min())
    with open(os.path.join(args.out_dir, "atol.txt"), "w") as f:
        f.write("%g\n" % (1e-3 * rng))


if __name__ == "__main__":
    main()
