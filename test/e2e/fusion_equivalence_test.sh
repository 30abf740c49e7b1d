#!/usr/bin/env bash
# Graph fusions that keep the unfused ops' order and roundings must not
# change a bit: a seeded PyTorch model compiled at -O2 (fused: e.g. ResNet's
# skip connections into the convolutions, --trellis-fuse-residual) and at
# -O0 (one graph op per ONNX node) must give identical outputs. FLAGS are
# passed to both compiles (e.g. --auto-cast=matmult).
# usage: fusion_equivalence_test.sh SRC_DIR BIN_DIR WORK_DIR MODEL [FLAGS...]
#   MODEL: resnet18 (torchvision, 64x64)
set -euo pipefail
src=$1 bin=$2 work=$3 model=$4
shift 4
if ! /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then
  echo "SKIP: Debian's python3-torch, python3-torchvision and python3-onnx are needed"
  exit 77
fi
mkdir -p "$work"
/usr/bin/python3 "$src/test/e2e/gen_torch_model.py" "$model" "$work" --seed 0 --size 64
for o in 0 2; do
  "$bin/trellis-cc" compile "$work/model.onnx" -O$o "$@" --emit=graph -o "$work/O$o.mlir"
  "$bin/trellis-cc" compile "$work/model.onnx" -O$o "$@" -o "$work/O$o.tnef"
  rm -rf "$work/out-O$o"
  "$bin/trellis-run" "$work/O$o.tnef" --input input="$work/input.npy" --output-dir "$work/out-O$o" \
    --quiet
done
# The -O2 graph must really be fused (ResNet-18: eight skip connections).
fused=$(grep -c "graph.conv2d .* residual " "$work/O2.mlir" || true)
if [ "$fused" -lt 8 ] || grep -q "graph.add" "$work/O2.mlir"; then
  echo "-O2 did not fuse the skip connections ($fused fused convolutions)"
  exit 1
fi
if ! cmp -s "$work/out-O0/output.npy" "$work/out-O2/output.npy"; then
  /usr/bin/python3 -c 'import sys, numpy as np; a, b = np.load(sys.argv[1]), np.load(sys.argv[2]); print("-O2 differs from -O0: max |diff| %g" % np.abs(a - b).max())' \
    "$work/out-O0/output.npy" "$work/out-O2/output.npy"
  exit 1
fi
echo "$model ${*:-fp32}: -O2 ($fused fused skip connections) bit-identical to -O0"
