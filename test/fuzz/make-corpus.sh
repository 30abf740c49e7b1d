#!/usr/bin/env bash
# Builds the seed corpora of the fuzzers (docs/reliability.md) from the
# tests: examples/mlp and a few ONNX node tests from libonnx-testdata as ONNX
# seeds, the .tnef artifacts trellis-cc compiles from them as .tnef seeds, and
# the repository's .npy files as .npy seeds, and the shipped kernels, the
# e2e kernels and every kernel of test/lit/Kernel as .nki seeds.
#
#   test/fuzz/make-corpus.sh [OUT_DIR [TRELLIS_BIN_DIR]]
#
# OUT_DIR defaults to build-fuzz/corpus; TRELLIS_BIN_DIR (a normal,
# uninstrumented build's bin/, for trellis-cc) to build/bin. Writes
# OUT_DIR/{onnx,tnef,npy,nki}/. Nothing here is committed.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build-fuzz/corpus}
bin=${2:-$root/build/bin}
nodes=/usr/share/libonnx-testdata/data/node

mkdir -p "$out/onnx" "$out/tnef" "$out/npy" "$out/nki"

onnx_seeds=("$root/examples/mlp/model.onnx:mlp")
for t in test_add test_add_bcast test_sub test_mul_bcast test_div test_relu test_sigmoid \
         test_tanh test_exp test_log test_sqrt test_neg test_abs test_reciprocal test_erf \
         test_softplus test_leakyrelu test_elu test_hardsigmoid test_clip test_clip_default_min \
         test_max_example test_min_example test_sum_example test_mean_example test_pow \
         test_matmul_2d test_matmul_3d test_matmul_4d test_gemm_default_vector_bias \
         test_gemm_all_attributes test_gemm_transposeA test_gemm_transposeB test_identity \
         test_transpose_default test_softmax_example test_conv_with_strides_padding; do
  [[ -f $nodes/$t/model.onnx ]] && onnx_seeds+=("$nodes/$t/model.onnx:${t#test_}")
done

n_onnx=0 n_tnef=0
for seed in "${onnx_seeds[@]}"; do
  src=${seed%%:*} name=${seed##*:}
  cp "$src" "$out/onnx/$name.onnx"
  n_onnx=$((n_onnx + 1))
  # Unsupported ops are fine as ONNX seeds; only what compiles is a .tnef seed.
  if "$bin/trellis-cc" compile "$src" -o "$out/tnef/$name.tnef" >/dev/null 2>&1; then
    n_tnef=$((n_tnef + 1))
  fi
done

n_npy=0
while IFS= read -r -d '' f; do
  rel=${f#"$root"/}
  cp "$f" "$out/npy/${rel//\//_}"
  n_npy=$((n_npy + 1))
done < <(find "$root/examples" "$root/test" -name '*.npy' -size -64k -print0)

# A few hand-made .npy files of other dtypes and layouts (no numpy needed).
python3 - "$out/npy" <<'PY'
import struct, sys
def npy(path, descr, shape, payload, fortran=False, version=1):
    shp = f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    h = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shp)
    pre = 10 if version == 1 else 12
    h += " " * ((64 - (pre + len(h) + 1) % 64) % 64) + "\n"
    hl = struct.pack("<H", len(h)) if version == 1 else struct.pack("<I", len(h))
    open(path, "wb").write(b"\x93NUMPY" + bytes([version, 0]) + hl + h.encode() + payload)
d = sys.argv[1]
npy(f"{d}/f4_2x3.npy", "<f4", (2, 3), struct.pack("<6f", *range(6)))
npy(f"{d}/i8_4.npy", "<i8", (4,), struct.pack("<4q", 1, -2, 3, -4))
npy(f"{d}/b1_3.npy", "|b1", (3,), bytes([1, 0, 1]))
npy(f"{d}/f2_2.npy", "<f2", (2,), bytes(4))
npy(f"{d}/u1_scalar.npy", "|u1", (), bytes([7]))
npy(f"{d}/f8_v2.npy", "<f8", (2, 2), struct.pack("<4d", 1, 2, 3, 4), version=2)
npy(f"{d}/f4_fortran.npy", "<f4", (2, 2), struct.pack("<4f", 1, 2, 3, 4), fortran=True)
PY
n_npy=$((n_npy + 7))

# Kernels: a first line "# args: SPEC" gives fuzz-nki the --args of
# parameters without type annotations (small shapes keep each run fast).
n_nki=$(python3 - "$root" "$out/nki" <<'PY'
import glob, os, re, sys
root, out = sys.argv[1], sys.argv[2]
args = {
    "matmul": "lhsT=bf16[128,128],rhs=bf16[128,512],TILES_IN_BLOCK_M=1,TILES_IN_BLOCK_N=1,TILES_IN_BLOCK_K=1",
    "softmax": "x=f32[128,64]",
    "layernorm": "x=f32[128,64],gamma=f32[64],beta=f32[64]",
    "rmsnorm": "x=f32[128,64],g=f32[64]",
    "attention": "q=bf16[64,128],k=bf16[64,128],v=bf16[128,64]",
    "legacy_rmsnorm": "a_tensor=f32[128,64],g_tensor=f32[64],out_tensor=f32[128,64]",
}
n = 0
def emit(name, text, spec=""):
    global n
    with open(os.path.join(out, name + ".nki"), "w") as f:
        f.write(("# args: %s\n" % spec if spec else "") + text)
    n += 1
for path in sorted(glob.glob(root + "/kernels/*.nki") + glob.glob(root + "/test/e2e/kernels/*.nki")):
    name = os.path.basename(path)[:-4]
    emit(name, open(path).read(), args.get(name, ""))
# The split-file sections of the lit tests, with the --args their RUN lines use.
for path in sorted(glob.glob(root + "/test/lit/Kernel/*.test")):
    text = open(path).read()
    runs = dict(re.findall(r"%t/(\w+)\.nki[^\n]*?--args \"([^\"]*)\"", text))
    for m in re.finditer(r"^#--- (\w+)\.nki\n(.*?)(?=^#--- |\Z)", text, re.S | re.M):
        emit("lit_" + os.path.basename(path)[:-5] + "_" + m.group(1), m.group(2), runs.get(m.group(1), ""))
print(n)
PY
)

echo "corpus in $out: $n_onnx onnx, $n_tnef tnef, $n_npy npy, $n_nki nki seeds"
