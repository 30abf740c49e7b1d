#!/usr/bin/env bash
# A kernel (kernels/NAME.nki, or test/e2e/kernels/NAME.nki) compiled with
# trellis-cc and run on the emulator against a float64 numpy reference of its
# formula. OUTPUTS is one output name (checked against expected.npy) or a
# comma-separated list (each checked against expected_<name>.npy).
# usage: kernel_test.sh SRC_DIR BIN_DIR WORK_DIR NAME OUTPUTS RTOL ATOL
set -euo pipefail
src=$1 bin=$2 work=$3 name=$4 output=$5 rtol=$6 atol=$7
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-numpy is needed for the reference"
  exit 77
fi
/usr/bin/python3 "$src/test/e2e/gen_kernel_data.py" "$name" "$work"
kernel=$src/kernels/$name.nki
[ -f "$kernel" ] || kernel=$src/test/e2e/kernels/$name.nki
"$bin/trellis-cc" compile "$kernel" --args "$(cat "$work/args")" -o "$work/$name.tnef"
inputs=()
for f in "$work"/*.npy; do
  base=$(basename "$f" .npy)
  case $base in expected*) continue ;; esac
  inputs+=(--input "$base=$f")
done
checks=()
if [[ $output == *,* ]]; then
  for o in ${output//,/ }; do checks+=(--check "$o=$work/expected_$o.npy"); done
else
  checks+=(--check "$output=$work/expected.npy")
fi
"$bin/trellis-run" "$work/$name.tnef" "${inputs[@]}" "${checks[@]}" \
  --rtol "$rtol" --atol "$atol" --quiet
