#!/usr/bin/env bash
# A shipped kernel (kernels/NAME.nki) compiled with trellis-cc and run on
# the emulator against a float64 numpy reference of its formula.
# usage: kernel_test.sh SRC_DIR BIN_DIR WORK_DIR NAME OUTPUT RTOL ATOL
set -euo pipefail
src=$1 bin=$2 work=$3 name=$4 output=$5 rtol=$6 atol=$7
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-numpy is needed for the reference"
  exit 77
fi
/usr/bin/python3 "$src/test/e2e/gen_kernel_data.py" "$name" "$work"
"$bin/trellis-cc" compile "$src/kernels/$name.nki" --args "$(cat "$work/args")" -o "$work/$name.tnef"
inputs=()
for f in "$work"/*.npy; do
  base=$(basename "$f" .npy)
  [ "$base" = expected ] && continue
  inputs+=(--input "$base=$f")
done
"$bin/trellis-run" "$work/$name.tnef" "${inputs[@]}" --check "$output=$work/expected.npy" \
  --rtol "$rtol" --atol "$atol" --quiet
