#!/usr/bin/env bash
# Set up and build, then compile the bundled MLP, run it on the emulator and
# print its output, its error against PyTorch's and the timing summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/examples/mlp/run.sh" "${TRELLIS_BUILD_DIR:-$root/build}/bin" "${TRELLIS_BUILD_DIR:-$root/build}/example-mlp"
