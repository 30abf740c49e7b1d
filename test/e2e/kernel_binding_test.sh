#!/usr/bin/env bash
# Kernels in a model (issue #7): the shipped matmul, layernorm and softmax
# kernels implement an ONNX model's MatMul, LayerNormalization and Softmax
# (--kernel-lib kernels), and rmsnorm.nki a custom-domain node
# (--kernel RmsNorm=...); the emulator's output is checked against a
# float64 numpy reference, the profile names the kernels' source lines, and
# kernels that do not fit a node are clear errors at the node.
# usage: kernel_binding_test.sh SRC_DIR BIN_DIR WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
if ! /usr/bin/python3 -c 'import numpy, onnx' 2>/dev/null; then
  echo "SKIP: Debian's python3-numpy and python3-onnx are needed"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work"
/usr/bin/python3 "$src/test/e2e/gen_kernel_model.py" "$work"
flags=(--kernel-lib "$src/kernels" --kernel "RmsNorm=$src/kernels/rmsnorm.nki")

# --op-stats counts the custom node as supported once it has a kernel.
"$bin/trellis-cc" compile "$work/model.onnx" "${flags[@]}" --op-stats > "$work/stats.txt"
grep -q "com.example.RmsNorm (kernel .*rmsnorm.nki)" "$work/stats.txt"
grep -q "^0 of 4 nodes unsupported" "$work/stats.txt"

# Every bound op is a kernel call; nothing else computes.
"$bin/trellis-cc" compile "$work/model.onnx" "${flags[@]}" --emit=graph -o "$work/graph.mlir"
calls=$(grep -c "graph.kernel_call" "$work/graph.mlir")
[ "$calls" = 4 ] || { echo "FAIL: expected 4 kernel calls, got $calls"; exit 1; }
if grep -E "graph\.(matmul|linear|softmax|layer_norm) " "$work/graph.mlir"; then
  echo "FAIL: an op was left unbound"; exit 1
fi

"$bin/trellis-cc" compile "$work/model.onnx" "${flags[@]}" -o "$work/model.tnef"
"$bin/trellis-run" "$work/model.tnef" --input "X=$work/X.npy" --check "Z=$work/expected.npy" \
  --rtol 1e-4 --atol 1e-5 --profile "$work/trace.json" --quiet
"$bin/trellis-profile" summary "$work/trace.json" --top 50 > "$work/summary.txt"
for k in matmul layernorm softmax rmsnorm; do
  grep -q "$k.nki:" "$work/summary.txt" || { echo "FAIL: no profile row names $k.nki"; exit 1; }
done

# A kernel that cannot take a node's shapes is an error at the node, with the
# kernel's own message; a custom node's attributes must be ints or floats.
/usr/bin/python3 - "$work" <<'PY'
import sys
import onnx
from onnx import TensorProto, helper
out = sys.argv[1]
def save(name, rows, attrs):
    node = helper.make_node("RmsNorm", ["x", "g"], ["y"], name="rms", domain="com.example", **attrs)
    g = helper.make_graph([node], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, 64]),
         helper.make_tensor_value_info("g", TensorProto.FLOAT, [64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [rows, 64])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                                  helper.make_opsetid("com.example", 1)]),
              f"{out}/{name}.onnx")
save("bad_rows", 100, {})
save("bad_attr", 128, {"mode": "fast"})
PY
expect_error() { # MODEL PATTERN
  if "$bin/trellis-cc" compile "$work/$1.onnx" "${flags[@]}" -o "$work/$1.tnef" 2> "$work/$1.err"; then
    echo "FAIL: $1 compiled"; exit 1
  fi
  grep -q -- "$2" "$work/$1.err" || { echo "FAIL: $1: no '$2' in:"; cat "$work/$1.err"; exit 1; }
  [ ! -e "$work/$1.tnef" ] || { echo "FAIL: $1 left an artifact"; exit 1; }
}
expect_error bad_rows "node 'rms' (op type com.example.RmsNorm): kernel '.*rmsnorm.nki' cannot implement it: assertion failed: the row count must be a multiple of 128"
expect_error bad_attr "attribute 'mode' is not an int or a float"
# Without a kernel the custom node is unsupported, as before.
if "$bin/trellis-cc" compile "$work/model.onnx" -o "$work/none.tnef" 2> "$work/none.err"; then
  echo "FAIL: compiled without the kernel"; exit 1
fi
grep -q "unsupported operator (domain 'com.example')" "$work/none.err"
echo "PASS"
