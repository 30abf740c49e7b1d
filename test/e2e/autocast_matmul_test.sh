#!/usr/bin/env bash
# --auto-cast=matmult on a matmul with a constant and a run-time weight,
# against numpy's reference of the same inputs rounded to TYPE with
# round-to-nearest-even and accumulated exactly (gen_autocast_matmul.py
# explains the tolerance: fp32 accumulation only).
# usage: autocast_matmul_test.sh SRC_DIR BIN_DIR WORK_DIR TYPE
set -euo pipefail
src=$1 bin=$2 work=$3 type=$4
if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-onnx and python3-numpy are needed to generate the model"
  exit 77
fi
/usr/bin/python3 "$src/test/e2e/gen_autocast_matmul.py" "$work" --type "$type"
"$bin/trellis-cc" compile "$work/model.onnx" --auto-cast=matmult --auto-cast-type="$type" \
  -o "$work/model.tnef"
"$bin/trellis-run" "$work/model.tnef" --input a="$work/a.npy" --input b="$work/b.npy" \
  --check c="$work/c.npy" --check d="$work/d.npy" --rtol 0 --atol "$(cat "$work/atol.txt")" --quiet
