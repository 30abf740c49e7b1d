#!/usr/bin/env bash
# --auto-cast=matmult narrows a product's result that only feeds the next
# product (the PSUM evacuation rounds it); the same graph with that result
# also an output keeps it f32 and rounds it with a separate cast op. The
# final outputs of the two compiles must be bit-identical, and the narrow
# compile must really have narrowed both (gen_autocast_narrow.py).
# usage: autocast_narrow_test.sh SRC_DIR BIN_DIR WORK_DIR TYPE
set -euo pipefail
src=$1 bin=$2 work=$3 type=$4
if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-onnx and python3-numpy are needed"
  exit 77
fi
mkdir -p "$work"
/usr/bin/python3 "$src/test/e2e/gen_autocast_narrow.py" "$work"
flags=(--auto-cast=matmult --auto-cast-type="$type")
"$bin/trellis-cc" compile "$work/narrow.onnx" "${flags[@]}" --emit=graph -o "$work/narrow.mlir"
case $type in bf16) mlir=bf16 ;; fp16) mlir=f16 ;; fp8_e4m3) mlir=f8E4M3FN ;; esac
for shape in 1x32x8x8 64x200; do
  if ! grep -q -- "-> tensor<${shape}x${mlir}>$" "$work/narrow.mlir"; then
    echo "the $shape intermediate was not narrowed to $mlir:"
    grep -n "graph\.\(conv2d\|linear\|cast\)" "$work/narrow.mlir"
    exit 1
  fi
done
for m in narrow wide; do
  "$bin/trellis-cc" compile "$work/$m.onnx" "${flags[@]}" -o "$work/$m.tnef"
  rm -rf "$work/out-$m"
  "$bin/trellis-run" "$work/$m.tnef" --input x="$work/x.npy" --input a="$work/a.npy" \
    --output-dir "$work/out-$m" --quiet
done
for y in y1 y2; do
  if ! cmp -s "$work/out-narrow/$y.npy" "$work/out-wide/$y.npy"; then
    echo "$y differs between the narrowed and the unnarrowed compile"
    exit 1
  fi
done
echo "narrowed results: y1 and y2 bit-identical to the compile with f32 intermediates ($type)"
