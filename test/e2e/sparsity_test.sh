#!/usr/bin/env bash
# Structured sparsity end to end (docs/sparsity.md). Exports a seeded PyTorch
# model (gen_torch_model.py) with its dense weights, compiles it with
# --sparsity=PATTERN --sparsity-prune, and checks the emulator's output
# against PyTorch's output with the same magnitude pruning applied by torch
# (independently of Trellis): every element within 1e-3 of the output's
# range. Then checks that every linear layer was made sparse (the report).
# With --bitexact, also exports the torch-pruned model and requires the
# sparse compile (already-sparse weights, no pruning) to give bit-identical
# outputs to the dense compile of the same model; with --close, outputs
# within 1e-5 of the output's range (the dense tiler may sum a convolution's
# taps and channel tiles in another order, e.g. kernel rows packed onto
# partitions). --size N is passed to the generator.
# usage: sparsity_test.sh SRC_DIR BIN_DIR WORK_DIR MODEL PATTERN SPARSE_LAYERS
#                         [--bitexact | --close] [--size N]
set -euo pipefail
src=$1 bin=$2 work=$3 model=$4 pattern=$5 layers=$6
shift 6
same= genargs=()
while [ $# -gt 0 ]; do
  case $1 in
    --bitexact|--close) same=$1 ;;
    --size) genargs+=(--size "$2"); shift ;;
    *) echo "sparsity_test.sh: unknown argument $1"; exit 2 ;;
  esac
  shift
done
if ! /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null; then
  echo "SKIP: Debian's python3-torch and python3-onnx are needed"
  exit 77
fi
mkdir -p "$work"
gen=$src/test/e2e/gen_torch_model.py
/usr/bin/python3 "$gen" "$model" "$work" --seed 0 --prune "$pattern" ${genargs[@]+"${genargs[@]}"}
"$bin/trellis-cc" compile "$work/model.onnx" -o "$work/model.tnef" --sparsity="$pattern" \
  --sparsity-prune --sparsity-report "$work/report.txt"
cat "$work/report.txt"
made=$(grep -c "sparse (pruned)" "$work/report.txt" || true)
if [ "$made" != "$layers" ]; then
  echo "FAIL: $made layers made sparse, expected $layers"
  exit 1
fi
"$bin/trellis-objdump" "$work/model.tnef" > "$work/model.s"
grep -q "multiply_moving_sparse .* keep ${pattern%:*} group ${pattern#*:}" "$work/model.s"
"$bin/trellis-run" "$work/model.tnef" --input input="$work/input.npy" \
  --check output="$work/expected.npy" --rtol 0 --atol "$(cat "$work/atol.txt")"

if [ -n "$same" ]; then
  mkdir -p "$work/pruned"
  /usr/bin/python3 "$gen" "$model" "$work/pruned" --seed 0 --prune "$pattern" --export-pruned \
    ${genargs[@]+"${genargs[@]}"}
  "$bin/trellis-cc" compile "$work/pruned/model.onnx" -o "$work/pruned/dense.tnef"
  "$bin/trellis-cc" compile "$work/pruned/model.onnx" -o "$work/pruned/sparse.tnef" \
    --sparsity="$pattern" --sparsity-report "$work/pruned/report.txt"
  grep -q "sparse (already)" "$work/pruned/report.txt"
  for v in dense sparse; do
    "$bin/trellis-run" "$work/pruned/$v.tnef" --input input="$work/input.npy" \
      --output-dir "$work/pruned/$v" --quiet
  done
  /usr/bin/python3 - "$work/pruned" "$same" <<'PY'
import sys, numpy as np
d = np.load(sys.argv[1] + "/dense/output.npy")
s = np.load(sys.argv[1] + "/sparse/output.npy")
if sys.argv[2] == "--bitexact":
    if d.tobytes() != s.tobytes():
        sys.exit("FAIL: sparse output differs from dense in %d elements (max %g)"
                 % ((d != s).sum(), np.abs(d - s).max()))
    print("bit-identical: %d elements" % d.size)
else:
    tol = 1e-5 * float(d.max() - d.min())
    err = float(np.abs(d - s).max())
    if err > tol:
        sys.exit("FAIL: sparse output differs from dense by %g (> %g)" % (err, tol))
    print("sparse within %g of dense (1e-5 of the range %g): %d elements"
          % (err, tol / 1e-5, d.size))
PY
fi
