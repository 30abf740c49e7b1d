#!/usr/bin/env bash
# Set up and build, then run every test (lit, GoogleTest, end-to-end) with one ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TRELLIS_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
