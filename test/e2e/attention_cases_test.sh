#!/usr/bin/env bash
# Attention chains with a per-key mask, a full additive mask and a
# non-causal constant Where (gen_attention_cases.py): each must fuse into
# graph.attention and match numpy (rtol 1e-4, atol 1e-5). The fused op's
# on-chip lowering computes the unfused ops' fp32 operations in their
# order, so each output must also be bit-identical to the -O0 compile
# (separate matmul, softmax, matmul through HBM), in fp32 and with
# --auto-cast=matmult (bf16 products).
# usage: attention_cases_test.sh SRC_DIR BIN_DIR WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-onnx and python3-numpy are needed to generate the models"
  exit 77
fi
/usr/bin/python3 "$src/test/e2e/gen_attention_cases.py" "$work"
for case in padding full where; do
  dir=$work/$case
  "$bin/trellis-cc" compile "$dir/model.onnx" --emit=graph -o "$dir/graph.mlir"
  if ! grep -q "graph.attention" "$dir/graph.mlir"; then
    echo "error: $case did not fuse into graph.attention"
    exit 1
  fi
  "$bin/trellis-cc" compile "$dir/model.onnx" -o "$dir/model.tnef"
  inputs=(--input q="$dir/q.npy" --input k="$dir/k.npy" --input v="$dir/v.npy")
  [ -f "$dir/mask.npy" ] && inputs+=(--input mask="$dir/mask.npy")
  "$bin/trellis-run" "$dir/model.tnef" "${inputs[@]}" --check o="$dir/expected.npy" \
    --rtol 1e-4 --atol 1e-5 --quiet
  for flags in "" "--auto-cast=matmult"; do
    for o in 0 2; do
      # shellcheck disable=SC2086
      "$bin/trellis-cc" compile "$dir/model.onnx" -O$o $flags -o "$dir/O$o.tnef"
      rm -rf "$dir/out-O$o"
      "$bin/trellis-run" "$dir/O$o.tnef" "${inputs[@]}" --output-dir "$dir/out-O$o" --quiet
    done
    if ! cmp -s "$dir/out-O0/o.npy" "$dir/out-O2/o.npy"; then
      echo "error: $case ${flags:-fp32}: the fused attention differs from the -O0 compile"
      exit 1
    fi
  done
done
# Self-attention blocks as torch exports them (projections, Mul by the
# scale 1/8, Softmax; causal: Where with the causal mask): -O2
# (graph.linear, graph.attention) against -O0, bit for bit, and PyTorch.
# Without a mask the softmax reads the scores from PSUM (a power-of-two
# scale); causal, each query block computes only the keys up to its last
# query. Needs Debian's python3-torch.
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  # Sequence 320: three query blocks, the last of 64 rows.
  for kind in causal full; do
    dir=$work/$kind-block
    /usr/bin/python3 "$src/test/e2e/gen_attention_model.py" "$dir" $kind 320 2>/dev/null
    "$bin/trellis-cc" compile "$dir/model.onnx" --emit=graph -o "$dir/graph.mlir"
    pattern="graph.attention"
    [ $kind = causal ] && pattern="graph.attention .* causal"
    grep -q "$pattern" "$dir/graph.mlir" || { echo "error: $kind did not fuse"; exit 1; }
    for flags in "" "--auto-cast=matmult"; do
      for o in 0 2; do
        # shellcheck disable=SC2086
        "$bin/trellis-cc" compile "$dir/model.onnx" -O$o $flags -o "$dir/O$o.tnef"
        rm -rf "$dir/out-O$o"
        "$bin/trellis-run" "$dir/O$o.tnef" --input x="$dir/x.npy" --output-dir "$dir/out-O$o" --quiet
      done
      if ! cmp -s "$dir/out-O0/y.npy" "$dir/out-O2/y.npy"; then
        echo "error: $kind ${flags:-fp32}: the fused attention differs from the -O0 compile"
        exit 1
      fi
    done
    "$bin/trellis-run" "$dir/O2.tnef" --input x="$dir/x.npy" --check y="$dir/expected.npy" \
      --rtol 2e-2 --atol 2e-2 --quiet
  done
fi
echo "attention cases: numpy within tolerance; -O2 bit-identical to -O0 (fp32, bf16)"
