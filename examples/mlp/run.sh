#!/usr/bin/env bash
# Compiles the bundled MLP and runs it on the emulator, checking the result
# against PyTorch's output and printing the timing summary.
# usage: examples/mlp/run.sh [BIN_DIR] [WORK_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/bin}
work=${2:-$here/../../build/example-mlp}
mkdir -p "$work"
set -x
"$bin/trellis-cc" compile "$here/model.onnx" -o "$work/mlp.tnef"
"$bin/trellis-run" "$work/mlp.tnef" --input input="$here/input.npy" \
  --check logits="$here/expected.npy" --output-dir "$work/out"
