#!/usr/bin/env bash
# A bf16 GEMM (weights as an initializer, and as an input) compiled and run
# on the emulator against numpy's float64 product of the same bf16 values.
# The PE accumulates in fp32 and the result is rounded to bf16 once, so the
# error bound is bf16's half ulp (2^-9 relative) plus fp32 accumulation noise:
# rtol 1e-2, atol 1e-2 (|C| is O(1) by construction).
# usage: bf16_gemm_test.sh SRC_DIR BIN_DIR WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-onnx and python3-numpy are needed to generate the model"
  exit 77
fi
for mode in weights inputs; do
  dir=$work/$mode
  flag=""
  [ $mode = weights ] && flag=--weights
  /usr/bin/python3 "$src/bench/gen_gemm.py" "$dir" --m 64 --k 300 --n 200 --dtype bf16 $flag --data
  "$bin/trellis-cc" compile "$dir/model.onnx" -o "$dir/model.tnef"
  inputs=(--input a="$dir/a.npy")
  [ $mode = inputs ] && inputs+=(--input b="$dir/b.npy")
  "$bin/trellis-run" "$dir/model.tnef" "${inputs[@]}" --check c="$dir/expected.npy" \
    --rtol 1e-2 --atol 1e-2 --quiet
done
