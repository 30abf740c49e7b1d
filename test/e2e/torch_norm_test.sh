#!/usr/bin/env bash
# Exports nn.LayerNorm, GELU (erf, tanh), softmax and log-softmax with
# Debian's python3-torch at opset 14, where ONNX spells them as chains of
# element-wise ops; checks that --trellis-fuse-norm turns each chain into one
# graph op and that the emulator's outputs match PyTorch's.
# usage: torch_norm_test.sh SRC_DIR BIN_DIR WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
if ! /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null; then
  echo "SKIP: Debian's python3-torch and python3-onnx are needed to export the model"
  exit 77
fi
mkdir -p "$work"
/usr/bin/python3 "$src/test/e2e/gen_norm_torch.py" "$work" --seed 0
"$bin/trellis-cc" compile "$work/model.onnx" --emit=graph -o "$work/graph.mlir"
for op in "graph.layer_norm" "graph.gelu %" "graph.gelu .* tanh" "graph.softmax .* axes = \[2\] :" \
          "graph.softmax .* axes = \[1\] log"; do
  if ! grep -q "$op" "$work/graph.mlir"; then
    echo "FAIL: no '$op' in the fused graph ($work/graph.mlir)"
    exit 1
  fi
done
if grep -q "graph.unary  \(erf\|tanh\|sqrt\)" "$work/graph.mlir"; then
  echo "FAIL: an unfused chain is left in $work/graph.mlir"
  exit 1
fi
"$bin/trellis-cc" compile "$work/model.onnx" -o "$work/model.tnef"
"$bin/trellis-run" "$work/model.tnef" --input input="$work/input.npy" \
  --check ln_gelu="$work/ln_gelu.npy" --check gelu_tanh="$work/gelu_tanh.npy" \
  --check softmax="$work/softmax.npy" --check log_softmax="$work/log_softmax.npy" \
  --rtol 1e-3 --atol 1e-5 --output-dir "$work/out"
