"""The bench suite's workloads: each writes one ONNX model (never committed).

Every workload is a dict with `name`, `group`, a `build(out_path)` that writes
model.onnx, `quick` (part of `run.py --quick`) and `full_run` (whether the
full functional emulator run is affordable). Models come from Debian's
python3-torch / -torchvision / -onnx with random weights (seed 0); the GEMMs
are written with onnx.helper by bench/gen_gemm.py.
"""
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


# ----------------------------------------------------------------------------
# GEMMs: bf16 in the model itself (the PE array's input type).
# ----------------------------------------------------------------------------

def gemm(m, k, n):
    def build(path):
        sys.path.insert(0, HERE)
        import gen_gemm
        import numpy as np
        import onnx
        from onnx import helper
        t = gen_gemm.ONNX_TYPES["bf16"]
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["a", "b"], ["c"], name="gemm")], "gemm",
            [helper.make_tensor_value_info("a", t, [m, k]),
             helper.make_tensor_value_info("b", t, [k, n])],
            [helper.make_tensor_value_info("c", t, [m, n])])
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return build


# ----------------------------------------------------------------------------
# PyTorch modules (fp32 models; bf16 comes from --auto-cast=matmult).
# ----------------------------------------------------------------------------

def _torch_modules():
    import torch
    from torch import nn

    class BertLayer(nn.Module):
        """A BERT-base encoder layer as HF BERT computes it (post-LayerNorm,
        erf GELU): x = LN(x + Wo·attn(x)); x = LN(x + W2·gelu(W1·x))."""

        def __init__(self, d=768, heads=12, ffn=3072):
            super().__init__()
            self.heads = heads
            self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
            self.o = nn.Linear(d, d)
            self.ln1 = nn.LayerNorm(d, eps=1e-12)
            self.fc1, self.fc2 = nn.Linear(d, ffn), nn.Linear(ffn, d)
            self.ln2 = nn.LayerNorm(d, eps=1e-12)

        def forward(self, x):
            b, t, d = x.shape
            h = self.heads

            def split(y):
                return y.view(b, t, h, d // h).transpose(1, 2)

            q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
            att = torch.softmax((q @ k.transpose(-2, -1)) / math.sqrt(d // h), dim=-1)
            y = (att @ v).transpose(1, 2).reshape(b, t, d)
            x = self.ln1(x + self.o(y))
            return self.ln2(x + self.fc2(nn.functional.gelu(self.fc1(x))))

    class Bert(nn.Module):
        """The encoder stack of BERT-base (no embeddings or pooler)."""

        def __init__(self, layers=12):
            super().__init__()
            self.layers = nn.ModuleList(BertLayer() for _ in range(layers))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    class Gpt2Block(nn.Module):
        """GPT-2's block (pre-LayerNorm, causal, tanh GELU), d 768, 12 heads."""

        def __init__(self, d=768, heads=12, ffn=3072, seq=512):
            super().__init__()
            self.heads = heads
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc, self.out = nn.Linear(d, ffn), nn.Linear(ffn, d)
            self.register_buffer("mask", torch.tril(torch.ones(seq, seq)).view(1, 1, seq, seq))

        def forward(self, x):
            b, t, d = x.shape
            h = self.heads
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
            q, k, v = (y.view(b, t, h, d // h).transpose(1, 2) for y in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // h))
            att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
            y = (torch.softmax(att, dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
            x = x + self.proj(y)
            return x + self.out(nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh"))

    return BertLayer, Bert, Gpt2Block


def _export(model, x, path):
    import torch
    model = model.eval()
    with torch.no_grad():
        torch.onnx.export(model, x, path, input_names=["input"], output_names=["output"],
                          opset_version=17)


def torch_model(kind, **kw):
    def build(path):
        import torch
        torch.manual_seed(0)
        BertLayer, Bert, Gpt2Block = _torch_modules()
        if kind == "bert_layer":
            model, x = BertLayer(), torch.randn(1, kw["seq"], 768)
        elif kind == "bert":
            model, x = Bert(kw["layers"]), torch.randn(1, kw["seq"], 768)
        elif kind == "gpt2_block":
            model, x = Gpt2Block(seq=kw["seq"]), torch.randn(1, kw["seq"], 768)
        elif kind in ("resnet18", "resnet50"):
            import torchvision
            model = getattr(torchvision.models, kind)(weights=None)
            x = torch.randn(1, 3, 224, 224)
        elif kind == "conv":
            model = torch.nn.Conv2d(kw["cin"], kw["cout"], kw["k"], stride=kw["stride"],
                                    padding=kw["pad"], bias=False)
            x = torch.randn(1, kw["cin"], kw["hw"], kw["hw"])
        else:
            raise ValueError(kind)
        _export(model, x, path)
    return build


# ResNet-50's distinct convolutions (batch 1, 224x224 input): (cin, hw, cout,
# k, stride, pad) -> how many times the network uses it. Derived from
# torchvision's resnet50 by resnet50_convs() below; listed so that the suite
# does not need torch just to enumerate its workloads.
RESNET50_CONVS = [
    ((3, 224, 64, 7, 2, 3), 1),
    ((64, 56, 64, 1, 1, 0), 1),
    ((64, 56, 64, 3, 1, 1), 3),
    ((64, 56, 256, 1, 1, 0), 4),
    ((256, 56, 64, 1, 1, 0), 2),
    ((256, 56, 128, 1, 1, 0), 1),
    ((128, 56, 128, 3, 2, 1), 1),
    ((128, 28, 512, 1, 1, 0), 4),
    ((256, 56, 512, 1, 2, 0), 1),
    ((512, 28, 128, 1, 1, 0), 3),
    ((128, 28, 128, 3, 1, 1), 3),
    ((512, 28, 256, 1, 1, 0), 1),
    ((256, 28, 256, 3, 2, 1), 1),
    ((256, 14, 1024, 1, 1, 0), 6),
    ((512, 28, 1024, 1, 2, 0), 1),
    ((1024, 14, 256, 1, 1, 0), 5),
    ((256, 14, 256, 3, 1, 1), 5),
    ((1024, 14, 512, 1, 1, 0), 1),
    ((512, 14, 512, 3, 2, 1), 1),
    ((512, 7, 2048, 1, 1, 0), 3),
    ((1024, 14, 2048, 1, 2, 0), 1),
    ((2048, 7, 512, 1, 1, 0), 2),
    ((512, 7, 512, 3, 1, 1), 2),
]


def resnet50_convs():
    """Recomputes RESNET50_CONVS from torchvision (used by --check-convs)."""
    import collections
    import torch
    import torchvision
    model = torchvision.models.resnet50(weights=None).eval()
    seen = collections.OrderedDict()

    def hook(mod, inp, out):
        key = (mod.in_channels, inp[0].shape[-1], mod.out_channels, mod.kernel_size[0],
               mod.stride[0], mod.padding[0])
        seen[key] = seen.get(key, 0) + 1

    for mod in model.modules():
        if isinstance(mod, torch.nn.Conv2d):
            mod.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.randn(1, 3, 224, 224))
    return list(seen.items())


def conv_name(cin, hw, cout, k, stride, pad):
    return "r50-conv-%dx%d-%dk%ds%d" % (cin, hw, cout, k, stride)


def workloads():
    w = []

    def add(name, group, build, quick=False, full_run=True, note=""):
        w.append(dict(name=name, group=group, build=build, quick=quick, full_run=full_run,
                      note=note))

    add("gemm-512", "gemm", gemm(512, 512, 512), quick=True, note="bf16 512x512x512")
    add("gemm-2048", "gemm", gemm(2048, 2048, 2048), note="bf16 2048x2048x2048")
    add("gemm-4096", "gemm", gemm(4096, 4096, 4096), full_run=False, note="bf16 4096x4096x4096")
    add("gemm-1x4096x4096", "gemm", gemm(1, 4096, 4096), quick=True,
        note="bf16 1x4096x4096 (decode-like)")
    for (cin, hw, cout, k, s, p), uses in RESNET50_CONVS:
        add(conv_name(cin, hw, cout, k, s, p), "resnet50-conv",
            torch_model("conv", cin=cin, hw=hw, cout=cout, k=k, stride=s, pad=p),
            quick=(cin, hw, cout, k) == (64, 56, 64, 3),
            note="%dx%dx%d -> %d, %dx%d/%d, used %dx" % (cin, hw, hw, cout, k, k, s, uses))
    add("bert-layer-128", "transformer", torch_model("bert_layer", seq=128), quick=True,
        note="BERT-base layer, seq 128")
    add("bert-layer-512", "transformer", torch_model("bert_layer", seq=512),
        note="BERT-base layer, seq 512")
    add("gpt2-block-512", "transformer", torch_model("gpt2_block", seq=512),
        note="GPT-2 block (d 768), prefill 512 tokens")
    add("resnet18", "cnn", torch_model("resnet18"), note="torchvision, 1x3x224x224")
    add("resnet50", "cnn", torch_model("resnet50"), full_run=False,
        note="torchvision, 1x3x224x224")
    add("bert-base-128", "transformer", torch_model("bert", layers=12, seq=128), full_run=False,
        note="12 BERT-base layers, seq 128")
    return w
