#!/usr/bin/env bash
# Exports a seeded PyTorch model (gen_torch_model.py: resnet18, transformer,
# gpt2) with Debian's python3-torch, compiles it and checks the emulator's
# output against PyTorch's: every element within 1e-3 of the output's range.
# usage: torch_model_test.sh SRC_DIR BIN_DIR WORK_DIR MODEL [trellis-cc flags...]
set -euo pipefail
src=$1 bin=$2 work=$3 model=$4
shift 4
if ! /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then
  echo "SKIP: Debian's python3-torch, python3-torchvision and python3-onnx are needed"
  exit 77
fi
mkdir -p "$work"
/usr/bin/python3 "$src/test/e2e/gen_torch_model.py" "$model" "$work" --seed 0
"$bin/trellis-cc" compile "$work/model.onnx" -o "$work/model.tnef" "$@"
# The attention of the real exports fuses into one op (--trellis-fuse-attention).
if [ "$model" = transformer ] || [ "$model" = gpt2 ]; then
  "$bin/trellis-cc" compile "$work/model.onnx" --emit=graph -o "$work/graph.mlir" "$@"
  if ! grep -q "graph.attention" "$work/graph.mlir"; then
    echo "error: $model's attention did not fuse into graph.attention"
    exit 1
  fi
fi
"$bin/trellis-run" "$work/model.tnef" --input input="$work/input.npy" \
  --check output="$work/expected.npy" --rtol 0 --atol "$(cat "$work/atol.txt")"
