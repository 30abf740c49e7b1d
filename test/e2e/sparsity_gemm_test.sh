#!/usr/bin/env bash
# A sparse GEMM with more than one 512-row block (the compressed weights stay
# resident in SBUF across blocks) against numpy: the weight B is read back
# from the ONNX model, magnitude-pruned to PATTERN along K by numpy
# (independently of Trellis; K zero-padded to whole groups), and
# A @ B_pruned computed in float64.
# usage: sparsity_gemm_test.sh SRC_DIR BIN_DIR WORK_DIR M K N PATTERN
set -euo pipefail
src=$1 bin=$2 work=$3 m=$4 k=$5 n=$6 pattern=$7
if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-onnx and python3-numpy are needed"
  exit 77
fi
mkdir -p "$work"
/usr/bin/python3 "$src/bench/gen_gemm.py" "$work" --m "$m" --k "$k" --n "$n" --dtype f32 --weights --data
/usr/bin/python3 - "$work" "$pattern" <<'PY'
import sys
import numpy as np
import onnx
from onnx import numpy_helper
work, pattern = sys.argv[1:]
keep, group = (int(v) for v in pattern.split(":"))
b = numpy_helper.to_array(onnx.load(work + "/model.onnx").graph.initializer[0]).astype(np.float32)
k, n = b.shape
kp = -(-k // group) * group  # a K that is not whole groups: zero rows added
g = np.concatenate([b, np.zeros((kp - k, n), np.float32)]).reshape(kp // group, group, n)
# Rank within each group by magnitude (largest first; ties: lower position).
order = np.argsort(-np.abs(g), axis=1, kind="stable")
mask = np.zeros_like(g, dtype=bool)
np.put_along_axis(mask, order[:, :keep, :], True, axis=1)
pruned = (g * mask).reshape(kp, n)[:k]
a = np.load(work + "/a.npy")
y = a.astype(np.float64) @ pruned.astype(np.float64)
np.save(work + "/expected-pruned.npy", y.astype(np.float32))
with open(work + "/atol.txt", "w") as f:
    f.write("%g\n" % (1e-5 * float(np.abs(y).max())))
PY
"$bin/trellis-cc" compile "$work/model.onnx" -o "$work/model.tnef" --sparsity="$pattern" \
  --sparsity-prune --sparsity-report "$work/report.txt"
grep -q "sparse (pruned)" "$work/report.txt"
"$bin/trellis-run" "$work/model.tnef" --input a="$work/a.npy" \
  --check c="$work/expected-pruned.npy" --rtol 0 --atol "$(cat "$work/atol.txt")"
