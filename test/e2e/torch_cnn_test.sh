#!/usr/bin/env bash
# Exports a seeded small PyTorch CNN (conv + batch norm + relu, max pool,
# strided and grouped convs, global average pool, 1x1 conv head) with
# Debian's python3-torch, compiles it at OPT (-O0 keeps the batch norms,
# -O2 folds them into the convs) and checks the emulator's output against
# PyTorch's.
# usage: torch_cnn_test.sh SRC_DIR BIN_DIR WORK_DIR [OPT]
set -euo pipefail
src=$1 bin=$2 work=$3 opt=${4:--O2}
if ! /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null; then
  echo "SKIP: Debian's python3-torch and python3-onnx are needed to export the model"
  exit 77
fi
mkdir -p "$work"
/usr/bin/python3 "$src/test/e2e/gen_cnn.py" "$work" --batch 2 --size 32 --seed 0
"$bin/trellis-cc" compile "$work/model.onnx" "$opt" -o "$work/model.tnef"
"$bin/trellis-run" "$work/model.tnef" --input input="$work/input.npy" \
  --check logits="$work/expected.npy" --rtol 1e-3 --atol 1e-5 --output-dir "$work/out"
