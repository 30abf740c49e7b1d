#!/usr/bin/env bash
# Structured-sparsity benchmark (docs/sparsity.md): the speedup of every N:M
# pattern of the target on
#   - gemm: a matmul-bound 4096 x 4096 x 4096 bf16 FFN GEMM, y = x @ W with W
#     a constant (bench/gen_gemm.py --weights), timing model only;
#   - conv: a compute-bound 3x3 convolution, 512 -> 512 channels on a 28x28
#     map (padding 1), bf16 (--auto-cast=matmult), timing model only;
#   - transformer: nn.TransformerEncoderLayer (d 256, 4 heads, FFN 1024,
#     sequence 64, fp32; test/e2e/gen_torch_model.py), run in full, so the
#     accuracy delta against the unpruned model is measured on the
#     emulator's outputs;
#   - resnet18: torchvision ResNet-18, random weights, 224x224, bf16
#     (--auto-cast=matmult), run in full likewise (its first convolution,
#     C = 3, stays dense).
# Each pattern compiles with --sparsity=P --sparsity-prune against the dense
# compile of the same model; device_time_us comes from
# `trellis-run --timing-only --profile` + `trellis-profile summary --json`.
#
# usage: bench/sparsity.sh [--target T] [--patterns "2:4 4:16"] [--only "gemm conv ..."]
# Output in build/bench/sparsity/: per-case artifacts, reports and traces,
# and results.json (one row per model and pattern), printed as a table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${TRELLIS_BUILD_DIR:-$root/build}/bin
out=${TRELLIS_BUILD_DIR:-$root/build}/bench/sparsity
target=trn2 patterns="" only="gemm conv transformer resnet18"
while [ $# -gt 0 ]; do
  case $1 in
    --target) target=$2; shift 2 ;;
    --patterns) patterns=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "usage: bench/sparsity.sh [--target T] [--patterns \"N:M ...\"] [--only \"MODEL ...\"]" >&2; exit 2 ;;
  esac
done
wanted() { [[ " $only " == *" $1 "* ]]; }
py=/usr/bin/python3
if [ -z "$patterns" ]; then
  patterns=$("$py" - "$root/targets/$target.json" <<'PY'
import json, sys
print(" ".join(json.load(open(sys.argv[1])).get("sparsity", [])))
PY
)
fi
if [ -z "$patterns" ]; then
  echo "bench/sparsity.sh: target $target lists no sparsity patterns" >&2
  exit 1
fi
mkdir -p "$out"
rows=$out/rows.jsonl
: > "$rows"

# run NAME MODEL_DIR TNEF [full]: device time (and outputs when full).
run() {
  local dir=$1 tag=$2 full=$3
  if [ "$full" = full ]; then
    "$bin/trellis-run" "$dir/$tag.tnef" --input input="$dir/input.npy" --output-dir "$dir/$tag" \
      --profile "$dir/$tag.json" --quiet > /dev/null
  else
    "$bin/trellis-run" "$dir/$tag.tnef" --timing-only --profile "$dir/$tag.json" --quiet > /dev/null
  fi
  "$bin/trellis-profile" summary "$dir/$tag.json" --json > "$dir/$tag.summary.json"
}

# bench MODEL DIR FULL [COMPILE FLAGS...]: dense, then every pattern.
bench() {
  local model=$1 dir=$2 full=$3
  shift 3
  echo "== $model: dense" >&2
  "$bin/trellis-cc" compile "$dir/model.onnx" --target "$target" -o "$dir/dense.tnef" "$@" 2> /dev/null
  run "$dir" dense "$full"
  for p in $patterns; do
    local tag=${p/:/of}
    echo "== $model: $p" >&2
    "$bin/trellis-cc" compile "$dir/model.onnx" --target "$target" -o "$dir/$tag.tnef" \
      --sparsity="$p" --sparsity-prune --sparsity-report "$dir/$tag.report" "$@" 2> /dev/null
    run "$dir" "$tag" "$full"
    "$py" - "$dir" "$tag" "$model" "$p" "$full" >> "$rows" <<'PY'
import json, re, sys
import numpy as np
d, tag, model, pattern, full = sys.argv[1:]
dense = json.load(open(f"{d}/dense.summary.json"))
sparse = json.load(open(f"{d}/{tag}.summary.json"))
def get(s, *keys):
    for k in keys:
        if k in s:
            return s[k]
    raise SystemExit("summary has none of %s" % (keys,))
t0 = get(dense, "device_time_us")
t1 = get(sparse, "device_time_us")
kept, predicted, layers = [], [], 0
for line in open(f"{d}/{tag}.report"):
    m = re.search(r"\s(\d+:\d+)\s+([0-9.]+)\s+([0-9.]+)x\s+sparse", line)
    if m:
        layers += 1
        kept.append(float(m.group(2)))
        predicted.append(float(m.group(3)))
row = {"model": model, "pattern": pattern, "dense_us": round(t0, 3), "sparse_us": round(t1, 3),
       "speedup": round(t0 / t1, 3), "sparse_layers": layers,
       "kept_magnitude": round(sum(kept) / len(kept), 4) if kept else None,
       "predicted_speedup": round(sum(predicted) / len(predicted), 3) if predicted else None}
if full == "full":
    y0 = np.load(f"{d}/dense/output.npy").astype(np.float64)
    y1 = np.load(f"{d}/{tag}/output.npy").astype(np.float64)
    row["rel_l2_error"] = float(np.linalg.norm(y1 - y0) / np.linalg.norm(y0))
    row["max_abs_error_of_range"] = float(np.abs(y1 - y0).max() / (y0.max() - y0.min()))
print(json.dumps(row))
PY
  done
}

if wanted gemm; then
  mkdir -p "$out/gemm"
  "$py" "$root/bench/gen_gemm.py" "$out/gemm" --m 4096 --k 4096 --n 4096 --dtype bf16 --weights
  bench gemm "$out/gemm" timing
fi
if wanted conv; then
  mkdir -p "$out/conv"
  "$py" - "$out/conv/model.onnx" <<'PY'
import sys, torch
torch.manual_seed(0)
conv = torch.nn.Conv2d(512, 512, 3, padding=1).eval()
torch.onnx.export(conv, torch.randn(1, 512, 28, 28), sys.argv[1], input_names=["input"],
                  output_names=["output"], opset_version=17)
PY
  bench conv "$out/conv" timing --auto-cast=matmult
fi
if wanted transformer; then
  mkdir -p "$out/transformer"
  "$py" "$root/test/e2e/gen_torch_model.py" transformer "$out/transformer" --seed 0
  bench transformer "$out/transformer" full
fi
if wanted resnet18; then
  mkdir -p "$out/resnet18"
  "$py" "$root/test/e2e/gen_torch_model.py" resnet18 "$out/resnet18" --seed 0
  bench resnet18 "$out/resnet18" full --auto-cast=matmult
fi

"$py" - "$rows" "$out/results.json" "$target" <<'PY'
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
doc = {"target": sys.argv[3], "rows": rows}
tmp = sys.argv[2] + ".tmp"
with open(tmp, "w") as f:
    json.dump(doc, f, indent=1)
os.replace(tmp, sys.argv[2])
print("| model | pattern | dense us | sparse us | speedup | predicted | kept magnitude | rel L2 error | max err / range |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    fmt = lambda v, f: "-" if v is None else f % v
    print("| %s | %s | %.1f | %.1f | %.2fx | %s | %s | %s | %s |" % (
        r["model"], r["pattern"], r["dense_us"], r["sparse_us"], r["speedup"],
        fmt(r.get("predicted_speedup"), "%.2fx"), fmt(r.get("kept_magnitude"), "%.3f"),
        fmt(r.get("rel_l2_error"), "%.4f"), fmt(r.get("max_abs_error_of_range"), "%.4f")))
PY
