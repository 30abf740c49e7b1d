#!/usr/bin/env bash
# Builds Trellis with AddressSanitizer + UndefinedBehaviorSanitizer in a
# build directory of its own and runs the whole ctest suite in it
# (docs/reliability.md, "Sanitizers").
#
#   scripts/sanitize.sh [ctest args...]      e.g. scripts/sanitize.sh -R unit
#
# $SANITIZE_BUILD (default build-sanitize) is the build directory, $JOBS
# (default 1) the parallelism of both the build and ctest. Needs clang-22 and
# libclang-rt-22-dev. Every sanitizer finding aborts the process, so it fails
# its test.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${SANITIZE_BUILD:-$root/build-sanitize}
jobs=${JOBS:-1}
export CCACHE_BASEDIR=$root

if [[ ! -f $build/build.ninja ]]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT="$(command -v lit-22)" \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only -DNDEBUG" \
    -DTRELLIS_SANITIZE=address,undefined
fi
ninja -C "$build" -j "$jobs"

# allow_user_poisoning=0: MLIR's BumpPtrAllocator is header code; compiled
# into our (instrumented) objects it poisons each new slab and unpoisons what
# it hands out, but the same allocator inlined into the uninstrumented
# libMLIR.so hands out memory from those slabs without unpoisoning it, so the
# first access from our code is a false use-after-poison. Only the manual
# (user) poisoning is off: heap, stack and global redzones, use-after-free
# and leak detection stay on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allow_user_poisoning=0:detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j "$jobs" "$@"
