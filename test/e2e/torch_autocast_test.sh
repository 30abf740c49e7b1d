#!/usr/bin/env bash
# A seeded PyTorch model compiled with --auto-cast=matmult (matrix-product
# inputs rounded to TYPE, fp32 accumulation) against PyTorch's fp32 output:
# the largest error must be within BOUND of the output's range. The bounds
# and the measured errors are in docs/mixed-precision.md.
# usage: torch_autocast_test.sh SRC_DIR BIN_DIR WORK_DIR MODEL TYPE BOUND
#   MODEL: mlp, cnn, transformer, gpt2 or resnet18 (at 64x64, to stay cheap);
#          transformer-seqN, gpt2-seqN at sequence length N (64 otherwise)
set -euo pipefail
src=$1 bin=$2 work=$3 model=$4 type=$5 bound=$6
if ! /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then
  echo "SKIP: Debian's python3-torch, python3-torchvision and python3-onnx are needed"
  exit 77
fi
mkdir -p "$work"
case $model in
  mlp) /usr/bin/python3 "$src/test/e2e/gen_mlp.py" "$work" --dims 784,512,256,10 --batch 8 --seed 0
       output=logits ;;
  cnn) /usr/bin/python3 "$src/test/e2e/gen_cnn.py" "$work" --batch 2 --size 32 --seed 0
       output=logits ;;
  resnet18) /usr/bin/python3 "$src/test/e2e/gen_torch_model.py" resnet18 "$work" --seed 0 --size 64
       output=output ;;
  *) # NAME-seqN: the transformer or gpt2 block at sequence length N.
     base=${model%-seq*} extra=()
     [ "$base" != "$model" ] && extra=(--seq "${model##*-seq}")
     /usr/bin/python3 "$src/test/e2e/gen_torch_model.py" "$base" "$work" --seed 0 "${extra[@]}"
     output=output ;;
esac
"$bin/trellis-cc" compile "$work/model.onnx" --auto-cast=matmult --auto-cast-type="$type" \
  -o "$work/model.tnef"
# The artifact records the settings (its compiler-options string; objdump
# would print every instruction of ResNet-18 to get there).
if ! grep -q -a -- "--auto-cast=matmult --auto-cast-type=$type" "$work/model.tnef"; then
  echo "the artifact does not record the auto-cast settings"
  exit 1
fi
rm -rf "$work/out"
"$bin/trellis-run" "$work/model.tnef" --input input="$work/input.npy" --output-dir "$work/out" --quiet
/usr/bin/python3 - "$work/expected.npy" "$work/out/$output.npy" "$bound" "$model" "$type" <<'PY'
import sys
import numpy as np
ref, out = np.load(sys.argv[1]), np.load(sys.argv[2])
bound = float(sys.argv[3])
err = float(np.abs(out.astype(np.float64) - ref).max() / (ref.max() - ref.min()))
print("%s --auto-cast=matmult --auto-cast-type=%s: max error %.3e of the output's range "
      "(bound %.0e)" % (sys.argv[4], sys.argv[5], err, bound))
sys.exit(0 if err <= bound else 1)
PY
