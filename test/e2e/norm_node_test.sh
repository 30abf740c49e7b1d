#!/usr/bin/env bash
# Compiles one ONNX node test (layout of the backend suite) and checks every data set
# against the outputs shipped with it. Inputs named with --constant are
# compiled in from data set 0 (trellis-cc --constant-input), as reductions
# need their axes at compile time; trellis-run then skips them.
# usage: norm_node_test.sh BIN_DIR TEST_DIR WORK_DIR [--constant NAME=INDEX]...
set -euo pipefail
bin=$1 test=$2 work=$3
shift 3
if [ ! -f "$test/model.onnx" ]; then
  echo "SKIP: $test not found (install libonnx-testdata)"
  exit 77
fi
flags=()
while [ $# -gt 0 ]; do
  case $1 in
    --constant) flags+=(--constant-input "${2%%=*}=$test/test_data_set_0/input_${2#*=}.pb"); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$work"
"$bin/trellis-cc" compile "$test/model.onnx" -o "$work/model.tnef" ${flags[@]+"${flags[@]}"}
for data in "$test"/test_data_set_*; do
  "$bin/trellis-run" "$work/model.tnef" --test-data "$data" --quiet --rtol 1e-3 --atol 1e-5
done
