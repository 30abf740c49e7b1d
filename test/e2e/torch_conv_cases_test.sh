#!/usr/bin/env bash
# Exports the conv-family edge cases of gen_conv_cases.py with Debian's
# python3-torch, compiles each and checks the emulator's output against
# PyTorch's.
# usage: torch_conv_cases_test.sh SRC_DIR BIN_DIR WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
if ! /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null; then
  echo "SKIP: Debian's python3-torch and python3-onnx are needed to export the models"
  exit 77
fi
mkdir -p "$work"
/usr/bin/python3 "$src/test/e2e/gen_conv_cases.py" "$work" --seed 0
while read -r case; do
  echo "== $case"
  "$bin/trellis-cc" compile "$work/$case.onnx" -o "$work/$case.tnef"
  "$bin/trellis-run" "$work/$case.tnef" --input input="$work/${case}_in.npy" \
    --check y="$work/${case}_out.npy" --rtol 1e-3 --atol 1e-5 --quiet
done < "$work/cases.txt"
