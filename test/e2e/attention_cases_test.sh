#!/usr/bin/env bash
# Attention chains with a per-key mask, a full additive mask and a
# non-causal constant Where (gen_attention_cases.py): each must fuse into
# graph.attention and match numpy (rtol 1e-4, atol 1e-5).
# usage: attention_cases_test.sh SRC_DIR BIN_DIR WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-onnx and python3-numpy are needed to generate the models"
  exit 77
fi
/usr/bin/python3 "$src/test/e2e/gen_attention_cases.py" "$work"
for case in padding full where; do
  dir=$work/$case
  "$bin/trellis-cc" compile "$dir/model.onnx" --emit=graph -o "$dir/graph.mlir"
  if ! grep -q "graph.attention" "$dir/graph.mlir"; then
    echo "error: $case did not fuse into graph.attention"
    exit 1
  fi
  "$bin/trellis-cc" compile "$dir/model.onnx" -o "$dir/model.tnef"
  inputs=(--input q="$dir/q.npy" --input k="$dir/k.npy" --input v="$dir/v.npy")
  [ -f "$dir/mask.npy" ] && inputs+=(--input mask="$dir/mask.npy")
  "$bin/trellis-run" "$dir/model.tnef" "${inputs[@]}" --check o="$dir/expected.npy" \
    --rtol 1e-4 --atol 1e-5 --quiet
done
