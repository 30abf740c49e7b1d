#!/usr/bin/env bash
# Generates the norm family's extra node tests (gen_norm_cases.py: large and
# oddly shaped layouts, split rows, ties, float16, numpy references) and
# checks each on the emulator.
# usage: norm_cases_test.sh SRC_DIR BIN_DIR WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-onnx and python3-numpy are needed to write the cases"
  exit 77
fi
rm -rf "$work"
/usr/bin/python3 "$src/test/e2e/gen_norm_cases.py" "$work/cases"
for case in "$work"/cases/*/; do
  "$src/test/e2e/norm_node_test.sh" "$bin" "${case%/}" "$work/out/$(basename "$case")"
done
