#!/usr/bin/env bash
# Installs whatever Debian packages are missing, configures build/ (Ninja,
# ccache, the shared libMLIR/libLLVM of LLVM 22) and builds everything.
# Idempotent and incremental: a second run only rebuilds what changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TRELLIS_BUILD_DIR:-$root/build}
# Let ccache share results between checkouts in different directories.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}

packages=(
  cmake ninja-build ccache g++ pkg-config
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libprotobuf-dev protobuf-compiler libonnx-dev libfmt-dev libgtest-dev
  libonnx-testdata python3-onnx python3-numpy python3-torch
  chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# playwright-core for the browser test of the HTML profile report
# (test/browser); skipped when there is no node/npm.
if command -v npm >/dev/null && [ ! -d "$root/test/browser/node_modules/playwright-core" ]; then
  (cd "$root/test/browser" && npm install --ignore-scripts --no-audit --no-fund)
fi

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT="$(command -v lit-22)"
fi
cmake --build "$build"
