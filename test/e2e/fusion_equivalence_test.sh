#!/usr/bin/env bash
# Graph fusions that keep the unfused ops' order and roundings must not
# change a bit: a seeded model compiled at -O2 (fused) and at -O0 (one graph
# op per ONNX node) must give identical outputs. FLAGS are passed to both
# compiles (e.g. --auto-cast=matmult).
# usage: fusion_equivalence_test.sh SRC_DIR BIN_DIR WORK_DIR MODEL [FLAGS...]
#   MODEL: resnet18  torchvision ResNet-18 at 64x64: the skip connections
#                    fuse into the convolutions (--trellis-fuse-residual)
#          gelu-mlp  linears with ONNX Gelu (erf and tanh) after them
#                    (gen_gelu_mlp.py): the GELUs fuse into the linears
#          gelu-mlp-rows  the same with 160 rows: the linears take the
#                    row form (bias added on the vector engine); the hidden
#                    layers and the auto-cast input stay on chip, transposed
set -euo pipefail
src=$1 bin=$2 work=$3 model=$4
shift 4
mkdir -p "$work"
case $model in
  resnet18)
    if ! /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then
      echo "SKIP: Debian's python3-torch, python3-torchvision and python3-onnx are needed"
      exit 77
    fi
    /usr/bin/python3 "$src/test/e2e/gen_torch_model.py" "$model" "$work" --seed 0 --size 64
    # Eight skip connections fused, no add left.
    fused() { grep -c "graph.conv2d .* residual " "$1" || true; }
    want=8 leftover="graph.add" ;;
  gelu-mlp|gelu-mlp-rows)
    if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
      echo "SKIP: Debian's python3-onnx and python3-numpy are needed"
      exit 77
    fi
    rows=64
    [ "$model" = gelu-mlp-rows ] && rows=160
    /usr/bin/python3 "$src/test/e2e/gen_gelu_mlp.py" "$work" --seed 0 --rows $rows
    fused() { grep -c "graph.linear .*activation = #graph.activation<gelu" "$1" || true; }
    want=2 leftover="graph.gelu" ;;
  *) echo "unknown model $model"; exit 2 ;;
esac
for o in 0 2; do
  "$bin/trellis-cc" compile "$work/model.onnx" -O$o "$@" --emit=graph -o "$work/O$o.mlir"
  "$bin/trellis-cc" compile "$work/model.onnx" -O$o "$@" -o "$work/O$o.tnef"
  rm -rf "$work/out-O$o"
  "$bin/trellis-run" "$work/O$o.tnef" --input input="$work/input.npy" --output-dir "$work/out-O$o" \
    --quiet
done
# The -O2 graph must really be fused.
n=$(fused "$work/O2.mlir")
if [ "$n" -lt "$want" ] || grep -q "$leftover" "$work/O2.mlir"; then
  echo "-O2 fused $n ops, want $want and no $leftover"
  exit 1
fi
if ! cmp -s "$work/out-O0/output.npy" "$work/out-O2/output.npy"; then
  /usr/bin/python3 -c 'import sys, numpy as np; a, b = np.load(sys.argv[1]), np.load(sys.argv[2]); print("-O2 differs from -O0: max |diff| %g" % np.abs(a - b).max())' \
    "$work/out-O0/output.npy" "$work/out-O2/output.npy"
  exit 1
fi
# And both against an independent reference where the generator writes one
# (gen_gelu_mlp.py: numpy in float64): the max error relative to the
# output's range, within 1e-5 in fp32 and 1e-2 with auto-cast (about 5x the
# measured 2e-7 and 2e-3).
if [ -f "$work/expected.npy" ]; then
  bound=1e-5
  [[ "$*" == *auto-cast* ]] && bound=1e-2
  /usr/bin/python3 - "$work/expected.npy" "$work/out-O2/output.npy" "$bound" <<'PY'
import sys
import numpy as np
ref, out = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2])
err = float(np.abs(out - ref).max() / (ref.max() - ref.min()))
print("max error %.3e of the output's range (bound %s)" % (err, sys.argv[3]))
sys.exit(0 if err <= float(sys.argv[3]) else 1)
PY
fi
echo "$model ${*:-fp32}: -O2 ($n fused ops) bit-identical to -O0"
