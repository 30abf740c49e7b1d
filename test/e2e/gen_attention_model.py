#!/usr/bin/python3
"""A PyTorch self-attention block for binding kernels/attention.nki.

Usage: gen_attention_model.py OUT_DIR {causal|full} [SEQ]

x [1, SEQ, 128] (SEQ 128 by default) -> QKV projection -> 2 heads of 64 -> softmax(q k^T / 8
[+ causal mask]) v -> output projection, exported with torch.onnx.export
(opset 17) the way GPT-2 / nn.MultiheadAttention-style code is: MatMul,
Mul by the scale, Where with the causal mask, Softmax, MatMul; Trellis
fuses that into graph.attention. Sequence 128: the kernel's block size;
longer ones take several query blocks (a causal one skips the keys past
each block's last query).
Writes OUT_DIR/model.onnx, x.npy and expected.npy (PyTorch's output, fp32).
"""
import math
import os
import sys

import numpy as np
import torch
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, d=128, heads=2, seq=128, causal=True):
        super().__init__()
        self.d, self.heads, self.causal = d, heads, causal
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.register_buffer("mask", torch.tril(torch.ones(seq, seq)).view(1, 1, seq, seq))

    def forward(self, x):
        b, s, d = x.shape
        hd = d // self.heads
        q, k, v = self.qkv(x).split(d, dim=2)
        q = q.view(b, s, self.heads, hd).transpose(1, 2)
        k = k.view(b, s, self.heads, hd).transpose(1, 2)
        v = v.view(b, s, self.heads, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        if self.causal:
            att = att.masked_fill(self.mask[:, :, :s, :s] == 0, float("-inf"))
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, s, d)
        return self.proj(y)


def main():
    out, kind = sys.argv[1], sys.argv[2]
    seq = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(3)
    model = SelfAttention(seq=seq, causal=(kind == "causal")).eval()
    x = torch.randn(1, seq, 128)
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, os.path.join(out, "model.onnx"), input_names=["x"],
                      output_names=["y"], opset_version=17)
    np.save(os.path.join(out, "x.npy"), x.numpy())
    np.save(os.path.join(out, "expected.npy"), y.numpy())


if __name__ == "__main__":
    main()
