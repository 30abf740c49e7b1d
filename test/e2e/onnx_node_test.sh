#!/usr/bin/env bash
# Compiles one ONNX backend node test and checks every data set against the
# outputs shipped with it.
# usage: onnx_node_test.sh BIN_DIR TEST_DIR WORK_DIR [trellis-run flags...]
set -euo pipefail
bin=$1 test=$2 work=$3
shift 3
if [ ! -f "$test/model.onnx" ]; then
  echo "SKIP: $test not found (install libonnx-testdata)"
  exit 77
fi
mkdir -p "$work"
"$bin/trellis-cc" compile "$test/model.onnx" -o "$work/model.tnef"
for data in "$test"/test_data_set_*; do
  "$bin/trellis-run" "$work/model.tnef" --test-data "$data" --quiet "$@"
done
