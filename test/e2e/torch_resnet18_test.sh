#!/usr/bin/env bash
# Exports a seeded torchvision ResNet-18 trunk (everything up to the global
# average pool; the fc head needs Flatten) with Debian's python3-torch and
# torchvision, compiles it (batch norms folded into the convs) and checks
# the emulator's output against PyTorch's.
# usage: torch_resnet18_test.sh SRC_DIR BIN_DIR WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
if ! /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then
  echo "SKIP: Debian's python3-torch, python3-torchvision and python3-onnx are needed"
  exit 77
fi
mkdir -p "$work"
/usr/bin/python3 "$src/test/e2e/gen_resnet18.py" "$work" --size 224 --seed 0
"$bin/trellis-cc" compile "$work/model.onnx" -o "$work/model.tnef"
"$bin/trellis-run" "$work/model.tnef" --input input="$work/input.npy" \
  --check features="$work/expected.npy" --rtol 1e-3 --atol 1e-5 --output-dir "$work/out"
