#!/usr/bin/env bash
# A residual add read only by a layer norm is folded into it by the tiler
# (the sum never reaches HBM). The folded model must give the same bits as
# the same model with the sum also an output (stored and read back), and
# match numpy's layer norm of a + b.
# usage: residual_norm_test.sh SRC_DIR BIN_DIR WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-onnx and python3-numpy are needed"
  exit 77
fi
mkdir -p "$work"
/usr/bin/python3 "$src/test/e2e/gen_residual_norm.py" "$work" --seed 0
for m in folded stored; do
  "$bin/trellis-cc" compile "$work/$m.onnx" --emit=tile -o "$work/$m.mlir"
  "$bin/trellis-cc" compile "$work/$m.onnx" -o "$work/$m.tnef"
  rm -rf "$work/out-$m"
  "$bin/trellis-run" "$work/$m.tnef" --input a="$work/a.npy" --input b="$work/b.npy" \
    --output-dir "$work/out-$m" --quiet
done
# Folded: only the result's tiles are stored; stored: the sum's too.
folded=$(grep -c "tile.store" "$work/folded.mlir" || true)
stored=$(grep -c "tile.store" "$work/stored.mlir" || true)
if [ "$folded" -ge "$stored" ]; then
  echo "the add was not folded: $folded stores folded, $stored with the sum stored"
  exit 1
fi
if ! cmp -s "$work/out-folded/y.npy" "$work/out-stored/y.npy"; then
  echo "the folded layer norm differs from the stored-sum one"
  exit 1
fi
/usr/bin/python3 -c '
import sys, numpy as np
y, ref = np.load(sys.argv[1]), np.load(sys.argv[2])
err = np.abs(y - ref).max()
print("max |trellis - numpy| = %g" % err)
sys.exit(0 if err < 1e-4 else 1)' "$work/out-folded/y.npy" "$work/ref.npy"
