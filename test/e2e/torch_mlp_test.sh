#!/usr/bin/env bash
# Exports a seeded PyTorch MLP (784-512-256-10, ReLU, batch 8) with Debian's
# python3-torch, compiles it and checks the emulator's output against
# PyTorch's within 1e-4 relative.
# usage: torch_mlp_test.sh SRC_DIR BIN_DIR WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
if ! /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null; then
  echo "SKIP: Debian's python3-torch and python3-onnx are needed to export the model"
  exit 77
fi
mkdir -p "$work"
/usr/bin/python3 "$src/test/e2e/gen_mlp.py" "$work" --dims 784,512,256,10 --batch 8 --seed 0
"$bin/trellis-cc" compile "$work/model.onnx" -o "$work/model.tnef"
"$bin/trellis-run" "$work/model.tnef" --input input="$work/input.npy" \
  --check logits="$work/expected.npy" --rtol 1e-4 --atol 1e-6 --output-dir "$work/out"
